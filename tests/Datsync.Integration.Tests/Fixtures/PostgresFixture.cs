using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Datsync.Integration.Tests.Fixtures;

/// <summary>Test classes that need the real PostgreSQL server join this collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL server";
}

/// <summary>
/// A real, throwaway PostgreSQL server for the tests: <c>initdb</c> into a fresh temporary directory, started with
/// <c>pg_ctl</c> on a free port of 127.0.0.1 with trust authentication, one database created, stopped
/// (<c>pg_ctl stop -m immediate</c>) and deleted on dispose. When the process runs as root the server runs as the
/// unprivileged <c>postgres</c> user (PostgreSQL refuses to run as root). Missing binaries fail the tests, never skip them.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private const string Database = "datsync_tests";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private string? _root;
    private string? _dataDir;
    private string? _logFile;
    private string? _runAs;

    /// <summary>Directory holding initdb, pg_ctl and postgres.</summary>
    public string BinDirectory { get; private set; } = "";

    /// <summary>The TCP port the server listens on (127.0.0.1 only).</summary>
    public int Port { get; private set; }

    /// <summary>Connection string to the test database, as the superuser <c>postgres</c>.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Connection string to another database of the same server.</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database }.ToString();

    public async Task InitializeAsync()
    {
        BinDirectory = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found: looked in `pg_config --bindir`, " +
            "/usr/lib/postgresql/*/bin and on PATH. The storage integration tests start a real PostgreSQL server " +
            "and are never skipped: install the Debian package `postgresql` " +
            "(sudo apt-get update && sudo apt-get install -y postgresql), then run the tests again.");

        _runAs = await UnprivilegedUserAsync();
        _root = Path.Combine(_runAs is null ? Path.GetTempPath() : "/tmp", "datsync-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_root);
        if (_runAs is not null) await RunAsync("chown", [_runAs, _root]);
        _dataDir = Path.Combine(_root, "data");
        _logFile = Path.Combine(_root, "server.log");

        await RunPostgresToolAsync("initdb",
            ["-D", _dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);

        // A port picked by binding port 0 can be taken by someone else before the server binds it: retry on a new one.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            var options = $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_root} " +
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
            try
            {
                await RunPostgresToolAsync("pg_ctl",
                    ["-D", _dataDir, "-l", _logFile, "-o", options, "-w", "-t", "120", "start"]);
                break;
            }
            catch (InvalidOperationException) when (attempt < 3) { }
        }

        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "postgres",
            Pooling = false, Timeout = 15,
        }.ToString();
        await WaitUntilAcceptingAsync(admin, TimeSpan.FromMinutes(2));
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
            await command.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = Database, Pooling = true }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_dataDir is not null && Directory.Exists(_dataDir))
        {
            try { await RunPostgresToolAsync("pg_ctl", ["-D", _dataDir, "-m", "immediate", "-w", "stop"]); }
            catch (InvalidOperationException) { /* already down */ }
        }
        if (_root is not null && Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>Creates a new, empty database on the server and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "db_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = await OpenAsync())
        {
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return ConnectionStringFor(name);
    }

    /// <summary>Opens a connection to the test database (caller disposes).</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static string? FindBinDirectory()
    {
        static bool Has(string? dir) => dir is not null && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        try
        {
            using var pgConfig = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (pgConfig is not null)
            {
                var dir = pgConfig.StandardOutput.ReadToEnd().Trim();
                pgConfig.WaitForExit();
                if (pgConfig.ExitCode == 0 && Has(dir)) return dir;
            }
        }
        catch (System.ComponentModel.Win32Exception) { /* no pg_config */ }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (dir: Path.Combine(d, "bin"), version: double.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(x => Has(x.dir))
                .OrderByDescending(x => x.version)
                .Select(x => x.dir)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(dir, "initdb");
            if (!File.Exists(initdb)) continue;
            var target = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
            var targetDir = Path.GetDirectoryName(target);
            if (Has(targetDir)) return targetDir;
            if (Has(dir)) return dir;
        }
        return null;
    }

    /// <summary>
    /// Null when this process may run PostgreSQL itself; otherwise (root) the user to run it as: the Debian
    /// package's <c>postgres</c> user, or a system user created for the purpose.
    /// </summary>
    private static async Task<string?> UnprivilegedUserAsync()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        var (_, uid, _) = await RunAsync("id", ["-u"]);
        if (uid.Trim() != "0") return null;
        foreach (var user in new[] { "postgres", "datsync-pg" })
        {
            var (code, _, _) = await RunAsync("id", ["-u", user], check: false);
            if (code == 0) return user;
        }
        await RunAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "datsync-pg"]);
        return "datsync-pg";
    }

    private Task<(int code, string stdout, string stderr)> RunPostgresToolAsync(string tool, string[] args)
    {
        var path = Path.Combine(BinDirectory, tool);
        return _runAs is null
            ? RunAsync(path, args, workingDirectory: _root, log: _logFile)
            : RunAsync("runuser", ["-u", _runAs, "--", path, .. args], workingDirectory: _root, log: _logFile);
    }

    private static async Task<(int code, string stdout, string stderr)> RunAsync(
        string file, string[] args, bool check = true, string? workingDirectory = null, string? log = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` did not finish within {CommandTimeout}.");
        }
        var result = (process.ExitCode, await stdout, await stderr);
        if (check && process.ExitCode != 0)
        {
            var serverLog = log is not null && File.Exists(log) ? "\nserver log:\n" + File.ReadAllText(log) : "";
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', args)}` exited with {process.ExitCode}:\n{result.Item2}\n{result.Item3}{serverLog}");
        }
        return result;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    private static readonly TimeSpan ReadinessPoll = TimeSpan.FromMilliseconds(200);

    private async Task WaitUntilAcceptingAsync(string connectionString, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (Exception e) when ((e is NpgsqlException or SocketException or TimeoutException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(ReadinessPoll); // polling a starting server, not ordering a test
            }
            catch (Exception e) when (DateTime.UtcNow >= deadline)
            {
                var serverLog = _logFile is not null && File.Exists(_logFile) ? File.ReadAllText(_logFile) : "(no log)";
                throw new InvalidOperationException(
                    $"PostgreSQL on 127.0.0.1:{Port} did not accept connections within {limit}.\nserver log:\n{serverLog}", e);
            }
        }
    }
}
