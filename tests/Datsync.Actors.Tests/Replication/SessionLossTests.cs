using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class SessionLossTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly ReplicaSettings QuickTimeout = QuickReplica with { ConnectionTimeout = TimeSpan.FromMilliseconds(600) };

    [Fact]
    public async Task A_replica_cut_off_longer_than_its_connection_timeout_connects_again_resumes_and_converges()
    {
        var (master, server) = StartMaster("loss-silence");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, QuickTimeout);
        await replica.Ready.WaitAsync(Long);
        var write = replica.TransactAsync("""[{:item/key "mine" :item/n 1}]""");
        shim.Tell(new FaultShim.DropWhere(_ => true));
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        AwaitAssert(() => Assert.Equal(ConnectionState.Disconnected, replica.Status.Connection), Long);
        shim.Tell(new FaultShim.DropWhere(null));
        await write.WaitAsync(Long);
        AwaitEqual(master, replica);
        var stats = StatsOf(shim);
        Assert.True(stats.Connected.Count >= 2);
        Assert.All(stats.Connected.Skip(1), c => Assert.Equal(0, c.BootstrapChunks)); // resumed, not bootstrapped again
        Assert.Single(DbOf(master.Transactor).Datoms(IndexType.Avet, Keyword.Intern("item/key"), "mine"));
    }

    [Fact]
    public async Task A_transaction_whose_outcome_was_lost_with_its_session_is_not_committed_twice()
    {
        var (master, server) = StartMaster("loss-session");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, QuickTimeout);
        await replica.Ready.WaitAsync(Long);
        var t0 = MasterT(master);

        // the master commits, but the replica hears neither the outcome nor the delta
        shim.Tell(new FaultShim.DropWhere(m => m is TxAccepted or TxDelta or TxDeltaBatch or TxRangeResult));
        var write = replica.TransactAsync("""[{:db/id "x" :item/n 42}]""");
        AwaitAssert(() => Assert.Equal(t0 + 1, MasterT(master)), Long);

        // the session (and the outcome it remembered) is gone; the replica connects again to a new one
        var session = await Sys.ActorSelection(server.Path / "session-c1").ResolveOne(Long);
        Watch(session);
        Sys.Stop(session);
        ExpectTerminated(session, Long);
        shim.Tell(new FaultShim.DropWhere(null));

        var result = await write.WaitAsync(Long);
        AwaitEqual(master, replica);
        var db = DbOf(master.Transactor);
        Assert.Equal(t0 + 1, result.T);
        Assert.Single(db.Datoms(IndexType.Aevt, Keyword.Intern("item/n")));
        Assert.Equal(t0 + 1, db.BasisT);
    }

    [Fact]
    public async Task A_replica_cut_off_in_the_middle_of_its_bootstrap_starts_a_new_one_and_converges()
    {
        var session = QuickSession with { ChunkSize = 1024, BootstrapWindow = 2 };
        var (master, server) = StartMaster("loss-bootstrap", session);
        Commit(master, SchemaEdn);
        var bulk = new object?[2000];
        for (var i = 0; i < bulk.Length; i++)
            bulk[i] = new Dictionary<object, object?> { [Keyword.Intern("item/key")] = $"b{i}", [Keyword.Intern("item/n")] = (long)i };
        Commit(master, bulk);

        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, QuickTimeout,
            dropWhere: m => m is BootstrapChunk { Seq: >= 3 });
        AwaitAssert(() => Assert.True(StatsOf(shim).Chunks >= 3), Long);
        shim.Tell(new FaultShim.DropWhere(_ => true));
        AwaitAssert(() => Assert.Equal(ConnectionState.Disconnected, replica.Status.Connection), Long);
        Assert.False(replica.Status.Bootstrapped);
        for (var i = 0; i < 5; i++) Commit(master, $$"""[{:item/key "b{{i}}" :item/n -1}]""");
        shim.Tell(new FaultShim.DropWhere(null));
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
        Assert.True(StatsOf(shim).Connected.Count(c => c.BootstrapChunks > 0) >= 2);
    }
}
