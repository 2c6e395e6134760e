using Datsync.Core;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>Scopes replaced through the public API (<see cref="DatsyncMaster.ReplaceScopesAsync"/>): the replicas of
/// the clients whose view changed are bootstrapped again with their new view, the others keep theirs; scopes that
/// name no rules, or a master started without scopes, leave everything as it was.</summary>
public class ScopeReloadApiTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>A user sees itself and the documents it owns; an admin sees every document.</summary>
    private static DatsyncScopesOptions Scopes(params string[] aliceRoles)
    {
        var options = new DatsyncScopesOptions
        {
            Rules = """
                [[(me ?client ?u) [?u :user/id ?client]]
                 [(visible ?client ?roles ?u) (me ?client ?u)]
                 [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
                 [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]]
                """,
        };
        if (aliceRoles.Length > 0) options.Roles["alice"] = [.. aliceRoles];
        return options;
    }

    private static long? Lookup(Db db, string attr, object value) => db.EntId(new object?[] { Keyword.Intern(attr), value });

    private static string? Title(Db db, string key) =>
        Lookup(db, "doc/key", key) is { } e ? db.Entity(e)?.Get<string>(":doc/title") : null;

    /// <summary>Waits until <paramref name="condition"/> holds of the replica's value, failing with what it holds.</summary>
    /// <summary>Waits, on a live query of the replica (its current result, then each change), until bob's document b1
    /// has <paramref name="title"/> there (null: the replica does not hold it).</summary>
    private static async Task UntilTitle(DatsyncReplica replica, string? title, string what)
    {
        await using var b1 = replica.Subscribe("[:find ?t . :in $ ?k :where [?e :doc/key ?k] [?e :doc/title ?t]]", "b1");
        if (await Reaches(b1, r => Equals(r, title))) return;
        throw new Xunit.Sdk.XunitException($"{replica.ClientId}'s replica never came to {what} (a1: {Title(replica.Db, "a1") ?? "-"}, b1: {Title(replica.Db, "b1") ?? "-"}, status {replica.Status})");
    }

    /// <summary>True once the subscription's result satisfies <paramref name="condition"/>, false if it does not
    /// within <see cref="Long"/>.</summary>
    private static async Task<bool> Reaches(QuerySubscription sub, Func<object?, bool> condition)
    {
        using var cts = new CancellationTokenSource(Long);
        try
        {
            await foreach (var u in sub.WithCancellation(cts.Token))
                if (condition(u.Result)) return true;
        }
        catch (OperationCanceledException) { }
        return false;
    }

    private static async Task<DatsyncMaster> StartMaster(string name, DatsyncScopesOptions? scopes)
    {
        var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Storage = { Kind = "memory" }, Scopes = scopes ?? new DatsyncScopesOptions(),
        }).WaitAsync(Long);
        await master.TransactAsync(Docs.SchemaEdn).WaitAsync(Long);
        await master.TransactAsync(Docs.WorldEdn).WaitAsync(Long);
        return master;
    }

    private static async Task<DatsyncReplica> Connect(string name, string clientId, DatsyncMaster master)
    {
        var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = clientId, ServerSystemName = name }).WaitAsync(Long);
        await replica.SyncAsync(master.Db.BasisT).WaitAsync(Long);
        return replica;
    }

    private static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_role_given_brings_another_clients_document_in_and_taking_it_away_removes_it()
    {
        var name = NewName("reload-api");
        await using var master = await StartMaster(name, Scopes());
        await using var alice = await Connect(name, "alice", master);
        await using var bob = await Connect(name, "bob", master);
        Assert.Equal("Alice's plan", Title(alice.Db, "a1"));
        Assert.Null(Title(alice.Db, "b1"));
        Assert.Equal("Bob's notes", Title(bob.Db, "b1"));
        Assert.Null(Title(bob.Db, "a1"));

        Assert.Equal(["alice"], await master.ReplaceScopesAsync(Scopes("admin")).WaitAsync(Long));
        await UntilTitle(alice, "Bob's notes", "hold bob's document");
        Assert.Equal("Alice's plan", Title(alice.Db, "a1"));

        // bob's view is the same: his replica goes on following the master
        var r = await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, v2"]]""").WaitAsync(Long);
        var bobDb = await bob.SyncAsync(r.T).WaitAsync(Long);
        Assert.Equal("Bob's notes, v2", Title(bobDb, "b1"));
        Assert.Null(Title(bobDb, "a1"));
        await UntilTitle(alice, "Bob's notes, v2", "follow bob's document as an admin");

        Assert.Equal(["alice"], await master.ReplaceScopesAsync(Scopes()).WaitAsync(Long));
        await UntilTitle(alice, null, "lose bob's document");
        Assert.Null(Lookup(alice.SyncedDb, "doc/key", "b1"));
        Assert.Equal("Alice's plan", Title(alice.Db, "a1"));
        Assert.Equal("Bob's notes, v2", Title(bob.Db, "b1"));
    }

    [Fact]
    public async Task A_live_query_of_a_replica_bootstrapped_again_gives_the_result_on_its_new_view()
    {
        var name = NewName("reload-api-live");
        await using var master = await StartMaster(name, Scopes());
        await using var alice = await Connect(name, "alice", master);
        await using var keys = alice.Subscribe("[:find ?k :where [_ :doc/key ?k]]");
        var mine = EdnReader.Read("""#{["a1"]}""");
        Assert.True(await Reaches(keys, r => Equals(r, mine)), $"the live query gave {keys.Current?.Result}");

        Assert.Equal(["alice"], await master.ReplaceScopesAsync(Scopes("admin")).WaitAsync(Long));
        await UntilTitle(alice, "Bob's notes", "hold bob's document");

        var both = EdnReader.Read("""#{["a1"] ["b1"]}""");
        Assert.True(await Reaches(keys, r => Equals(r, both)), $"the live query stayed at {keys.Current?.Result}");
    }

    [Fact]
    public async Task Scopes_without_rules_are_refused_and_the_old_ones_stay_in_force()
    {
        var name = NewName("reload-api-empty");
        await using var master = await StartMaster(name, Scopes());
        await using var alice = await Connect(name, "alice", master);

        await Assert.ThrowsAsync<ArgumentException>(() => master.ReplaceScopesAsync(new DatsyncScopesOptions { Roles = { ["alice"] = ["admin"] } }).WaitAsync(Long));

        // alice still sees what she saw: a change to bob's document does not reach her, a change to hers does
        await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, v2"]]""").WaitAsync(Long);
        var r = await master.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title "Alice's plan, v2"]]""").WaitAsync(Long);
        var db = await alice.SyncAsync(r.T).WaitAsync(Long);
        Assert.Equal("Alice's plan, v2", Title(db, "a1"));
        Assert.Null(Title(db, "b1"));
        Assert.Null(Lookup(alice.SyncedDb, "doc/key", "b1"));
        // and so does the transactor: her write to bob's document is still refused
        var refused = await Assert.ThrowsAsync<TxRejectedException>(() =>
            alice.TransactAsync($"""[[:db/add {Lookup(master.Db, "doc/key", "b1")} :doc/title "mine now"]]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Forbidden, refused.Category);
        Assert.Equal("Bob's notes, v2", Title(master.Db, "b1"));
    }

    [Fact]
    public async Task A_master_started_without_scopes_does_not_take_them()
    {
        var name = NewName("reload-api-none");
        await using var master = await StartMaster(name, null);
        await using var alice = await Connect(name, "alice", master);

        await Assert.ThrowsAsync<InvalidOperationException>(() => master.ReplaceScopesAsync(Scopes()).WaitAsync(Long));

        // alice still sees the whole master
        var r = await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, v2"]]""").WaitAsync(Long);
        var db = await alice.SyncAsync(r.T).WaitAsync(Long);
        Assert.Equal("Bob's notes, v2", Title(db, "b1"));
        Assert.Equal("Alice's plan", Title(db, "a1"));
    }
}
