using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>Scopes on a cluster: a gateway's scoped replica holds the master filtered to its client, the cluster's
/// transactor (on another node) checks the client's write rules, and a replacement made on any node is in force on
/// every node.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterScopeTests(PostgresFixture pg)
{
    private const string Schema = Remote.RemoteScopeTests.Schema;

    private static readonly DatsyncScopesOptions Scopes = Remote.RemoteScopeTests.Scopes;

    private static List<string> Facts(Db db) => Remote.RemoteScopeTests.Facts(db);

    /// <summary>The schema, alice, bob and a document of each.</summary>
    private static async Task World(DatsyncMaster master)
    {
        await master.TransactAsync(Schema).WaitAsync(ClusterNodes.Long);
        await master.TransactAsync(Remote.RemoteScopeTests.World).WaitAsync(ClusterNodes.Long);
    }

    [Fact]
    public async Task A_scoped_replica_on_a_gateway_holds_its_view_and_the_transactor_elsewhere_refuses_what_it_may_not_write()
    {
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(configure: o => o.Scopes = Scopes); // the transactor's node
        var c = await cluster.StartAsync("gateway", configure: o => o.Scopes = Scopes);
        await World(a);
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
    [Fact]
    public async Task Scopes_replaced_on_one_node_are_in_force_on_every_node_and_on_a_node_that_joins_later()
    {
        var admin = Remote.RemoteScopeTests.AdminScopes;
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(configure: o => o.Scopes = admin); // the transactor's node
        var c = await cluster.StartAsync("transactor", configure: o => o.Scopes = admin); // no server: a transactor in waiting
        await World(a);
        var alice = await cluster.ReplicaAsync("alice", cluster.Gateways(a));
        await alice.SyncAsync(a.Db.BasisT).WaitAsync(ClusterNodes.Long);
        var a1 = new object?[] { Keyword.Intern("doc/key"), "a1" };
        var b1 = new object?[] { Keyword.Intern("doc/key"), "b1" };
        Assert.Null(alice.Db.EntId(b1));
        var b1Id = a.Db.EntId(b1)!.Value;
        var refused = await Assert.ThrowsAsync<TxRejectedException>(() => alice.TransactAsync($$"""[[:db/add {{b1Id}} :doc/title "mine"]]""").WaitAsync(ClusterNodes.Long));
        Assert.Equal(Keyword.Intern("datsync.error/forbidden"), refused.Category);

        // replaced on a node that runs neither the transactor nor a server
        var given = new DatsyncScopesOptions { Rules = admin.Rules, Roles = { ["alice"] = ["admin"], ["bob"] = ["admin"] } };
        await c.ReplaceScopesAsync(given).WaitAsync(ClusterNodes.Long);
        var policy = ServerScopes.From(new DatsyncMasterOptions { Scopes = given }.ToConfig())!;
        await Waits.Until(() => alice.Db.EntId(b1) is not null, ClusterNodes.Long, () => "alice's replica on node a holds bob's document once node c made her an admin");
        var m = await a.SyncAsync(a.Db.BasisT).WaitAsync(ClusterNodes.Long);
        Assert.Equal(Facts(ScopeView.Of(policy.Policy, policy.IdentityOf("alice"), m).Filter()), Facts(await alice.SyncAsync(m.BasisT).WaitAsync(ClusterNodes.Long)));
        // the transactor checks her write with her new role
        await alice.TransactAsync($$"""[[:db/add {{b1Id}} :doc/title "an admin's edit"]]""").WaitAsync(ClusterNodes.Long);
        Assert.Contains(a.Db.Datoms(IndexType.Eavt), d => d.E == b1Id && Equals(d.V, "an admin's edit"));

        // a node that joins later, configured with the old scopes, takes the cluster's
        var e = await cluster.StartAsync("gateway", configure: o => o.Scopes = admin);
        var bob = await cluster.ReplicaAsync("bob", cluster.Gateways(e));
        await Waits.Until(() => bob.Db.EntId(a1) is not null, ClusterNodes.Long, () => "bob's replica on the node that joined later holds alice's document (he is an admin)");

        // taken back through that node's server (as SIGHUP and the hosting package's options do): alice's replica on
        // node a loses bob's document, and her writes to it are refused again
        Assert.Equal(["bob"], await ScopesReload.ReplaceAsync(e.Server, new DatsyncMasterOptions { Scopes = admin }.ToConfig()).WaitAsync(ClusterNodes.Long));
        await Waits.Until(() => alice.Db.EntId(b1) is null, ClusterNodes.Long, () => "bob's document leaves alice's replica on node a with her role");
        await Waits.Until(() => bob.Db.EntId(a1) is null, ClusterNodes.Long, () => "alice's document leaves bob's replica with his role");
        var again = await Assert.ThrowsAsync<TxRejectedException>(() => alice.TransactAsync($$"""[[:db/add {{b1Id}} :doc/title "mine"]]""").WaitAsync(ClusterNodes.Long));
        Assert.Equal(Keyword.Intern("datsync.error/forbidden"), again.Category);
    }
}
