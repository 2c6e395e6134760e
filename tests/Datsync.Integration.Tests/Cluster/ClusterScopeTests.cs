using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>Scopes on a cluster: a gateway's scoped replica holds the master filtered to its client, and the cluster's
/// transactor (on another node) checks the client's write rules.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterScopeTests(PostgresFixture pg)
{
    private const string Schema = Remote.RemoteScopeTests.Schema;

    private static readonly DatsyncScopesOptions Scopes = Remote.RemoteScopeTests.Scopes;

    private static List<string> Facts(Db db) => Remote.RemoteScopeTests.Facts(db);

    [Fact]
    public async Task A_scoped_replica_on_a_gateway_holds_its_view_and_the_transactor_elsewhere_refuses_what_it_may_not_write()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(configure: o => o.Scopes = Scopes); // the transactor's node
        var c = await cluster.StartAsync("gateway", configure: o => o.Scopes = Scopes);
        await a.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);
        await a.TransactAsync("""
            [{:db/id "alice" :user/id "alice"} {:db/id "bob" :user/id "bob"}
             {:doc/key "a1" :doc/title "Alice's plan" :doc/owner "alice"}
             {:doc/key "b1" :doc/title "Bob's notes" :doc/owner "bob"}]
            """).WaitAsync(ClusterNodes.Long);
        var alice = await cluster.ReplicaAsync("alice", cluster.Gateways(c));
        var policy = ServerScopes.From(new DatsyncMasterOptions { Scopes = Scopes }.ToConfig())!;

        async Task AssertFiltered()
        {
            var m = await c.SyncAsync(a.Db.BasisT).WaitAsync(ClusterNodes.Long);
            var here = await alice.SyncAsync(m.BasisT).WaitAsync(ClusterNodes.Long);
            Assert.Equal(Facts(ScopeView.Of(policy.Policy, policy.IdentityOf("alice"), m).Filter()), Facts(here));
        }

        await AssertFiltered();
        Assert.NotNull(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "a1" }));
        Assert.Null(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" }));
        Assert.NotNull(c.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" })); // the gateway's copy holds the whole master
        await a.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""").WaitAsync(ClusterNodes.Long);
        await AssertFiltered();
        Assert.NotNull(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" }));
        await alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title "edited on a gateway"]]""").WaitAsync(ClusterNodes.Long);

        // a write outside alice's view, refused by the transactor on node a with alice's identity
        await a.TransactAsync("""[[:db/retract [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""").WaitAsync(ClusterNodes.Long);
        await AssertFiltered();
        var b1 = a.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" })!.Value;
        var before = a.Db.BasisT;
        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => alice.TransactAsync($$"""[[:db/add {{b1}} :doc/title "mine"]]""").WaitAsync(ClusterNodes.Long));
        Assert.Equal(Keyword.Intern("datsync.error/forbidden"), ex.Category);
        Assert.Equal(before, (await a.TransactAsync("[]").WaitAsync(ClusterNodes.Long)).T - 1);
        Assert.Contains(a.Db.Datoms(IndexType.Eavt), d => d.E == b1 && Equals(d.V, "Bob's notes"));
        Assert.DoesNotContain(a.Db.Datoms(IndexType.Eavt), d => Equals(d.V, "mine"));
    }
}
