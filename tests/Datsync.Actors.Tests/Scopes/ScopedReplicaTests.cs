using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>A scoped client's replica holds exactly the master filtered to its scope, at every t: its bootstrap is the
/// filtered value, each delta carries only what it may see (what moved in, the retraction of what moved out), and no
/// message a session sends it holds a datom it may not see or the master's value.</summary>
public class ScopedReplicaTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly ServerScopes Scopes = Docs.Scopes();

    /// <summary>The master's transactions after the world: a share (b1 moves in for alice), edits in and out of her
    /// scope, her own write, an unshare (b1 moves out), and an edit of what she no longer sees.</summary>
    private static readonly string[] Stream =
    [
        """[[:db/add [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""",
        """[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, shared"]]""",
        """[{:doc/key "c1" :doc/title "Bob's secret" :doc/owner [:user/id "bob"]}]""",
        """[[:db/add [:doc/key "a1"] :doc/title "Alice's plan v2"]]""",
        """[[:db/retract [:doc/key "b1"] :doc/shared [:user/id "alice"]]]""",
        """[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, private again"]]""",
    ];

    private static Db Filtered(Db master, string clientId) => ScopeView.Of(Scopes.Policy, Scopes.IdentityOf(clientId), master).Filter();

    private Db CommitWithValue(MasterHandle master, string edn)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(new Transact(Guid.NewGuid().ToString("N"), Forms(edn), WithValues: true), probe.Ref);
        return probe.ExpectMsg<TxAccepted>(Long).DbAfter!;
    }

    private void AwaitFiltered(MasterHandle master, DatsyncReplica replica, string clientId)
    {
        var db = DbOf(master.Transactor);
        var expected = Filtered(db, clientId);
        AwaitAssert(() =>
        {
            Assert.Equal(db.BasisT, replica.Status.BasisT);
            if (DatsyncTestKit.Difference(expected, replica.SyncedDb) is { } difference) throw new Xunit.Sdk.XunitException(difference);
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_scoped_replica_equals_the_filtered_master_through_a_share_and_an_unshare()
    {
        var (master, server) = StartMaster("scoped-view", Scopes, Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        var bob = StartReplica(server, "bob");
        await alice.Ready.WaitAsync(Long);
        await bob.Ready.WaitAsync(Long);
        AwaitFiltered(master, alice, "alice");
        Assert.Null(Lookup(alice.Db, "doc/key", "b1")); // not hers, not shared yet

        foreach (var (tx, i) in Stream.Select((tx, i) => (tx, i)))
        {
            if (i == 3) await alice.TransactAsync(tx).WaitAsync(Long); // her own write, through her session
            else Commit(master, tx);
            AwaitFiltered(master, alice, "alice");
            AwaitFiltered(master, bob, "bob");
            if (i == 1) Assert.Equal("Bob's notes, shared", alice.Db.Entity(Lookup(alice.Db, "doc/key", "b1")!.Value)!.Get<string>(":doc/title"));
        }

        Assert.Null(Lookup(alice.Db, "doc/key", "b1")); // moved out
        Assert.Null(Lookup(alice.Db, "doc/key", "c1"));
        Assert.NotNull(Lookup(bob.Db, "doc/key", "c1"));
        Assert.Equal(Filtered(DbOf(master.Transactor), "alice").Count, alice.SyncedDb.Count);
    }

    [Fact]
    public async Task A_scoped_replica_that_connects_again_is_bootstrapped_with_the_filtered_value()
    {
        var (master, server) = StartMaster("scoped-again", Scopes, Docs.SchemaEdn, Docs.WorldEdn);
        Commit(master, Stream[0]);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);
        AwaitFiltered(master, alice, "alice");
        var held = alice.SyncedDb;
        await alice.DisposeAsync();
        foreach (var tx in Stream.Skip(1)) Commit(master, tx);

        var again = StartReplica(server, "alice", resumeFrom: held);
        await again.Ready.WaitAsync(Long);

        AwaitFiltered(master, again, "alice");
        Assert.Null(Lookup(again.Db, "doc/key", "b1"));
    }

    [Fact]
    public async Task A_scoped_replica_is_bootstrapped_again_after_a_restart_of_its_session()
    {
        var (master, server) = StartMaster("scoped-session-restart", Scopes, Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        await alice.Ready.WaitAsync(Long);
        AwaitFiltered(master, alice, "alice");
        var session = await Sys.ActorSelection(server.Path / DatsyncServerActor.SessionName("alice")).ResolveOne(Long);

        session.Tell(FailForTest.Instance); // it throws: the server restarts it, without the scope it filtered from
        foreach (var tx in Stream.Take(3)) Commit(master, tx);

        AwaitFiltered(master, alice, "alice");
        Assert.NotNull(Lookup(alice.Db, "doc/key", "b1"));
    }

    [Fact]
    public async Task A_scoped_replica_follows_across_a_restart_of_the_log_listener()
    {
        var (master, server) = StartMaster("scoped-listener-restart", Scopes, Docs.SchemaEdn, Docs.WorldEdn);
        var alice = StartReplica(server, "alice");
        var bob = StartReplica(server, "bob");
        await alice.Ready.WaitAsync(Long);
        await bob.Ready.WaitAsync(Long);

        master.Listener.Tell(TxListenerActor.FailForTest.Instance);
        foreach (var tx in Stream) Commit(master, tx);

        AwaitFiltered(master, alice, "alice");
        AwaitFiltered(master, bob, "bob");
        Assert.Null(Lookup(alice.Db, "doc/key", "c1"));
    }

    [Fact]
    public void No_message_a_scoped_session_sends_holds_a_datom_its_client_may_not_see_or_the_masters_value()
    {
        var (master, server) = StartMaster("scoped-wire", scopes: Scopes);
        Commit(master, Docs.SchemaEdn);
        var values = new Dictionary<long, Db> { [0] = Db.Empty };
        var world = CommitWithValue(master, Docs.WorldEdn);
        values[world.BasisT] = world;

        // a probe is the replica, in this process: what the session sends reaches it as it is, nothing stripped
        var replica = CreateTestProbe();
        const string key = "scoped-wire-key";
        server.Tell(new Connect("alice", null, 1, null, key), replica.Ref);
        var connected = replica.FishForMessage<Connected>(_ => true, Long);
        var chunks = new List<byte[]>();
        while (chunks.Count < connected.BootstrapChunks)
        {
            var chunk = replica.FishForMessage<BootstrapChunk>(_ => true, Long);
            chunks.Add(chunk.Payload);
            replica.Reply(new ToSession(key, new BootstrapAck(chunk.BasisT, chunks.Count)));
        }
        var image = BootstrapImage.Decode(chunks);
        Assert.Equal(world.BasisT, image.BasisT);
        Assert.Null(DatsyncTestKit.Difference(Filtered(world, "alice"), image));

        foreach (var tx in Stream)
        {
            var after = CommitWithValue(master, tx);
            values[after.BasisT] = after;
        }
        var lastT = values.Keys.Max();
        var delivered = new List<TxDelta>();
        while (delivered.Count == 0 || delivered[^1].T < lastT)
        {
            var m = replica.FishForMessage(m => m is TxDelta or TxDeltaBatch or TxRangeResult, Long);
            delivered.AddRange(m switch
            {
                TxDelta d => [d],
                TxDeltaBatch b => b.Deltas,
                TxRangeResult r => r.Deltas,
                _ => [],
            });
        }

        // one stream: each delta after the one before it (from the bootstrap's t), skipping what does not concern alice
        for (var i = 0; i < delivered.Count; i++)
            Assert.Equal(i == 0 ? world.BasisT : delivered[i - 1].T, delivered[i].Prev);
        var identity = Scopes.IdentityOf("alice");
        foreach (var d in delivered)
        {
            Assert.Null(d.MasterValue);
            var before = ScopeView.Of(Scopes.Policy, identity, values[d.T - 1]);
            var at = ScopeView.Of(Scopes.Policy, identity, values[d.T]);
            foreach (var datom in d.TxData)
                Assert.True(datom.Added ? at.IsVisible(datom) : before.IsVisible(datom), $"t={d.T}: {datom} is not visible to alice");
        }
        var share = delivered.Single(d => d.T == world.BasisT + 1);
        var b1 = Lookup(world, "doc/key", "b1")!.Value;
        Assert.Contains(share.TxData, d => d.Added && d.E == b1 && "Bob's notes".Equals(d.V)); // moved in with its datoms
        var unshare = delivered.Single(d => d.T == world.BasisT + 5);
        Assert.Contains(unshare.TxData, d => !d.Added && d.E == b1 && "Bob's notes, shared".Equals(d.V)); // moved out
        // c1 is bob's: nothing of its t reaches alice (no delta, or an empty one that moves her t on)
        Assert.All(delivered.Where(d => d.T == world.BasisT + 3), d => Assert.Empty(d.TxData));
    }
}

/// <summary>A scoped session answers its replica's range requests from its own scoped deltas, and bootstraps the
/// replica again when asked for what it no longer holds; it never relays the journal's unfiltered ranges.</summary>
public class ScopedRangeTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly ServerScopes Scopes = Docs.Scopes();

    [Fact]
    public void A_range_the_session_holds_is_answered_scoped_and_one_it_does_not_bootstraps_the_replica_again()
    {
        var (master, server) = StartMaster("scoped-range", scopes: Scopes);
        Commit(master, Docs.SchemaEdn);
        var basis = Commit(master, Docs.WorldEdn).T;
        var replica = CreateTestProbe();
        const string key = "scoped-range-key";
        server.Tell(new Connect("alice", null, 1, null, key), replica.Ref);
        var connected = replica.FishForMessage<Connected>(_ => true, Long);
        var session = replica.LastSender;
        for (var seq = 0; seq < connected.BootstrapChunks; seq++)
        {
            var chunk = replica.FishForMessage<BootstrapChunk>(_ => true, Long);
            replica.Reply(new ToSession(key, new BootstrapAck(chunk.BasisT, seq + 1)));
        }
        Commit(master, """[{:doc/key "c1" :doc/title "Bob's secret" :doc/owner [:user/id "bob"]}]""");
        var edit = Commit(master, """[[:db/add [:doc/key "a1"] :doc/title "v2"]]""").T;
        replica.FishForMessage(m => m is TxDelta d && d.T == edit || m is TxDeltaBatch b && b.LastT == edit, Long);

        session.Tell(new ToSession(key, new DeltasWanted(basis + 1, edit)), replica.Ref);

        var range = replica.FishForMessage<TxRangeResult>(_ => true, Long);
        // bob's document is not hers: her stream skips its t, the edit follows her bootstrap
        Assert.Equal([edit], range.Deltas.Select(d => d.T));
        Assert.Equal(basis, range.Deltas[0].Prev);
        Assert.All(range.Deltas, d => Assert.Null(d.MasterValue));
        Assert.Contains(range.Deltas[0].TxData, d => d.Added && "v2".Equals(d.V));

        session.Tell(new ToSession(key, new DeltasWanted(1, edit)), replica.Ref); // before its bootstrap: not held
        replica.FishForMessage<BootstrapAgain>(_ => true, Long);
        // its handshake again gets the filtered value
        server.Tell(new Connect("alice", basis, 2, null, key), replica.Ref);
        var again = replica.FishForMessage<Connected>(c => c.Attempt == 2, Long);
        Assert.True(again.BootstrapChunks > 0);
        Assert.Equal(edit, again.BasisT);
    }
}

/// <summary>A scoped session fed by probes: what it makes of the log's deltas.</summary>
public class ScopedSessionTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly ServerScopes Scopes = Docs.Scopes();

    private static readonly Db World = Db.Empty.Transact(Forms(Docs.SchemaEdn)).DbAfter.Transact(Forms(Docs.WorldEdn)).DbAfter;

    /// <summary>A probe replica connected through a server whose transactor and log are probes; the scope hub starts
    /// from <see cref="World"/> and the session bootstraps the replica at its t. Returns the hub, which the log feeds.</summary>
    private (Akka.TestKit.TestProbe Listener, Akka.TestKit.TestProbe Replica, IActorRef Hub) Connected()
    {
        var (transactor, listener, server) = ProbedServer(QuickSession with { Scopes = Scopes });
        transactor.ExpectMsg<GetDb>(Long);
        transactor.Reply(new CurrentDb(World));
        listener.FishForMessage(m => m is SubscribeLog s && s.AfterT == World.BasisT, Long);
        var hub = listener.LastSender;
        var replica = CreateTestProbe();
        server.Tell(new Connect("alice", null, 1, null, "key"), replica.Ref);
        replica.FishForMessage(m => m is Connected, Long);
        return (listener, replica, hub);
    }

    [Fact]
    public void A_delta_of_the_log_reaches_a_scoped_replica_filtered_and_without_the_masters_value()
    {
        var (listener, replica, hub) = Connected();
        var share = World.Transact(Forms("""[[:db/add [:doc/key "b1"] :doc/shared [:user/id "alice"]] [:db/add [:doc/key "b1"] :doc/title "t"]]"""));
        var other = share.DbAfter.Transact(Forms("""[{:doc/key "c1" :doc/title "Bob's secret" :doc/owner [:user/id "bob"]}]"""));

        hub.Tell(new TxDeltaBatch([TxDelta.From(share.DbAfter, share.T, share.TxData), TxDelta.From(other.DbAfter, other.T, other.TxData)]), listener.Ref);

        // alice's stream: the share, then (with the periodic advance) an empty delta that moves her t past bob's
        var deltas = new List<TxDelta>();
        while (deltas.Count == 0 || deltas[^1].T < other.T)
            deltas.AddRange(replica.FishForMessage(m => m is TxDelta or TxDeltaBatch, Long) switch
            {
                TxDelta d => [d],
                TxDeltaBatch batch => batch.Deltas,
                _ => [],
            });
        Assert.Equal([share.T, other.T], deltas.Select(d => d.T));
        Assert.All(deltas, d => Assert.Null(d.MasterValue));
        var b1 = Lookup(World, "doc/key", "b1")!.Value;
        Assert.Contains(deltas[0].TxData, d => d.Added && d.E == b1 && "t".Equals(d.V));
        Assert.Contains(deltas[0].TxData, d => d.Added && d.E == b1 && "b1".Equals(d.V)); // moved in with its datoms...
        var bob = Lookup(World, "user/id", "bob")!.Value;
        Assert.DoesNotContain(deltas[0].TxData, d => d.V is long v && v == bob); // ...but not its reference to bob, whom alice does not see
        Assert.Empty(deltas[1].TxData); // bob's: only an empty delta that moves alice's t on
        Assert.Equal(share.T, deltas[1].Prev);
    }

    [Fact]
    public void The_scope_hub_asks_a_transactor_that_did_not_answer_again_and_then_serves_the_sessions()
    {
        var (transactor, listener, server) = ProbedServer(QuickSession with { Scopes = Scopes });
        transactor.ExpectMsg<GetDb>(Long); // not answered, as by a transactor still recovering
        var replica = CreateTestProbe();
        server.Tell(new Connect("alice", null, 1, null, "key"), replica.Ref);
        transactor.ExpectMsg<GetDb>(Long); // asked again
        transactor.Reply(new CurrentDb(World));
        listener.FishForMessage(m => m is SubscribeLog s && s.AfterT == World.BasisT, Long);
        var connected = replica.FishForMessage<Connected>(_ => true, Long);
        Assert.Equal(World.BasisT, connected.BasisT);
        Assert.True(connected.Scoped);
    }

    [Fact]
    public void A_delta_read_back_from_the_journal_bootstraps_a_scoped_replica_again_rather_than_reaching_it()
    {
        var (listener, replica, hub) = Connected();
        var next = World.Transact(Forms("""[[:db/add [:doc/key "b1"] :doc/title "t"]]"""));

        hub.Tell(TxDelta.From(next.DbAfter, next.T, next.TxData).ForWire(), listener.Ref); // no master value: as from the journal

        listener.FishForMessage(m => m is UnsubscribeLog, Long);
        var sent = new List<object>();
        replica.FishForMessage(m => { sent.Add(m); return m is BootstrapAgain; }, Long);
        Assert.DoesNotContain(sent, m => m is TxDelta or TxDeltaBatch or TxRangeResult);
    }
}
