using Datsync.Actors;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>A master on Akka.Cluster: nodes in this process over one PostgreSQL database, replicas on different gateways.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterReplicationTests(PostgresFixture pg)
{
    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    [Fact]
    public async Task Replicas_on_different_gateways_converge_on_the_master()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync();
        var b = await cluster.StartAsync();
        var c = await cluster.StartAsync("gateway");
        await a.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);

        var r1 = await cluster.ReplicaAsync("r1", cluster.Gateways(a));
        var r2 = await cluster.ReplicaAsync("r2", cluster.Gateways(b));
        var r3 = await cluster.ReplicaAsync("r3", cluster.Gateways(c));
        // writes through every gateway's replica and through each node's own connection
        var results = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            results.Add((await r1.TransactAsync($"[{{:person/email \"a{i}@x\" :person/name \"A{i}\"}}]").WaitAsync(ClusterNodes.Long)).T);
            results.Add((await r2.TransactAsync($"[{{:person/email \"b{i}@x\" :person/name \"B{i}\"}}]").WaitAsync(ClusterNodes.Long)).T);
            results.Add((await r3.TransactAsync($"[{{:person/email \"c{i}@x\" :person/name \"C{i}\"}}]").WaitAsync(ClusterNodes.Long)).T);
            results.Add((await c.TransactAsync($"[{{:person/email \"n{i}@x\" :person/name \"N{i}\"}}]").WaitAsync(ClusterNodes.Long)).T);
        }
        Assert.Equal(results.Count, results.Distinct().Count());
        var last = results.Max();
        foreach (var node in new[] { a, b, c }) await node.SyncAsync(last).WaitAsync(ClusterNodes.Long);
        foreach (var r in new[] { r1, r2, r3 }) await r.SyncAsync(last).WaitAsync(ClusterNodes.Long);

        var expected = Datoms(a.Db);
        Assert.Equal(40, a.Db.Datoms(IndexType.Avet, Keyword.Intern(":person/email")).Count());
        foreach (var db in new[] { b.Db, c.Db, r1.SyncedDb, r2.SyncedDb, r3.SyncedDb })
            Assert.Equal(expected, Datoms(db));
    }

    private static List<string> Datoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => $"[{d.E} {db.Ident(d.A)} {EdnPrinter.Print(d.V)}]").Order(StringComparer.Ordinal).ToList();
}

/// <summary>The cluster transport acts only on its members: a system that reaches the port without joining cannot
/// write.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTrustTests(PostgresFixture pg)
{
    [Fact]
    public async Task A_transaction_from_a_system_that_is_not_a_member_is_dropped_and_commits_nothing()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync();
        await a.TransactAsync("[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]").WaitAsync(ClusterNodes.Long);
        var before = a.Db.BasisT;

        // a peer that speaks the cluster's wire but never joined
        var outsider = Akka.Actor.ActorSystem.Create("datsync-cluster", Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.loglevel = WARNING
            """).WithFallback(Datsync.Actors.Cluster.ClusterSettings.WireConfig).WithFallback(DatsyncConfig.Default));
        try
        {
            var probe = new Akka.TestKit.TestProbe(outsider, new Akka.TestKit.Xunit2.XunitAssertions());
            var transactor = outsider.ActorSelection(
                $"akka.tcp://datsync-cluster@{ClusterNodes.ClusterAddressOf(a)}/user/{Actors.Cluster.ClusterRuntime.ManagerName}/{Actors.Cluster.ClusterRuntime.SingletonName}");
            for (var i = 0; i < 3; i++)
                transactor.Tell(new Actors.Protocol.ClusterTransact($"outsider-{i}", "[{:person/name \"Mallory\"}]", null, null, null), probe.Ref);
            probe.ExpectNoMsg(TimeSpan.FromSeconds(3));

            // the next write of a member is the next t: nothing of the outsider's was committed
            var next = await a.TransactAsync("[{:person/name \"Ivan\"}]").WaitAsync(ClusterNodes.Long);
            Assert.Equal(before + 1, next.T);
            Assert.DoesNotContain(a.Db.Datoms(IndexType.Eavt), d => Equals(d.V, "Mallory"));
        }
        finally
        {
            await outsider.Terminate();
        }
    }
}
