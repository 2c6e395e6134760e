using Datsync.Actors;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>Faults of a master on Akka.Cluster: the transactor's node lost during a stream of writes, a gateway lost,
/// a partition. Nodes of this process over one PostgreSQL database; each written event is its own entity (no unique
/// attribute), so a transaction committed twice would show as two.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterFailoverTests(PostgresFixture pg)
{
    private const string Schema = "[{:db/ident :event/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}]";

    private static string Event(int n) => $"[{{:event/n {n}}}]";

    /// <summary>The event numbers on <paramref name="db"/>, one per entity.</summary>
    private static List<long> Events(Db db) =>
        db.Datoms(IndexType.Avet, Keyword.Intern(":event/n")).Select(d => (long)d.V).Order().ToList();

    private static List<string> Datoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => $"[{d.E} {db.Ident(d.A)} {EdnPrinter.Print(d.V)}]").Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task The_transactors_node_stopped_hard_during_writes_a_new_transactor_takes_over_and_nothing_acknowledged_is_lost()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(hocon: ClusterNodes.Killable); // the oldest: it runs the transactor
        var b = await cluster.StartAsync(hocon: ClusterNodes.Killable);
        var c = await cluster.StartAsync("gateway", ClusterNodes.Killable);
        await b.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);
        var r1 = await cluster.ReplicaAsync("r1", cluster.Gateways(b, c));
        var r2 = await cluster.ReplicaAsync("r2", cluster.Gateways(c, b));

        // two writers, each awaiting its acknowledgement before the next write; the transactor's node dies under them
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<int>();
        var killed = new TaskCompletionSource();
        async Task Writer(DatsyncReplica r, int first)
        {
            for (var i = first; i < first + 40; i++)
            {
                if (i == first + 15) await killed.Task; // the rest go to the transactor that takes over
                await r.TransactAsync(Event(i)).WaitAsync(ClusterNodes.Long);
                acknowledged.Add(i);
            }
        }
        var writers = Task.WhenAll(Writer(r1, 0), Writer(r2, 1000));
        await Waits.Until(() => acknowledged.Count >= 20, ClusterNodes.Long, () => $"{acknowledged.Count} writes acknowledged before the kill");
        await ClusterNodes.KillAsync(a);
        killed.SetResult();
        await writers.WaitAsync(TimeSpan.FromMinutes(2));

        // b's transactor took over: every acknowledged write is on the master exactly once, nothing else is
        var last = Math.Max(r1.Status.BasisT, r2.Status.BasisT);
        await b.SyncAsync(last).WaitAsync(ClusterNodes.Long);
        await c.SyncAsync(last).WaitAsync(ClusterNodes.Long);
        Assert.Equal(acknowledged.Order().Select(i => (long)i).ToList(), Events(b.Db));
        Assert.Equal(1 + acknowledged.Count, b.Db.BasisT); // the schema, then one transaction per write
        Assert.NotNull(cluster.TransactorNode());
        Assert.Same(b, cluster.TransactorNode());
        var head = b.Db.BasisT;
        foreach (var r in new[] { r1, r2 }) await r.SyncAsync(head).WaitAsync(ClusterNodes.Long);
        foreach (var db in new[] { c.Db, r1.SyncedDb, r2.SyncedDb }) Assert.Equal(Datoms(b.Db), Datoms(db));
    }

    [Fact]
    public async Task A_gateway_lost_its_replicas_connect_to_another_and_go_on()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var t = await cluster.StartAsync("transactor", ClusterNodes.Killable);
        var g1 = await cluster.StartAsync("gateway", ClusterNodes.Killable);
        var g2 = await cluster.StartAsync("gateway", ClusterNodes.Killable);
        var r = await cluster.ReplicaAsync("r", cluster.Gateways(g1, g2)); // g1 first
        await r.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);
        for (var i = 0; i < 5; i++) await r.TransactAsync(Event(i)).WaitAsync(ClusterNodes.Long);

        await ClusterNodes.KillAsync(g1);
        for (var i = 5; i < 10; i++) await r.TransactAsync(Event(i)).WaitAsync(ClusterNodes.Long);

        await g2.SyncAsync(r.Status.BasisT).WaitAsync(ClusterNodes.Long);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i).ToList(), Events(g2.Db));
        Assert.Equal(11, g2.Db.BasisT);
        Assert.Equal(Datoms(g2.Db), Datoms(r.SyncedDb));
        Assert.Equal(ConnectionState.Connected, r.Status.Connection);
    }

    [Fact]
    public async Task A_minority_partition_stops_writing_and_the_majority_goes_on_with_one_transactor()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(hocon: ClusterNodes.Killable); // the transactor's node, alone on its side
        var b = await cluster.StartAsync(hocon: ClusterNodes.Killable);
        var c = await cluster.StartAsync("gateway", ClusterNodes.Killable);
        await a.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);
        var acknowledgedOnA = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            await a.TransactAsync(Event(i)).WaitAsync(ClusterNodes.Long);
            acknowledgedOnA.Add(i);
        }

        await ClusterNodes.PartitionAsync(a, b, c);
        // a keeps trying to write; the split brain resolver downs it (one of three), and its systems stop
        var n = 100_000;
        var deadline = DateTime.UtcNow + ClusterNodes.Long;
        while (!ClusterNodes.ClusterSystemOf(a).WhenTerminated.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the minority node was never downed");
            try
            {
                await a.TransactAsync(Event(n)).WaitAsync(TimeSpan.FromSeconds(2));
                acknowledgedOnA.Add(n);
            }
            catch (Exception e) when (e is TimeoutException or TxRejectedException or ObjectDisposedException or Akka.Actor.AskTimeoutException
                                          or TaskCanceledException or InvalidOperationException) { }
            n++;
        }
        await a.System.WhenTerminated.WaitAsync(ClusterNodes.Long);

        // the majority writes on, with the one transactor that took over from the journal
        await b.TransactAsync(Event(900_000)).WaitAsync(ClusterNodes.Long);
        await c.TransactAsync(Event(900_001)).WaitAsync(ClusterNodes.Long);
        await c.SyncAsync(b.Db.BasisT).WaitAsync(ClusterNodes.Long);
        var events = Events(b.Db);
        // everything a acknowledged is there once; nothing a was refused (or not answered) is there twice
        foreach (var i in acknowledgedOnA) Assert.Single(events, (long)i);
        Assert.Equal(events.Count, events.Distinct().Count());
        Assert.Equal(1 + events.Count, b.Db.BasisT); // one transaction per event: no journal written by two transactors
        Assert.Same(b, cluster.TransactorNode());
        Assert.Equal(Datoms(b.Db), Datoms(c.Db));
    }
}
