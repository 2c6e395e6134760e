using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>The server is the only way into a session, and a session acts only on its replica's keyed requests; the
/// master's actors take nothing from another process; sessions and their pending transactions are bounded.</summary>
public class OneDoorTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public void A_session_acts_only_on_requests_under_its_replicas_key_from_that_replica()
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);

        // a wrong key from the replica, or the right key from anyone else: nothing reaches the master
        session.Tell(new ToSession(ChannelKeys.New(), new SubmitTx("c1", "r-1", """[[:db/add "x" :db/doc "evil"]]""")), replica.Ref);
        var other = CreateTestProbe();
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-2", """[[:db/add "x" :db/doc "evil"]]""")), other.Ref);
        // the same request, as it should be: it goes on
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-3", """[[:db/add "x" :db/doc "fine"]]""")), replica.Ref);
        var t = transactor.FishForMessage<Transact>(m => m is Transact, Long);
        Assert.Equal("r-3", t.RequestId);
    }

    [Fact]
    public void A_handshake_sent_straight_to_a_session_is_not_taken()
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);

        // another actor, knowing the session's path, offers itself as the replica with a key of its own
        var intruder = CreateTestProbe();
        var intruderKey = ChannelKeys.New();
        session.Tell(new Connect("c1", 0, long.MaxValue, null, intruderKey), intruder.Ref);
        session.Tell(new ToSession(intruderKey, new SubmitTx("c1", "r-evil", """[[:db/add "x" :db/doc "evil"]]""")), intruder.Ref);
        // the replica's own request, after: it is the first the master hears of
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-1", """[[:db/add "x" :db/doc "fine"]]""")), replica.Ref);
        Assert.Equal("r-1", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
    }

    [Fact]
    public void A_handshake_without_a_channel_key_is_refused()
    {
        var (_, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        server.Tell(new Connect("c1", null, 1), replica.Ref);
        Assert.Contains("channel key", replica.ExpectMsg<ConnectRefused>(Long).Reason);
    }

    [Fact]
    public void Past_its_bound_of_pending_transactions_a_session_refuses_as_busy_and_takes_them_later()
    {
        var (transactor, _, server) = ProbedServer(QuickSession with { MaxPendingSubmits = 2 });
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);
        for (var i = 1; i <= 3; i++)
            session.Tell(new ToSession(key, new SubmitTx("c1", $"r-{i}", """[[:db/add "x" :db/doc "d"]]""")), replica.Ref);
        Assert.Equal("r-1", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
        Assert.Equal("r-2", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
        var busy = replica.FishForMessage<TxRejected>(m => m is TxRejected, Long);
        Assert.Equal(("r-3", DatsyncErrors.Busy), (busy.RequestId, busy.Category));
        Assert.Contains("max-pending-submits", busy.Message);

        // once one has an outcome, the same request is taken
        session.Tell(new TxRejected("r-1", TxErrors.InvalidTxData, "no"), transactor.Ref);
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-3", """[[:db/add "x" :db/doc "d"]]""")), replica.Ref);
        Assert.Equal("r-3", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
    }

    [Fact]
    public void An_outcome_not_from_the_transactor_is_not_passed_on()
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-1", """[[:db/add "x" :db/doc "d"]]""")), replica.Ref);
        transactor.FishForMessage(m => m is Transact, Long);
        var transactorRef = transactor.Ref;

        // someone else answers for the transactor, then the transactor does: the replica hears the transactor only
        var liar = CreateTestProbe();
        session.Tell(new TxAccepted("r-1", 99, new Dictionary<object, long>(), []), liar.Ref);
        session.Tell(new TxDeltaBatch([new TxDelta(1, DateTime.UtcNow, [])]), liar.Ref);
        session.Tell(new TxAccepted("r-1", 1, new Dictionary<object, long>(), []), transactorRef);
        var first = replica.FishForMessage(m => m is not SessionHeartbeat, Long);
        Assert.Equal(1, Assert.IsType<TxAccepted>(first).T);
    }

    [Fact]
    public void Past_its_bound_of_sessions_the_server_refuses_a_new_client()
    {
        var (transactor, _, server) = ProbedServer(QuickSession with { MaxSessions = 1 });
        Handshake(transactor, server, CreateTestProbe(), "c1", ChannelKeys.New());
        var second = CreateTestProbe();
        server.Tell(new Connect("c2", 0, 1, null, ChannelKeys.New()), second.Ref);
        Assert.Contains("max-sessions", second.ExpectMsg<ConnectRefused>(Long).Reason);
    }
}
