using Datsync.Actors;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync serve`, `datsync transact --server` and `datsync replica` as separate processes.</summary>
public sealed class ServeReplicaTransactTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-serve-").FullName;

    private const string Schema = """
        [{:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :k/batch :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    private Task<ServeProcess> Serve() =>
        ServeProcess.Start($"--db \"{_dir}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0");

    private static long T(string stdout) => (long)((EdnMap)EdnReader.Read(stdout)!)[Keyword.Intern("t")]!;

    private static async Task<long> Transact(ServeProcess server, string edn)
    {
        var r = await DatsyncProcess.Run($"transact --server {server.HostPort} -", edn);
        Assert.True(r.ExitCode == 0, $"transact exited {r.ExitCode}: {r.Stdout} {r.Stderr}");
        return T(r.Stdout);
    }

    /// <summary>The replica's datoms at t (or later) as (entity, attribute, value) lines, from `--until-t T --dump`.</summary>
    private static async Task<List<string>> ReplicaDump(ServeProcess server, long t)
    {
        var r = await DatsyncProcess.Run(
            $"replica --server {server.HostPort} --until-t {t} --dump --config \"{RepositoryFiles.Hocon("client.conf")}\"");
        Assert.True(r.ExitCode == 0, $"replica exited {r.ExitCode}: {r.Stderr}");
        var form = (EdnMap)EdnReader.ReadAll(r.Stdout).Single()!; // the dump is all there is on standard output
        return ((IReadOnlyList<object?>)form[Keyword.Intern("replica")]!)
            .Cast<IReadOnlyList<object?>>()
            .Select(d => $"{d[0]} {d[1]} {EdnPrinter.Print(d[2])}")
            .ToList();
    }

    [Fact]
    public async Task A_killed_server_restarted_on_its_data_has_every_acknowledged_transaction()
    {
        var acknowledged = new List<(long t, int id)>();
        long head;
        List<string> before;
        using (var server = await Serve())
        {
            Assert.Equal(1, await Transact(server, Schema));
            for (var i = 0; i < 5; i++) acknowledged.Add((await Transact(server, $$"""[{:k/id {{i}} :k/batch "acknowledged"}]"""), i));
            Assert.Equal(Enumerable.Range(2, 5).Select(t => (long)t), acknowledged.Select(a => a.t));

            // a transaction in flight when the server dies: acknowledged or not, never half there
            var big = new System.Text.StringBuilder("[");
            for (var i = 100; i < 5_100; i++) big.Append($$"""{:k/id {{i}} :k/batch "big"}""");
            big.Append(']');
            head = acknowledged[^1].t;
            before = await ReplicaDump(server, head);
            Assert.Equal(5, before.Count(d => d.Contains(":k/batch \"acknowledged\"")));
            var inFlight = DatsyncProcess.Run($"transact --server {server.HostPort} -", big.ToString());
            await Task.Delay(TimeSpan.FromMilliseconds(800));
            server.KillHard();
            var outcome = await inFlight;
            if (outcome.ExitCode == 0) head = T(outcome.Stdout);
            else Assert.Equal(2, outcome.ExitCode); // the server went away: unknown outcome, exit code 2
        }

        using (var restarted = await Serve())
        {
            var t = await Transact(restarted, """[{:k/id 7 :k/batch "after"}]""");
            Assert.True(t == head + 1 || t == head + 2, $"t after the restart is {t}, last acknowledged {head}");
            var after = await ReplicaDump(restarted, t);
            foreach (var d in before) Assert.Contains(d, after);
            var batches = after.Where(d => d.Contains(" :k/batch ")).ToList();
            Assert.Equal(5, batches.Count(d => d.EndsWith("\"acknowledged\"")));
            Assert.Equal(1, batches.Count(d => d.EndsWith("\"after\"")));
            Assert.Equal(t == head + 2 || head > acknowledged[^1].t ? 5_000 : 0, batches.Count(d => d.EndsWith("\"big\"")));
            Assert.Equal(0, await restarted.Terminate()); // SIGTERM: a clean stop
        }
    }

    [Fact]
    public async Task A_replica_prints_each_applied_transaction_and_serve_stops_cleanly_on_SIGTERM()
    {
        using var server = await Serve();
        Assert.Equal(1, await Transact(server, Schema));
        using var replica = DatsyncProcess.Start($"replica --server {server.HostPort} --until-t 3");
        var stdout = replica.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        var bootstrapped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        replica.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { bootstrapped.TrySetResult(); return; }
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("bootstrapped t=1:", StringComparison.Ordinal)) bootstrapped.TrySetResult();
        };
        replica.BeginErrorReadLine();
        await bootstrapped.Task.WaitAsync(DatsyncProcess.Limit);
        Assert.False(replica.HasExited, stderr.ToString());
        Assert.Equal(2, await Transact(server, """[{:k/id 1 :k/batch "a"} {:k/id 2 :k/batch "b"}]"""));
        Assert.Equal(3, await Transact(server, """[{:k/id 3 :k/batch "c"}]"""));
        using (var cts = new CancellationTokenSource(DatsyncProcess.Limit)) await replica.WaitForExitAsync(cts.Token);
        replica.WaitForExit(); // the end of standard error too
        Assert.True(replica.ExitCode == 0, stderr.ToString());
        // each transaction after the bootstrap's basis: its t and datoms (the tx entity's :db/txInstant included)
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["t=2 datoms=5", "t=3 datoms=3"], lines);
        Assert.Equal(0, await server.Terminate());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
