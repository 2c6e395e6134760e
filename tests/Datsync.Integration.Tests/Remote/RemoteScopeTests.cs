using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>A scoped client over Akka.Remote: its replica in another actor system holds exactly the master filtered to
/// its scope through a share and an unshare, and the master refuses what it may not write.</summary>
public sealed class RemoteScopeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Users and documents (shared with users), the schema of the scoped tests over the network.</summary>
    internal const string Schema = """
        [{:db/ident :user/id    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title  :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner  :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/shared :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}]
        """;

    /// <summary>alice, bob and a document of each.</summary>
    internal const string World = Datsync.Actors.Hosting.Tests.OwnedDocs.WorldEdn;

    /// <summary>A user sees itself, the documents it owns and those shared with it.</summary>
    internal static readonly DatsyncScopesOptions Scopes = new()
    {
        Rules = """
            [[(me ?client ?u) [?u :user/id ?client]]
             [(visible ?client ?roles ?u) (me ?client ?u)]
             [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
             [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/shared ?u]]]
            """,
    };

    /// <summary>A user sees itself and the documents it owns, and every document as an admin (no one is, yet).</summary>
    internal static readonly DatsyncScopesOptions AdminScopes = new() { Rules = Datsync.Actors.Hosting.Tests.OwnedDocs.Rules };

    internal static List<string> Facts(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => $"[{d.E} {db.Ident(d.A)} {EdnPrinter.Print(d.V)}]").Order(StringComparer.Ordinal).ToList();

    /// <summary>A scoped master on loopback holding alice, bob and one document of each.</summary>
    private static async Task<DatsyncMaster> StartMaster(string name, DatsyncScopesOptions scopes)
    {
        var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Storage = { Kind = "memory" }, Listen = "127.0.0.1:0", Scopes = scopes,
        }).WaitAsync(Long);
        await master.TransactAsync(Schema).WaitAsync(Long);
        await master.TransactAsync(World).WaitAsync(Long);
        return master;
    }

    [Fact]
    public async Task A_remote_scoped_replica_holds_the_filtered_master_and_its_forbidden_write_is_refused()
    {
        var name = "scoped-remote-" + Guid.NewGuid().ToString("N")[..6];
        await using var master = await StartMaster(name, Scopes);
        await using var alice = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "alice", Server = master.ListeningAt, ServerSystemName = name,
        }).WaitAsync(Long);
        var policy = ServerScopes.From(new DatsyncMasterOptions { Scopes = Scopes }.ToConfig())!;

        async Task AssertFiltered()
        {
            var m = master.Db;
            var here = await alice.SyncAsync(m.BasisT).WaitAsync(Long);
            var expected = ScopeView.Of(policy.Policy, policy.IdentityOf("alice"), m).Filter();
            Assert.Equal(Facts(expected), Facts(here));
        }

        await AssertFiltered();
        Assert.Null(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" }));
        await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""").WaitAsync(Long);
        await AssertFiltered();
        Assert.NotNull(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" }));
        await alice.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "edited while shared"]]""").WaitAsync(Long);
        await master.TransactAsync("""[[:db/retract [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""").WaitAsync(Long);
        await AssertFiltered();
        Assert.Null(alice.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" }));

        var b1 = master.Db.EntId(new object?[] { Keyword.Intern("doc/key"), "b1" })!.Value;
        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => alice.TransactAsync($$"""[[:db/add {{b1}} :doc/title "mine"]]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Forbidden, ex.Category);
        Assert.Equal($"""[:db/add {b1} :doc/title "mine"] breaks write rule entity""", ex.Message);
        Assert.Equal("edited while shared", master.Db.Entity(b1)!.Get<string>(":doc/title"));
    }

    [Fact]
    public async Task A_remote_scoped_replica_whose_view_changes_is_bootstrapped_again_at_once_with_its_new_value()
    {
        var name = "scoped-remote-reload-" + Guid.NewGuid().ToString("N")[..6];
        var admin = AdminScopes;
        await using var master = await StartMaster(name, admin);
        // without a word from the session, this replica would connect again only after an hour: what follows comes
        // from the session's signal, not from a timeout
        await using var alice = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "alice", Server = master.ListeningAt, ServerSystemName = name, ConnectionTimeout = TimeSpan.FromHours(1),
        }).WaitAsync(Long);
        await alice.SyncAsync(master.Db.BasisT).WaitAsync(Long);
        var b1 = new object?[] { Keyword.Intern("doc/key"), "b1" };
        Assert.Null(alice.Db.EntId(b1));

        var given = new DatsyncScopesOptions { Rules = admin.Rules, Roles = { ["alice"] = ["admin"] } };
        Assert.Equal(["alice"], await master.ReplaceScopesAsync(given).WaitAsync(Long));
        var policy = ServerScopes.From(new DatsyncMasterOptions { Scopes = given }.ToConfig())!;
        await Waits.Until(() => alice.Db.EntId(b1) is not null, Long, () => "alice's replica holds bob's document once she is an admin");
        var m = master.Db;
        var here = await alice.SyncAsync(m.BasisT).WaitAsync(Long);
        Assert.Equal(Facts(ScopeView.Of(policy.Policy, policy.IdentityOf("alice"), m).Filter()), Facts(here));

        Assert.Equal(["alice"], await master.ReplaceScopesAsync(admin).WaitAsync(Long)); // the role taken away
        await Waits.Until(() => alice.Db.EntId(b1) is null, Long, () => "bob's document leaves alice's replica with her role");
    }
}
