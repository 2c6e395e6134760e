using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

/// <summary>Whatever the transactor acknowledged replays: after journal writes that were rejected or failed, a new
/// transactor on the same journal recovers every acknowledged t, in order, and t goes on from the last one.</summary>
public sealed class AcknowledgedReplayTests(ITestOutputHelper output) : MasterTestKit(output)
{
    private long Commit(IActorRef transactor, Transact tx)
    {
        transactor.Tell(tx, TestActor);
        return ExpectMsg<TxAccepted>(Long).T;
    }

    private void AwaitAnswering(IActorRef transactor)
    {
        var probe = CreateTestProbe();
        AwaitAssert(() =>
        {
            transactor.Tell(GetDb.Instance, probe.Ref);
            probe.ExpectMsg<CurrentDb>(TimeSpan.FromSeconds(1));
        }, Long, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Every_acknowledged_transaction_replays_after_rejected_and_failed_writes()
    {
        const string id = "ack-replay";
        var master = MasterRuntime.Start(Sys, Settings(id));
        var acknowledged = new List<(long T, string Key)> { (Commit(master.Transactor, Tx("schema", SchemaEdn)), "") };
        acknowledged.Add((Commit(master.Transactor, Item("a", "a", 1)), "a"));

        await Journal.OnWrite.Reject();
        master.Transactor.Tell(Item("rejected", "rejected", 2), TestActor);
        Assert.Equal(DatsyncErrors.Storage, ExpectMsg<TxRejected>(Long).Category);
        await Journal.OnWrite.Pass();
        acknowledged.Add((Commit(master.Transactor, Item("b", "b", 3)), "b"));

        await Journal.OnWrite.Fail(); // the transactor stops; its supervisor starts it again from the journal
        master.Transactor.Tell(Item("failed", "failed", 4), TestActor);
        Assert.Equal(DatsyncErrors.Storage, ExpectMsg<TxRejected>(Long).Category);
        await Journal.OnWrite.Pass();
        AwaitAnswering(master.Transactor);
        acknowledged.Add((Commit(master.Transactor, Item("c", "c", 5)), "c"));
        acknowledged.Add((Commit(master.Transactor, Item("d", "d", 6)), "d"));
        Assert.Equal(Enumerable.Range(1, acknowledged.Count).Select(t => (long)t), acknowledged.Select(a => a.T));

        // a new transactor on the same journal: recovery replays every acknowledged event
        var again = MasterRuntime.Start(Sys, Settings(id), "ack-replay-again");
        var db = DbOf(again.Transactor);
        Assert.Equal(acknowledged[^1].T, db.BasisT);
        var keys = Facts(db).Where(f => f.Item2 == ":item/key").Select(f => (string)f.Item3).ToHashSet();
        Assert.Equal(["a", "b", "c", "d"], keys.Order());
        again.Listener.Tell(new TxRange(1, db.BasisT), TestActor);
        Assert.Equal(acknowledged.Select(a => a.T), ExpectMsg<TxRangeResult>(Long).Deltas.Select(d => d.T));
    }
}
