using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Core;
using Datsync.Integration.Tests.Cluster;
using Datsync.Integration.Tests.Fixtures;
using Datsync.Integration.Tests.Remote;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync serve --cluster`: three nodes as child processes over one PostgreSQL database, a replica of this
/// process writing through their gateways while the node running the transactor is killed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ServeClusterTests(PostgresFixture pg) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-cluster-").FullName;

    /// <summary>:k/seq is not unique: a transaction committed twice would make two entities of one number.</summary>
    private const string Schema = """
        [{:db/ident :k/seq :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
         {:db/ident :k/phase :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>The --config files: hocon/cluster.conf, and over it the storage, no seeds (the first node forms the
    /// cluster) and quick failure detection (a lost node is downed within seconds).</summary>
    private string NodeConfig(string connectionString)
    {
        var path = Path.Combine(_dir, "cluster-test.conf");
        File.WriteAllText(path, $$"""
            datsync.storage.postgres.connection-string = {{StorageOptions.Quote(connectionString)}}
            datsync.cluster.seed-nodes = []
            datsync.cluster.split-brain-resolver.stable-after = 2s
            {{ClusterNodes.Quick}}
            """);
        return $"--config \"{RepositoryFiles.Hocon("cluster.conf")}\" --config \"{path}\"";
    }

    private string ClientConfig()
    {
        var path = Path.Combine(_dir, "client-test.conf");
        File.WriteAllText(path, RemoteTesting.Quick);
        return path;
    }

    /// <summary>A node; its cluster address is the line after `listening on`.</summary>
    private static async Task<(ServeProcess Node, string Cluster)> StartNode(string config, string roles, string? seed)
    {
        var node = await ServeProcess.Start($"--cluster --role {roles} --port 0 --cluster-listen 127.0.0.1:0 " +
                                            (seed is null ? "" : $"--seed {seed} ") + config);
        using var cts = new CancellationTokenSource(Long);
        var line = await node.Process.StandardOutput.ReadLineAsync(cts.Token);
        Assert.True(line?.StartsWith("cluster listening on ", StringComparison.Ordinal) == true, $"second line: {line}; stderr: {node.Stderr}");
        return (node, line!["cluster listening on ".Length..].Trim());
    }

    [Fact]
    public async Task Every_acknowledged_transaction_is_there_once_after_the_transactor_node_is_killed()
    {
        var step = "starting the nodes";
        ServeProcess[] nodes = [];
        try { await KillTheTransactorNode(s => step = s, n => nodes = n); }
        catch (TimeoutException e)
        {
            throw new Xunit.Sdk.XunitException($"timed out while {step}: {e.Message}\n" +
                                               string.Join("\n", nodes.Select((n, i) => $"node {i + 1} stderr:\n{n.Stderr}")));
        }
    }

    private async Task KillTheTransactorNode(Action<string> step, Action<ServeProcess[]> started)
    {
        var config = NodeConfig(await pg.CreateDatabaseAsync());
        var (n1, seed) = await StartNode(config, "transactor,gateway", null);
        using var node1 = n1;
        using var node2 = (await StartNode(config, "transactor,gateway", seed)).Node;
        using var node3 = (await StartNode(config, "gateway", seed)).Node;
        // every node up on every node before the kill: a node still joining does not count for the split brain resolver,
        // and two nodes up out of two that lose one are a tie the lowest address wins (the survivors would be downed)
        await Waits.Until(() => new[] { n1, node2, node3 }.All(n => n.Stderr.Contains("3 node(s) of the cluster up")), Long,
            () => "three nodes up on every node");
        started([node1, node2, node3]);
        step("waiting for node 1's transactor");
        await Waits.Until(() => node1.Stderr.Contains("the cluster's transactor runs on this node"), Long,
            () => $"node 1 (the first) never said it runs the transactor: {node1.Stderr}");

        // the first gateway first: the replica is on the node that is killed
        await using var writer = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "writer",
            Server = string.Join(",", node1.HostPort, node2.HostPort, node3.HostPort),
            Hocon = RemoteTesting.Quick,
        }).WaitAsync(Long);
        step("writing before the kill");
        await writer.TransactAsync(Schema).WaitAsync(Long);

        var acknowledged = new List<(int Seq, long T)>();
        var refused = new List<string>();
        var seq = 0;
        async Task Write(string phase)
        {
            var i = seq++;
            try { acknowledged.Add((i, (await writer.TransactAsync($$"""[{:k/seq {{i}} :k/phase "{{phase}}"}]""").WaitAsync(Long)).T)); }
            catch (TxRejectedException e) { refused.Add($"{i}: {e.Category} {e.Message}"); } // not acknowledged: there at most once
        }

        for (var i = 0; i < 10; i++) await Write("before");
        Assert.Equal(10, acknowledged.Count);
        var killedAt = seq;
        // in flight while the node dies: the replica's transaction on its way to the gateway that goes away
        step("writing while node 1 dies");
        var inFlight = Write("in flight");
        node1.KillHard();
        await inFlight;
        // until the transactor runs again (on node 2, the oldest transactor left) and takes writes
        step("writing after the kill");
        var afterKill = acknowledged.Count;
        while (acknowledged.Count < afterKill + 10)
        {
            await Write("after");
            Assert.True(refused.Count < 50, "the cluster refused 50 writes after the kill: " + string.Join("; ", refused.TakeLast(3)));
        }
        await Waits.Until(() => node2.Stderr.Contains("the cluster's transactor runs on this node"), Long,
            () => $"node 2 never said it runs the transactor: {node2.Stderr}");
        Assert.DoesNotContain("the cluster's transactor runs on this node", node3.Stderr); // a gateway only

        step("reading the master");
        // a t per acknowledged transaction
        Assert.Equal(acknowledged.Count, acknowledged.Select(a => a.T).Distinct().Count());
        var last = acknowledged.Max(a => a.T);

        // the master's value, read by a fresh replica of a surviving gateway
        await using var reader = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "reader", Server = node3.HostPort, Hocon = RemoteTesting.Quick,
        }).WaitAsync(Long);
        await reader.SyncAsync(last).WaitAsync(Long);
        await writer.SyncAsync(last).WaitAsync(Long);
        var master = reader.SyncedDb;
        var bySeq = master.Datoms(IndexType.Avet, Keyword.Intern(":k/seq")).GroupBy(d => (long)d.V!).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (i, t) in acknowledged)
            Assert.True(bySeq.GetValueOrDefault(i) == 1, $"transaction {i} (acknowledged at t={t}) is on the master {bySeq.GetValueOrDefault(i)} times");
        Assert.All(bySeq, kv => Assert.True(kv.Value == 1, $"seq {kv.Key} is on the master {kv.Value} times"));
        Assert.True(acknowledged.Any(a => a.Seq > killedAt), "no write was acknowledged after the kill");
        Assert.Equal(Datoms(master), Datoms(writer.SyncedDb));

        // `datsync replica` with a gateway list whose first one is gone: it moves on to the next
        var dump = await DatsyncProcess.Run($"replica --server {node1.HostPort},{node2.HostPort} --until-t {last} --dump --timeout 60 " +
                                            $"--config \"{ClientConfig()}\"");
        Assert.True(dump.ExitCode == 0, $"replica exited {dump.ExitCode}: {dump.Stderr}");
        var form = (EdnMap)EdnReader.ReadAll(dump.Stdout).Single()!;
        var dumped = ((IReadOnlyList<object?>)form[Keyword.Intern("replica")]!).Cast<IReadOnlyList<object?>>()
            .Count(d => Equals(d[1], Keyword.Intern(":k/seq")));
        Assert.Equal(bySeq.Count, dumped);

        step("stopping the survivors");
        // SIGTERM: the survivors leave the cluster and exit 0
        foreach (var node in new[] { node3, node2 })
        {
            var code = await node.Terminate();
            Assert.True(code == 0, $"a node exited {code} on SIGTERM: {node.Stderr}");
        }
    }

    [Fact]
    public async Task A_node_the_majority_downs_exits_non_zero_with_one_line()
    {
        var config = NodeConfig(await pg.CreateDatabaseAsync());
        var (n1, seed) = await StartNode(config, "transactor,gateway", null);
        using var node1 = n1;
        using var node2 = (await StartNode(config, "transactor,gateway", seed)).Node;
        var (n3, cluster3) = await StartNode(config, "gateway", seed);
        using var node3 = n3;
        await Waits.Until(() => new[] { node1, node2, node3 }.All(n => n.Stderr.Contains("3 node(s) of the cluster up")), Long,
            () => "three nodes up on every node");
        // node 3 frozen: the other two (the majority) mark it unreachable and their split brain resolver downs it
        Signal("STOP", node3);
        try
        {
            // the leader downs it: the member with the lowest address, either of the two
            await Waits.Until(() => new[] { node1, node2 }.Any(n => n.Stderr.Split('\n')
                    .Any(l => l.Contains("SBR took decision", StringComparison.Ordinal) && l.Contains(cluster3, StringComparison.Ordinal))),
                Long, () => $"neither node 1 nor node 2 downed node 3 ({cluster3}): {node1.Stderr}\n{node2.Stderr}");
        }
        finally { Signal("CONT", node3); }
        using (var cts = new CancellationTokenSource(Long)) await node3.Process.WaitForExitAsync(cts.Token);
        node3.Process.WaitForExit(); // the end of its standard error too
        Assert.NotEqual(0, node3.Process.ExitCode);
        var ours = node3.Stderr.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("datsync serve: ", StringComparison.Ordinal)).ToList();
        Assert.Contains("left the cluster", ours[^1], StringComparison.Ordinal);
        Assert.Single(ours, l => l.Contains("left the cluster", StringComparison.Ordinal));
        // the majority goes on
        Assert.False(node1.Process.HasExited, node1.Stderr);
        Assert.False(node2.Process.HasExited, node2.Stderr);
    }

    private static void Signal(string signal, ServeProcess node)
    {
        using var kill = System.Diagnostics.Process.Start("kill", $"-{signal} {node.Process.Id}")!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Fact]
    public async Task A_cluster_transport_on_every_interface_without_TLS_is_refused_in_one_line()
    {
        var port = DatsyncProcess.ClosedPort();
        var r = await DatsyncProcess.Run($"serve --cluster --cluster-listen 0.0.0.0:{port} --db \"{_dir}\" --port 0");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("datsync serve: ", line, StringComparison.Ordinal);
        Assert.Contains($"0.0.0.0:{port}", line, StringComparison.Ordinal);
        Assert.Contains("--cluster-cert", line, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task A_cluster_flag_without_cluster_is_refused()
    {
        var r = await DatsyncProcess.Run($"serve --seed 127.0.0.1:{DatsyncProcess.ClosedPort()} --db \"{_dir}\" --port 0");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.Contains("--seed", line, StringComparison.Ordinal);
        Assert.Contains("--cluster", line, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    private static List<string> Datoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => $"[{d.E} {db.Ident(d.A)} {EdnPrinter.Print(d.V)}]").Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
