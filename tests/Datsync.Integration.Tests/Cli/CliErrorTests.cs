using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Integration.Tests.Cli;

/// <summary>A `datsync serve` that lists its clients (alice, with the hash of the token "secret"), shared by the error
/// tests.</summary>
public sealed class GuardedServer : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-guarded-").FullName;

    public ServeProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var conf = Path.Combine(_dir, "clients.conf");
        await File.WriteAllTextAsync(conf, $"datsync.server.clients {{\n  {TokenHash.ConfigLine("alice", "secret")}\n}}\n");
        Server = await ServeProcess.Start($"--db \"{Path.Combine(_dir, "master.db")}\" --port 0 --config \"{conf}\"");
        var schema = await DatsyncProcess.Run($"transact --server {Server.HostPort} --client-id alice --token secret -",
            "[{:db/ident :k/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
        Assert.True(schema.ExitCode == 0, schema.Stderr);
    }

    public Task DisposeAsync()
    {
        Server.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}

/// <summary>Bad input, an unreachable server, a wrong token: one line on standard error, a non-zero exit code, no
/// stack trace and no Akka log.</summary>
public sealed class CliErrorTests(GuardedServer guarded) : IClassFixture<GuardedServer>
{
    private string Server => guarded.Server.HostPort;

    private static void OneErrorLine(DatsyncProcess.Result r, int exitCode, string verb, string contains)
    {
        Assert.True(r.ExitCode == exitCode, $"exit code {r.ExitCode}, stderr: {r.Stderr}");
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"datsync {verb}: ", line);
        Assert.Contains(contains, line);
    }

    private static string Error(DatsyncProcess.Result r) =>
        (string)((EdnMap)EdnReader.Read(r.Stdout)!)[Keyword.Intern("error")]!;

    [Fact]
    public async Task Transact_against_an_unreachable_server()
    {
        var r = await DatsyncProcess.Run($"transact --server 127.0.0.1:{DatsyncProcess.ClosedPort()} --timeout 5 -", "[]");
        OneErrorLine(r, 2, "transact", "no datsync server answered at 127.0.0.1:");
        Assert.StartsWith(":datsync.error/unavailable: ", Error(r));
    }

    [Fact]
    public async Task Replica_of_an_unreachable_server()
    {
        var r = await DatsyncProcess.Run($"replica --server 127.0.0.1:{DatsyncProcess.ClosedPort()} --timeout 3");
        OneErrorLine(r, 2, "replica", "no datsync server answered at 127.0.0.1:");
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Transact_of_unreadable_EDN()
    {
        var r = await DatsyncProcess.Run($"transact --server {Server} --client-id alice --token secret -", "[{:k/name ");
        OneErrorLine(r, 1, "transact", ":db.error/invalid-tx-data: ");
        Assert.StartsWith(":db.error/invalid-tx-data: ", Error(r));
    }

    [Fact]
    public async Task Transact_naming_an_unknown_attribute()
    {
        var r = await DatsyncProcess.Run($"transact --server {Server} --client-id alice --token secret -", """[{:k/nope "x"}]""");
        OneErrorLine(r, 1, "transact", ":k/nope");
        Assert.StartsWith(":db.error/", Error(r));
    }

    [Fact]
    public async Task Transact_with_a_wrong_token()
    {
        var r = await DatsyncProcess.Run($"transact --server {Server} --client-id alice --token guess -", """[{:k/name "x"}]""");
        OneErrorLine(r, 2, "transact", "wrong token for client \"alice\"");
        Assert.StartsWith(":datsync.error/refused: ", Error(r));
    }

    [Fact]
    public async Task Replica_with_a_wrong_token_or_none()
    {
        OneErrorLine(await DatsyncProcess.Run($"replica --server {Server} --client-id alice --token guess"), 2, "replica",
            "wrong token for client \"alice\"");
        OneErrorLine(await DatsyncProcess.Run($"replica --server {Server} --client-id bob"), 2, "replica",
            "client \"bob\" is not one this server knows");
    }

    [Fact]
    public async Task A_known_client_transacts_and_replicates()
    {
        var r = await DatsyncProcess.Run($"transact --server {Server} --client-id alice --token secret -", """[{:db/id "n" :k/name "x"}]""");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var t = (long)((EdnMap)EdnReader.Read(r.Stdout)!)[Keyword.Intern("t")]!;
        var dump = await DatsyncProcess.Run($"replica --server {Server} --client-id alice --token secret --until-t {t} --dump");
        Assert.True(dump.ExitCode == 0, dump.Stderr);
        Assert.Contains(":k/name \"x\"]", dump.Stdout);
    }

    [Fact]
    public async Task Bad_usage()
    {
        OneErrorLine(await DatsyncProcess.Run("replica --server nohost --timeout 1"), 1, "replica", "given as host:port, got 'nohost'");
        OneErrorLine(await DatsyncProcess.Run("transact -", "[]"), 1, "transact", "give either --db PATH or --server HOST:PORT");
        OneErrorLine(await DatsyncProcess.Run("serve --port 0 --config /nonexistent/server.conf"), 1, "serve", "cannot read --config");
    }

    [Fact]
    public async Task Serve_refuses_a_plain_token_in_its_config_and_says_how_to_hash_it()
    {
        var dir = Directory.CreateTempSubdirectory("datsync-plain-").FullName;
        try
        {
            var conf = Path.Combine(dir, "plain.conf");
            await File.WriteAllTextAsync(conf, "datsync.server.clients { alice = \"plain-secret\" }\n");
            var r = await DatsyncProcess.Run($"serve --port 0 --db \"{Path.Combine(dir, "m.db")}\" --config \"{conf}\"");
            OneErrorLine(r, 1, "serve", "datsync.server.clients.\"alice\" holds a plain token");
            Assert.Contains("datsync token hash TOKEN --client-id alice", r.Stderr);
            Assert.DoesNotContain("plain-secret", r.Stderr);
            Assert.Equal("", r.Stdout);
        }
        finally { Directory.Delete(dir, true); }
    }
}
