using System.Diagnostics;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;
using static Datsync.Actors.Hosting.Tests.OwnedDocs;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync serve --config FILE` on a master started with scopes reads the scopes and roles of its files again
/// on SIGHUP: a role given shows a client what it could not see; rules that do not parse leave the old scopes in force.</summary>
public sealed class ServeScopesReloadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-scopes-reload-").FullName;
    private string Conf => Path.Combine(_dir, "scopes.conf");
    private string DbFile => Path.Combine(_dir, "m.db");

    private static string Scopes(string rules, string aliceRoles) =>
        $"datsync.server.scopes {{\n  rules = \"\"\"{rules}\"\"\"\n  roles {{ alice = [{aliceRoles}] }}\n}}\n";

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static async Task Hup(ServeProcess server)
    {
        using var kill = Process.Start("kill", $"-HUP {server.Process.Id}")!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static Task Until(Func<bool> condition, Func<string> what) => Waits.Until(condition, Deadline, what);

    private static string[] ServeLines(ServeProcess server, string containing) =>
        server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(containing, StringComparison.Ordinal)).ToArray();

    /// <summary>The documents a client's replica holds once synced to the master (`datsync replica --query`, which exits).</summary>
    private static async Task<object?> DocKeys(ServeProcess server, string client)
    {
        var r = await DatsyncProcess.Run(
            $"replica --server {server.HostPort} --client-id {client} --config \"{RepositoryFiles.Hocon("client.conf")}\" --query \"[:find ?k :where [?d :doc/key ?k]]\"");
        Assert.True(r.ExitCode == 0, $"replica exited {r.ExitCode}: {r.Stdout} {r.Stderr}");
        return EdnReader.ReadAll(r.Stdout).Single();
    }

    private static readonly object? Mine = EdnReader.Read("""#{["a1"]}""");
    private static readonly object? Every = EdnReader.Read("""#{["a1"] ["b1"]}""");
    private static readonly object? Bobs = EdnReader.Read("""#{["b1"]}""");

    /// <summary>The master's data written before it serves (the master's own writes, which no scope checks).</summary>
    private async Task<ServeProcess> Serve()
    {
        foreach (var edn in new[] { SchemaEdn, WorldEdn })
        {
            var r = await DatsyncProcess.Run($"transact --db \"{DbFile}\" -", edn);
            Assert.True(r.ExitCode == 0, $"transact exited {r.ExitCode}: {r.Stdout} {r.Stderr}");
        }
        return await ServeProcess.Start($"--db \"{DbFile}\" --port 0 --config \"{Conf}\"");
    }

    [Fact]
    public async Task A_role_given_in_the_file_shows_the_client_every_document_after_SIGHUP()
    {
        await File.WriteAllTextAsync(Conf, Scopes(Rules, ""));
        using var server = await Serve();
        Assert.Equal(Mine, await DocKeys(server, "alice"));
        Assert.Equal(Bobs, await DocKeys(server, "bob"));

        await File.WriteAllTextAsync(Conf, Scopes(Rules, "\"admin\""));
        await Hup(server);
        await Until(() => ServeLines(server, " scopes").Length == 1, () => server.Stderr);
        // alice's replica exited before the reload: no session of hers is left to bootstrap again, unless the server
        // has not yet seen the last one end
        Assert.Matches(@"^datsync serve: replaced the scopes; (no client's view changed|bootstrapped again \(their view changed\): alice)$",
            ServeLines(server, " scopes")[0]);

        Assert.Equal(Every, await DocKeys(server, "alice"));
        Assert.Equal(Bobs, await DocKeys(server, "bob"));

        // the role taken away again
        await File.WriteAllTextAsync(Conf, Scopes(Rules, ""));
        await Hup(server);
        await Until(() => ServeLines(server, " scopes").Length == 2, () => server.Stderr);
        Assert.StartsWith("datsync serve: replaced the scopes; ", ServeLines(server, " scopes")[1]);
        Assert.Equal(Mine, await DocKeys(server, "alice"));
        Assert.False(server.Process.HasExited);
        Assert.Equal(0, await server.Terminate());
    }

    [Fact]
    public async Task A_connected_replica_whose_view_changes_is_named_in_the_SIGHUP_line()
    {
        await File.WriteAllTextAsync(Conf, Scopes(Rules, ""));
        using var server = await Serve();
        // alice's replica stays connected through the reload, printing each new result of the query with its t
        var aliceOut = new System.Text.StringBuilder();
        using var alice = DatsyncProcess.Start(
            $"replica --server {server.HostPort} --client-id alice --config \"{RepositoryFiles.Hocon("client.conf")}\" --watch \"[:find ?k :where [?d :doc/key ?k]]\"");
        alice.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (aliceOut) aliceOut.AppendLine(e.Data); };
        alice.BeginOutputReadLine();
        string Out() { lock (aliceOut) return aliceOut.ToString(); }
        try
        {
            await Until(() => Out().Contains("#{[\"a1\"]}"), () => $"alice's first result: {Out()}");

            await File.WriteAllTextAsync(Conf, Scopes(Rules, "\"admin\""));
            await Hup(server);
            await Until(() => ServeLines(server, " scopes").Length == 1, () => server.Stderr);
            Assert.Equal("datsync serve: replaced the scopes; bootstrapped again (their view changed): alice", ServeLines(server, " scopes")[0]);
            await Until(() => Out().Split('\n').Any(l => l.Contains("\"b1\"")), () => $"alice never saw bob's document: {Out()}");
            var last = Out().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            Assert.Equal(Every, EdnReader.Read(System.Text.RegularExpressions.Regex.Match(last, @"^t=\d+ (.*)$").Groups[1].Value));
        }
        finally
        {
            if (!alice.HasExited) alice.Kill(entireProcessTree: true);
            alice.WaitForExit(DatsyncProcess.Limit);
        }
        Assert.Equal(0, await server.Terminate());
    }

    [Fact]
    public async Task Rules_that_do_not_parse_leave_the_old_scopes_in_force_on_SIGHUP()
    {
        await File.WriteAllTextAsync(Conf, Scopes(Rules, ""));
        using var server = await Serve();
        Assert.Equal(Mine, await DocKeys(server, "alice"));

        // no `visible` rule, and alice an admin: neither is taken
        await File.WriteAllTextAsync(Conf, Scopes("[[(seen ?e) [?e :doc/key]]]", "\"admin\""));
        await Hup(server);
        await Until(() => ServeLines(server, " scopes").Length == 1, () => server.Stderr);
        Assert.StartsWith("datsync serve: kept the old scopes: ", ServeLines(server, " scopes")[0]);
        Assert.Equal(Mine, await DocKeys(server, "alice"));

        // rules that are not even EDN
        await File.WriteAllTextAsync(Conf, Scopes("[[(visible ?client ?roles ?d", "\"admin\""));
        await Hup(server);
        await Until(() => ServeLines(server, " scopes").Length == 2, () => server.Stderr);
        Assert.StartsWith("datsync serve: kept the old scopes: ", ServeLines(server, " scopes")[1]);
        Assert.Equal(Mine, await DocKeys(server, "alice"));

        // and a good file afterwards is taken
        await File.WriteAllTextAsync(Conf, Scopes(Rules, "\"admin\""));
        await Hup(server);
        await Until(() => ServeLines(server, " scopes").Length == 3, () => server.Stderr);
        Assert.StartsWith("datsync serve: replaced the scopes; ", ServeLines(server, " scopes")[2]);
        Assert.Equal(Every, await DocKeys(server, "alice"));
        Assert.False(server.Process.HasExited);
        Assert.Equal(0, await server.Terminate());
    }
}
