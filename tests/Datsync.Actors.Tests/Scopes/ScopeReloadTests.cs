using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>Scopes replaced while the master runs (a role given and taken away, a rule changed): the next transaction
/// is checked against the new ones, and each scoped replica whose view changed is bootstrapped again with its new
/// filtered value — what it may no longer see leaves it — while the others keep their streams.</summary>
public class ScopeReloadTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    /// <summary><see cref="Docs.Hocon"/> with alice's roles as given.</summary>
    private static ServerScopes WithAliceRoles(params string[] roles) =>
        ServerScopes.From(ConfigurationFactory.ParseString(
            Docs.Hocon + $"\ndatsync.server.scopes.roles.alice = [{string.Join(", ", roles.Select(r => $"\"{r}\""))}]"))!;

    private static Db Filtered(ServerScopes scopes, Db master, string clientId) =>
        ScopeView.Of(scopes.Policy, scopes.IdentityOf(clientId), master).Filter();

    private void AwaitFiltered(MasterHandle master, DatsyncReplica replica, ServerScopes scopes, string clientId)
    {
        AwaitAssert(() =>
        {
            var db = DbOf(master.Transactor);
            Assert.Equal(db.BasisT, replica.Status.BasisT);
            if (DatsyncTestKit.Difference(Filtered(scopes, db, clientId), replica.SyncedDb) is { } difference) throw new Xunit.Sdk.XunitException(difference);
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    private async Task<IReadOnlyList<string>> Replace(IActorRef server, ServerScopes scopes) =>
        await server.Ask<object>(new ReplaceScopes(scopes), Long) switch
        {
            ScopesReplaced r => r.Rebootstrapped,
            var other => throw new Xunit.Sdk.XunitException($"the scopes were not replaced: {other}"),
        };

    [Fact]
    public async Task A_role_given_brings_its_entities_in_and_a_role_taken_away_purges_them_and_refuses_the_writes_it_allowed()
    {
        var plain = Docs.Scopes();
        var (master, server) = StartMaster("scope-reload", plain, Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        var bob = StartReplica(server, "bob");
        await alice.Ready.WaitAsync(Long);
        await bob.Ready.WaitAsync(Long);
        AwaitFiltered(master, alice, plain, "alice");
        Assert.Null(Lookup(alice.Db, "doc/key", "b1")); // bob's, not shared with her

        // alice becomes an admin: every document moves in; bob's view is the same and his stream goes on
        var admin = WithAliceRoles("admin");
        Assert.Equal(["alice"], await Replace(server, admin));
        AwaitFiltered(master, alice, admin, "alice");
        Assert.NotNull(Lookup(alice.Db, "doc/key", "b1"));
        await alice.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "edited by an admin"]]""").WaitAsync(Long);
        AwaitFiltered(master, bob, admin, "bob");
        Assert.Equal("edited by an admin", bob.Db.Entity(Lookup(bob.Db, "doc/key", "b1")!.Value)!.Get<string>(":doc/title"));

        // the role taken away: bob's document leaves her replica, and her next write to it is refused
        Assert.Equal(["alice"], await Replace(server, WithAliceRoles()));
        AwaitFiltered(master, alice, plain, "alice");
        Assert.Null(Lookup(alice.Db, "doc/key", "b1"));
        Assert.Null(Lookup(alice.SyncedDb, "doc/key", "b1"));
        var t = MasterT(master);
        var refused = await Assert.ThrowsAsync<TxRejectedException>(() =>
            alice.TransactAsync($"""[[:db/add {Lookup(DbOf(master.Transactor), "doc/key", "b1")} :doc/title "no longer hers"]]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Forbidden, refused.Category);
        Assert.Equal(t, MasterT(master));
    }

    [Fact]
    public async Task A_write_rule_added_while_running_refuses_the_next_transaction()
    {
        var plain = Docs.Scopes();
        var (master, server) = StartMaster("scope-reload-write", plain, Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);
        await alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title ""]]""").WaitAsync(Long); // allowed so far

        var strict = ServerScopes.From(ConfigurationFactory.ParseString(Docs.Hocon +
            "\ndatsync.server.scopes.write-rules.no-empty-title = \"\"\"[:find ?e ?a ?v ?added :where [(= ?a :doc/title)] [(= ?v \"\")] [(true? ?added)]]\"\"\""))!;
        Assert.Empty(await Replace(server, strict)); // nobody's view changed

        var ok = await alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title "a title"]]""").WaitAsync(Long);
        var refused = await Assert.ThrowsAsync<TxRejectedException>(() =>
            alice.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title ""]]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Forbidden, refused.Category);
        Assert.Contains("no-empty-title", refused.Message);
        Assert.Equal(ok.T, MasterT(master));
        Assert.Equal("a title", DbOf(master.Transactor).Entity(Lookup(DbOf(master.Transactor), "doc/key", "a1")!.Value)!.Get<string>(":doc/title"));
    }

    [Fact]
    public async Task A_server_started_without_scopes_does_not_take_them_while_running()
    {
        var (_, server) = StartMaster("scope-reload-none");
        var reply = await server.Ask<object>(new ReplaceScopes(Docs.Scopes()), Long);
        Assert.Contains("started without scopes", Assert.IsType<ScopesNotReplaced>(reply).Reason);
    }
}
