using Akka.Actor;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Tests.Replication;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Server;

/// <summary><see cref="ReplaceClients"/>: a client taken off the list loses its session at once and is refused when
/// it connects again; the others keep syncing.</summary>
public class RevocationTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private DatsyncReplica Replica(IActorRef server, string clientId, string token) =>
        DatsyncReplica.Start(Sys, server, clientId, QuickReplica, "r-" + clientId + "-" + Guid.NewGuid().ToString("N")[..6], token: token);

    private object Replace(IActorRef server, ClientAccess access)
    {
        var probe = CreateTestProbe();
        server.Tell(new ReplaceClients(access), probe.Ref);
        return probe.ExpectMsg<object>(Long);
    }

    [Fact]
    public async Task A_removed_client_is_ended_and_refused_while_a_kept_one_keeps_syncing()
    {
        var access = ClientAccess.Of([new("alice", "a-token"), new("bob", "b-token")]);
        var (master, server) = StartMaster("revoke-remove", access: access);
        Commit(master, SchemaEdn);
        var alice = Replica(server, "alice", "a-token");
        var bob = Replica(server, "bob", "b-token");
        await Task.WhenAll(alice.Ready, bob.Ready).WaitAsync(Long);
        var aliceSession = await Sys.ActorSelection(server.Path / "session-alice").ResolveOne(Long);
        Watch(aliceSession);

        var kept = ClientAccess.OfHashes([new("bob", access.CredentialOf("bob")!.ToString())]);
        var reply = Assert.IsType<ClientsReplaced>(Replace(server, kept));
        Assert.Equal(["alice"], reply.Ended);
        ExpectTerminated(aliceSession, Long);

        AwaitAssert(() => Assert.Equal(ConnectionState.Refused, alice.Status.Connection), Long);
        Assert.Contains("client \"alice\" is not one this server knows", alice.Refusal!.Message);
        var t = Commit(master, """[{:item/key "after" :item/n 1}]""").T;
        await bob.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(ConnectionState.Connected, bob.Status.Connection);
        Assert.True(alice.Status.BasisT < t);
    }

    [Fact]
    public async Task A_revoked_replica_drops_the_masters_data_and_its_session_ends()
    {
        var access = ClientAccess.Of([new("alice", "a-token"), new("bob", "b-token")]);
        var (master, server) = StartMaster("revoke-purge", access: access);
        Commit(master, SchemaEdn);
        var t0 = Commit(master, """[{:item/key "secret" :item/n 7}]""").T;
        var alice = Replica(server, "alice", "a-token");
        await alice.Ready.WaitAsync(Long);
        await alice.SyncAsync(t0).WaitAsync(Long);
        Assert.NotEmpty(alice.Db.Q("[:find ?e :where [?e :item/key \"secret\"]]") as IEnumerable<object?> ?? []);
        var aliceSession = await Sys.ActorSelection(server.Path / "session-alice").ResolveOne(Long);
        Watch(aliceSession);

        // alice's token is replaced: her session ends and her replica, refused, no longer holds anything of the master
        Assert.Equal(["alice"], Assert.IsType<ClientsReplaced>(Replace(server, ClientAccess.Of([new("alice", "new-token"), new("bob", "b-token")]))).Ended);
        ExpectTerminated(aliceSession, Long);
        var refusal = await alice.WhenRefused.WaitAsync(Long);
        Assert.Contains("wrong token for client \"alice\"", refusal.Message);

        Assert.Equal(ConnectionState.Refused, alice.Status.Connection);
        Assert.False(alice.Status.Bootstrapped);
        Assert.Equal(0, alice.Db.Count - Datsync.Core.Db.Empty.Count);
        Assert.Equal(0, alice.SyncedDb.Count - Datsync.Core.Db.Empty.Count);
        Assert.Null(alice.Db.Schema[Datsync.Core.Keyword.Intern("item/key")]);
        Assert.Equal(ConnectionState.Refused, alice.Snapshot.Status.Connection);
        Assert.Equal(0, alice.Snapshot.Db.Count - Datsync.Core.Db.Empty.Count);
        await Assert.ThrowsAsync<Datsync.Core.TxRejectedException>(() => alice.TransactAsync("""[{:item/key "late" :item/n 1}]""").WaitAsync(Long));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => Sys.ActorSelection(server.Path / "session-alice").ResolveOne(Long)); // no new session
    }

    [Fact]
    public async Task A_client_given_another_token_is_ended_and_its_old_token_refused()
    {
        var (master, server) = StartMaster("revoke-rehash", access: ClientAccess.Of([new("alice", "old"), new("bob", "b")]));
        Commit(master, SchemaEdn);
        var alice = Replica(server, "alice", "old");
        await alice.Ready.WaitAsync(Long);

        var reply = Assert.IsType<ClientsReplaced>(Replace(server, ClientAccess.Of([new("alice", "new"), new("bob", "b")])));
        Assert.Equal(["alice"], reply.Ended);
        AwaitAssert(() => Assert.Equal(ConnectionState.Refused, alice.Status.Connection), Long);
        Assert.Contains("wrong token for client \"alice\"", alice.Refusal!.Message);

        // the new token gets a new session under the same name
        var again = Replica(server, "alice", "new");
        await again.Ready.WaitAsync(Long);
        AwaitEqual(master, again);
    }

    [Fact]
    public async Task A_list_that_keeps_every_credential_ends_no_session()
    {
        var access = ClientAccess.Of([new("alice", "a")]);
        var (master, server) = StartMaster("revoke-none", access: access);
        Commit(master, SchemaEdn);
        var alice = Replica(server, "alice", "a");
        await alice.Ready.WaitAsync(Long);
        var session = await Sys.ActorSelection(server.Path / "session-alice").ResolveOne(Long);

        var reloaded = ClientAccess.OfHashes([new("alice", access.CredentialOf("alice")!.ToString()), new("carol", TokenHash.Create("c").ToString())]);
        Assert.Empty(Assert.IsType<ClientsReplaced>(Replace(server, reloaded)).Ended);
        var t = Commit(master, """[{:item/key "k" :item/n 2}]""").T;
        await alice.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(session, await Sys.ActorSelection(server.Path / "session-alice").ResolveOne(Long));
    }

    [Fact]
    public async Task An_open_server_given_a_list_ends_the_sessions_of_clients_it_does_not_admit()
    {
        var (master, server) = StartMaster("revoke-open");
        Commit(master, SchemaEdn);
        var anyone = StartReplica(server, "anyone");
        await anyone.Ready.WaitAsync(Long);
        Assert.Equal(["anyone"], Assert.IsType<ClientsReplaced>(Replace(server, ClientAccess.Of([new("listed", "x")]))).Ended);
        AwaitAssert(() => Assert.Equal(ConnectionState.Refused, anyone.Status.Connection), Long);
    }

    [Fact]
    public async Task An_empty_list_does_not_replace_a_guarded_one_and_a_message_without_sender_is_ignored()
    {
        var access = ClientAccess.Of([new("alice", "a")]);
        var (master, server) = StartMaster("revoke-guard", access: access);
        Commit(master, SchemaEdn);
        Assert.Contains("any client", Assert.IsType<ClientsNotReplaced>(Replace(server, ClientAccess.Open)).Reason);

        server.Tell(new ReplaceClients(ClientAccess.Of([new("mallory", "m")])), ActorRefs.NoSender);
        var open = StartReplica(server, "mallory"); // no token: refused, whether by the old list or a forged one
        var e = await Assert.ThrowsAsync<Datsync.Core.TxRejectedException>(() => open.Ready.WaitAsync(Long));
        Assert.Contains("not one this server knows", e.Message);
        var alice = Replica(server, "alice", "a");
        await alice.Ready.WaitAsync(Long); // the old list is in force
    }

    [Fact]
    public async Task A_restarted_server_keeps_the_list_it_was_given_last()
    {
        var access = ClientAccess.Of([new("alice", "a-token"), new("bob", "b-token")]);
        var (master, server) = StartMaster("revoke-restart", access: access);
        Commit(master, SchemaEdn);
        var bobOnly = ClientAccess.OfHashes([new("bob", access.CredentialOf("bob")!.ToString())]);
        Assert.IsType<ClientsReplaced>(Replace(server, bobOnly));

        ((IInternalActorRef)server).Restart(new InvalidOperationException("a test restarts the server"));
        var alice = Replica(server, "alice", "a-token");
        var e = await Assert.ThrowsAsync<Datsync.Core.TxRejectedException>(() => alice.Ready.WaitAsync(Long));
        Assert.Contains("client \"alice\" is not one this server knows", e.Message);
        var bob = Replica(server, "bob", "b-token");
        await bob.Ready.WaitAsync(Long);
    }
}
