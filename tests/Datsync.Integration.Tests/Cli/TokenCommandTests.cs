using System.Diagnostics;
using System.Text;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Server;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync token new` and `datsync token hash`: the lines they print admit the token, and no other.</summary>
public sealed class TokenCommandTests
{
    private static ClientAccess Access(string line) =>
        ClientAccess.From(ConfigurationFactory.ParseString($"datsync.server.clients {{\n{line}\n}}"));

    private static string[] Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Token_new_prints_a_random_token_and_the_line_that_admits_it()
    {
        var r = await DatsyncProcess.Run("token new --client-id replica-1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = Lines(r.Stdout);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("token: ", lines[0]);
        Assert.StartsWith("datsync.server.clients line: ", lines[1]);
        var token = lines[0]["token: ".Length..];
        var line = lines[1]["datsync.server.clients line: ".Length..];
        Assert.Equal(43, token.Length);
        Assert.StartsWith("\"replica-1\" = \"pbkdf2-sha256$", line);
        Assert.DoesNotContain(token, line);
        var access = Access(line);
        Assert.Null(access.Refusal(new Connect("replica-1", null, 0, token)));
        Assert.NotNull(access.Refusal(new Connect("replica-1", null, 0, token[..^1] + (token[^1] == 'A' ? 'B' : 'A'))));
        Assert.NotNull(access.Refusal(new Connect("replica-2", null, 0, token)));

        var again = await DatsyncProcess.Run("token new");
        Assert.NotEqual(token, Lines(again.Stdout)[0]["token: ".Length..]);
        Assert.Contains("\"CLIENT-ID\" = ", again.Stdout);
    }

    [Fact]
    public async Task Token_hash_prints_the_line_for_a_token_given_as_argument_or_on_standard_input()
    {
        var r = await DatsyncProcess.Run("token hash my-own-token --client-id loader");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(Lines(r.Stdout));
        Assert.Null(Access(line).Refusal(new Connect("loader", null, 0, "my-own-token")));
        Assert.Contains("wrong token", Access(line).Refusal(new Connect("loader", null, 0, "my-own-tokem")));

        var piped = await DatsyncProcess.Run("token hash - --client-id loader", "from stdin\n");
        Assert.True(piped.ExitCode == 0, piped.Stderr);
        var pipedLine = Assert.Single(Lines(piped.Stdout));
        Assert.Null(Access(pipedLine).Refusal(new Connect("loader", null, 0, "from stdin")));
        Assert.NotNull(Access(pipedLine).Refusal(new Connect("loader", null, 0, "from stdin\n")));
    }

    [Fact]
    public async Task Token_hash_refuses_an_empty_token_and_a_hash()
    {
        var empty = await DatsyncProcess.Run("token hash -", "");
        Assert.Equal(1, empty.ExitCode);
        Assert.StartsWith("datsync token hash: the token is empty", Assert.Single(empty.StderrLines));
        var hashed = await DatsyncProcess.Run($"token hash \"{TokenHash.Create("x")}\"");
        Assert.Equal(1, hashed.ExitCode);
        Assert.Contains("already a token hash", Assert.Single(hashed.StderrLines));
        Assert.Equal("", hashed.Stdout);
    }
}

/// <summary>`datsync serve` reads its --config files again on SIGHUP: a client taken off the list is ended at once and
/// refused, the others keep going; a file with a plain token leaves the old list.</summary>
public sealed class ServeReloadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-reload-").FullName;
    private string Conf => Path.Combine(_dir, "clients.conf");

    private static string Clients(params string[] lines) => "datsync.server.clients {\n" + string.Concat(lines.Select(l => "  " + l + "\n")) + "}\n";

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static async Task Hup(ServeProcess server)
    {
        using var kill = Process.Start("kill", $"-HUP {server.Process.Id}");
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task<long> Transact(ServeProcess server, string client, string token, string edn)
    {
        var r = await DatsyncProcess.Run($"transact --server {server.HostPort} --client-id {client} --token {token} -", edn);
        Assert.True(r.ExitCode == 0, $"transact exited {r.ExitCode}: {r.Stdout} {r.Stderr}");
        return (long)((EdnMap)EdnReader.Read(r.Stdout)!)[Keyword.Intern("t")]!;
    }

    private static Task Until(Func<bool> condition, Func<string> what) => Waits.Until(condition, Deadline, what);

    [Fact]
    public async Task A_client_removed_from_the_file_is_ended_on_SIGHUP_while_another_keeps_syncing()
    {
        var bobLine = TokenHash.ConfigLine("bob", "b-token"); // the same line after the reload: bob keeps its session
        await File.WriteAllTextAsync(Conf, Clients(TokenHash.ConfigLine("alice", "a-token"), bobLine));
        using var server = await ServeProcess.Start($"--db \"{Path.Combine(_dir, "m.db")}\" --port 0 --config \"{Conf}\"");
        await Transact(server, "alice", "a-token",
            "[{:db/ident :k/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
        using var alice = LiveReplica.Start(server, "alice", "a-token");
        using var bob = LiveReplica.Start(server, "bob", "b-token");
        await Until(() => alice.Stderr.Contains("bootstrapped t=") && bob.Stderr.Contains("bootstrapped t="),
            () => $"the replicas did not bootstrap: alice: {alice.Stderr} bob: {bob.Stderr}");

        await File.WriteAllTextAsync(Conf, Clients(bobLine));
        await Hup(server);

        Assert.True(alice.Process.WaitForExit(Deadline), $"alice still runs; server: {server.Stderr}");
        Assert.Equal(2, alice.Process.ExitCode);
        alice.Process.WaitForExit(); // the last of its output
        var errors = alice.StderrLines.Where(l => l.StartsWith("datsync replica: ", StringComparison.Ordinal)).ToList();
        var refusal = Assert.Single(errors);
        Assert.Equal(refusal, alice.StderrLines[^1]);
        Assert.Contains(":datsync.error/refused: ", refusal);
        Assert.Contains("client \"alice\" is not one this server knows", refusal);
        await Until(() => server.Stderr.Contains("datsync serve: reloaded"), () => server.Stderr);
        Assert.Contains("datsync serve: reloaded the client list (1 client); ended the sessions of alice\n", server.Stderr.ReplaceLineEndings("\n"));

        var t = await Transact(server, "bob", "b-token", """[{:db/id "x" :k/name "after"}]""");
        await Until(() => bob.Stdout.Contains($"t={t} "), () => $"bob did not apply t={t}: {bob.Stdout} {bob.Stderr}");
        Assert.False(bob.Process.HasExited);
        var refused = await DatsyncProcess.Run($"transact --server {server.HostPort} --client-id alice --token a-token -", "[]");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(0, await server.Terminate());
    }

    [Fact]
    public async Task A_file_with_a_plain_token_or_broken_HOCON_leaves_the_old_list_on_SIGHUP()
    {
        await File.WriteAllTextAsync(Conf, Clients(TokenHash.ConfigLine("alice", "a-token")));
        using var server = await ServeProcess.Start($"--db \"{Path.Combine(_dir, "m.db")}\" --port 0 --config \"{Conf}\"");

        await File.WriteAllTextAsync(Conf, "datsync.server.clients { alice = \"a-token\", mallory = \"m\" }\n");
        await Hup(server);
        await Until(() => server.Stderr.Contains("kept the old client list"), () => server.Stderr);
        var line = Assert.Single(server.Stderr.Split('\n'), l => l.Contains("kept the old client list"));
        Assert.Contains("holds a plain token", line);
        Assert.DoesNotContain("a-token", line);

        await File.WriteAllTextAsync(Conf, "datsync.server.clients { \"alice\" = \n");
        await Hup(server);
        await Until(() => server.Stderr.Split('\n').Count(l => l.Contains("kept the old client list")) == 2, () => server.Stderr);

        await Transact(server, "alice", "a-token", "[{:db/ident :k/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
        var mallory = await DatsyncProcess.Run($"transact --server {server.HostPort} --client-id mallory --token m -", "[]");
        Assert.Equal(2, mallory.ExitCode);
        Assert.False(server.Process.HasExited);
        Assert.Equal(0, await server.Terminate());
    }

    /// <summary>`datsync replica` without --until-t as a child process, its output collected as it comes.</summary>
    private sealed class LiveReplica : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        public Process Process { get; }

        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
        public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        private LiveReplica(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static LiveReplica Start(ServeProcess server, string client, string token) =>
            new(DatsyncProcess.Start($"replica --server {server.HostPort} --client-id {client} --token {token} --config \"{RepositoryFiles.Hocon("client.conf")}\""));

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(DatsyncProcess.Limit);
            Process.Dispose();
        }
    }
}
