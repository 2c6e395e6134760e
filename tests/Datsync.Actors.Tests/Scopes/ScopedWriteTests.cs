using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>The transactor checks a scoped client's transaction against its write rules before writing it: a refused
/// one is rejected with <c>:datsync.error/forbidden</c> naming the datom and the rule, nothing is committed, and the
/// replica's optimistic write leaves its view; the master's own writes are not checked.</summary>
public class ScopedWriteTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(Long);

    [Fact]
    public async Task A_write_the_client_may_not_make_is_refused_naming_the_datom_and_the_rule_and_nothing_is_committed()
    {
        var (master, server) = StartMaster("scoped-refuse", Docs.Scopes(), Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);
        var before = DbOf(master.Transactor);

        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => Within(alice.Submit("""[{:doc/key "x" :doc/title "orphan"}]""")));

        Assert.Equal(DatsyncErrors.Forbidden, ex.Category);
        Assert.Matches(@"^\[:db/add \d+ :doc/key ""x""\] breaks write rule entity$", ex.Message);
        var after = DbOf(master.Transactor);
        Assert.Equal(before.BasisT, after.BasisT);
        Assert.Null(Lookup(after, "doc/key", "x"));
    }

    [Fact]
    public async Task Editing_a_document_of_another_client_is_refused_by_the_entity_rule()
    {
        var (master, server) = StartMaster("scoped-other", Docs.Scopes(), Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);
        var b1 = Lookup(DbOf(master.Transactor), "doc/key", "b1")!.Value;
        var t = MasterT(master);

        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => Within(alice.Submit($$"""[[:db/add {{b1}} :doc/title "mine now"]]""")));

        Assert.Equal(DatsyncErrors.Forbidden, ex.Category);
        Assert.Equal($"""[:db/add {b1} :doc/title "mine now"] breaks write rule entity""", ex.Message);
        Assert.Equal(t, MasterT(master));
        Assert.Equal("Bob's notes", DbOf(master.Transactor).Entity(b1)!.Get<string>(":doc/title"));
    }

    [Fact]
    public async Task A_refused_optimistic_write_leaves_the_replicas_view()
    {
        var (master, server) = StartMaster("scoped-optimistic", Docs.Scopes(), Docs.SchemaEdn, Docs.WorldEdn);
        var (alice, shim) = StartShimmedReplica(server, "alice", 1, Faults.None);
        await alice.Ready.WaitAsync(Long);
        await alice.SyncAsync(MasterT(master)).WaitAsync(Long);

        shim.Tell(new FaultShim.Hold(m => m is SubmitTx or SubmitTxData));
        var refused = alice.Submit("""[{:doc/key "x" :doc/title "orphan"}]""");
        AwaitAssert(() => Assert.NotNull(Lookup(alice.Db, "doc/key", "x")), Long); // in the view while pending
        shim.Tell(new FaultShim.Hold(null));

        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => Within(refused));
        Assert.Equal(DatsyncErrors.Forbidden, ex.Category);
        AwaitAssert(() => Assert.Null(Lookup(alice.Db, "doc/key", "x")), Long);
        AwaitAssert(() => Assert.Equal(0, alice.Status.PendingLocal), Long);
        Assert.Null(Lookup(DbOf(master.Transactor), "doc/key", "x"));
    }

    [Fact]
    public async Task A_write_within_the_scope_commits()
    {
        var (master, server) = StartMaster("scoped-allow", Docs.Scopes(), Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);

        var r = await Within(alice.Submit("""
            [[:db/add [:doc/key "a1"] :doc/title "v2"]
             {:doc/key "a2" :doc/title "new" :doc/owner [:user/id "alice"]}]
            """));

        var db = await Within(alice.SyncAsync(r.T));
        Assert.Equal("v2", db.Entity(Lookup(db, "doc/key", "a1")!.Value)!.Get<string>(":doc/title"));
        var m = DbOf(master.Transactor);
        Assert.Equal(r.T, m.BasisT);
        Assert.Equal("new", m.Entity(Lookup(m, "doc/key", "a2")!.Value)!.Get<string>(":doc/title"));
    }

    [Fact]
    public async Task The_masters_own_writes_and_an_unscoped_server_are_not_checked()
    {
        var (master, server) = StartMaster("scoped-none");
        Commit(master, Docs.SchemaEdn);
        Commit(master, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);

        await Within(alice.Submit("""[{:doc/key "x" :doc/title "orphan"}]"""));

        var (scoped, _) = StartMaster("scoped-master-own", scopes: Docs.Scopes());
        Commit(scoped, Docs.SchemaEdn);
        Commit(scoped, Docs.WorldEdn);
        Commit(scoped, """[{:doc/key "x" :doc/title "orphan"}]"""); // the master's own transaction carries no identity
        Assert.NotNull(Lookup(DbOf(scoped.Transactor), "doc/key", "x"));
    }

    [Fact]
    public void A_one_shot_transaction_of_a_scoped_client_is_checked_as_its_replicas_are()
    {
        var (master, server) = StartMaster("scoped-once", Docs.Scopes(), Docs.SchemaEdn, Docs.WorldEdn);
        var t = MasterT(master);
        var client = CreateTestProbe();

        server.Tell(new TransactOnce("alice", null, "once-1", """[[:db/add [:doc/key "b1"] :doc/title "mine now"]]"""), client.Ref);
        var refused = client.ExpectMsg<TxRejected>(Long);
        server.Tell(new TransactOnce("alice", null, "once-2", """[[:db/add [:doc/key "a1"] :doc/title "v2"]]"""), client.Ref);
        var accepted = client.ExpectMsg<TxAccepted>(Long);

        Assert.Equal(DatsyncErrors.Forbidden, refused.Category);
        Assert.EndsWith("breaks write rule entity", refused.Message);
        Assert.Equal(t + 1, accepted.T);
    }

    [Fact]
    public void The_roles_of_a_client_come_from_the_configuration()
    {
        var scopes = Docs.Scopes();
        Assert.Equal(ClientIdentity.Of("admin-1", "admin"), scopes.IdentityOf("admin-1"));
        Assert.Equal(ClientIdentity.Of("alice"), scopes.IdentityOf("alice"));
        Assert.Null(ServerScopes.From(Config.Empty));
    }
}

/// <summary>A document store (users, documents owned and shared) and its scope, as HOCON.</summary>
internal static class Docs
{
    public const string SchemaEdn = """
        [{:db/ident :user/id    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title  :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner  :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/shared :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}]
        """;

    public const string WorldEdn = Datsync.Actors.Hosting.Tests.OwnedDocs.WorldEdn;

    /// <summary>A user sees itself, the documents it owns, those shared with it, and every document as an admin.</summary>
    public const string Hocon = """"
        datsync.server.scopes {
          rules = """[[(me ?client ?u) [?u :user/id ?client]]
                      [(visible ?client ?roles ?u) (me ?client ?u)]
                      [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
                      [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/shared ?u]]
                      [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]]"""
          roles { admin-1 = ["admin"] }
        }
        """";

    public static ServerScopes Scopes() => ServerScopes.From(ConfigurationFactory.ParseString(Hocon))!;
}

/// <summary>Scopes configured in code (<see cref="DatsyncScopesOptions"/>) reach the master started with them.</summary>
public class ScopesOptionsTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static DatsyncScopesOptions Options() => new()
    {
        Rules = """
            [[(me ?client ?u) [?u :user/id ?client]]
             [(visible ?client ?roles ?u) (me ?client ?u)]
             [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
             [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]]
            """,
        Attributes = ["user/*", ":doc/key", ":doc/title", ":doc/owner"],
        RoleAttributes = { ["admin"] = [":doc/shared"] },
        Roles = { ["admin-1"] = ["admin", "schema-admin"] },
        SchemaWriters = ["schema-admin"],
        WriteRules = { ["no-empty-title"] = """[:find ?e ?a ?v ?added :where [(= ?a :doc/title)] [(= ?v "")]]""" },
    };

    [Fact]
    public void The_options_give_the_policy_and_roles_they_declare()
    {
        var scopes = ServerScopes.From(new DatsyncMasterOptions { Scopes = Options() }.ToConfig())!;

        Assert.Equal(ClientIdentity.Of("admin-1", "admin", "schema-admin"), scopes.IdentityOf("admin-1"));
        Assert.Equal(["user/*", ":doc/key", ":doc/title", ":doc/owner"], scopes.Policy.ReadAttributes);
        Assert.Equal([":doc/shared"], scopes.Policy.RoleAttributes["admin"]);
        Assert.Contains("schema-admin", scopes.Policy.SchemaWriters);
        Assert.Equal("no-empty-title", Assert.Single(scopes.Policy.CustomWriteRules).Name);
        Assert.Equal(Options().Rules, scopes.Policy.VisibilityRules);
        Assert.Null(ServerScopes.From(new DatsyncMasterOptions().ToConfig()));
    }

    [Fact]
    public void A_rule_that_does_not_parse_fails_the_configuration_naming_the_path()
    {
        var ex = Assert.Throws<ConfigurationException>(() =>
            ServerScopes.From(new DatsyncMasterOptions { Scopes = { Rules = "[[(seen ?e) [?e :doc/key]]]" } }.ToConfig()));
        Assert.Contains("datsync.server.scopes", ex.Message);
        Assert.Contains("visible", ex.Message);
    }

    [Fact]
    public async Task A_master_started_with_scopes_refuses_what_a_replica_may_not_write()
    {
        var name = "scoped-" + Guid.NewGuid().ToString("N")[..8];
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Storage = { Kind = "memory" }, Scopes = Options(),
        }).WaitAsync(Long);
        await master.TransactAsync(Docs.SchemaEdn).WaitAsync(Long);
        await master.TransactAsync(Docs.WorldEdn).WaitAsync(Long);
        await using var alice = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "alice", ServerSystemName = name }).WaitAsync(Long);

        var empty = await Assert.ThrowsAsync<TxRejectedException>(() => alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title ""]]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Forbidden, empty.Category);
        Assert.EndsWith("breaks write rule no-empty-title", empty.Message);
        var r = await alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title "v2"]]""").WaitAsync(Long);
        Assert.Equal(r.T, master.Db.BasisT);
    }
}
