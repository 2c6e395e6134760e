using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A replica's handle outlives a failure of its actor: the actor is restarted with its value, its pending
/// transactions and its waiters, and the failing request alone gets an error.</summary>
public class ReplicaRestartTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_transaction_holding_a_value_the_engine_cannot_take_fails_alone_and_the_handle_keeps_working()
    {
        var (master, server) = StartMaster("restart-poison");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "p1");
        await replica.Ready.WaitAsync(Long);

        IReadOnlyList<object?> poison = [new List<object?> { Keyword.Intern("db/add"), "x", Keyword.Intern("item/key"), TimeSpan.FromSeconds(3) }];
        var e = await Assert.ThrowsAsync<TxRejectedException>(() => replica.TransactAsync(poison).WaitAsync(Long));
        Assert.Contains("TimeSpan", e.Message);

        var ok = await replica.TransactAsync("""[{:db/id "a" :item/key "after" :item/n 1}]""").WaitAsync(Long);
        Assert.True(ok.T > 0);
        AwaitEqual(master, replica);
    }

    [Fact]
    public async Task A_restarted_replica_actor_keeps_its_value_pending_transactions_and_waiters()
    {
        var (master, server) = StartMaster("restart-carry");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        shim.Tell(new FaultShim.Hold(m => m is SubmitTx or SubmitTxData)); // the master hears nothing until released

        var pending = replica.TransactAsync("""[{:db/id "a" :item/key "pending" :item/n 1}]""");
        AwaitAssert(() => Assert.Equal(1, replica.Status.PendingLocal), Long);
        var waiter = replica.SyncAsync(MasterT(master) + 1);

        replica.Actor.Tell(ReplicaActor.FailForTest.Instance); // the actor throws: its supervisor restarts it
        AwaitAssert(() => Assert.Equal(ConnectionState.Connected, replica.Status.Connection), Long);
        shim.Tell(new FaultShim.Hold(null));

        var result = await pending.WaitAsync(Long);
        await waiter.WaitAsync(Long);
        Assert.Equal(result.T, MasterT(master));
        AwaitEqual(master, replica);
        var later = await replica.TransactAsync("""[{:db/id "b" :item/key "later" :item/n 2}]""").WaitAsync(Long);
        Assert.Equal(later.T, MasterT(master));
    }
}
