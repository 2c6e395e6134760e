using Datsync.Core;
using Akka.Event;
using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.TestKit;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class LogBufferTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_whose_acknowledgements_were_lost_while_its_buffer_filled_converges()
    {
        var (master, server) = StartMaster("log-slow", buffer: 8);
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        shim.Tell(new FaultShim.DropWhere(m => m is DeltasApplied));
        for (var i = 0; i < 60; i++) Commit(master, $$"""[{:item/key "k{{i % 9}}" :item/n {{i}}}]""");
        AwaitAssert(() => Assert.True(StatsOf(shim).Dropped > 0), Long);
        shim.Tell(new FaultShim.DropWhere(null)); // acknowledgements get through again
        AwaitEqual(master, replica);
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "after{{i}}" :item/n {{i}}}]""");
        AwaitEqual(master, replica);
    }

    [Fact]
    public async Task Replicas_behind_faults_converge_when_the_deltas_they_lack_must_be_read_back_from_the_journal()
    {
        var (master, server) = StartMaster("log-journal", recent: 4, buffer: 8);
        Commit(master, SchemaEdn);
        for (var i = 0; i < 30; i++) Commit(master, $$"""[{:item/key "k{{i % 11}}" :item/n {{i}}}]""");
        var replicas = Enumerable.Range(0, 3).Select(i => StartShimmedReplica(server, "j" + i, 60 + i, new Faults(Drop: 0.25, Duplicate: 0.1, Delay: 0.3))).ToList();
        foreach (var (r, _) in replicas) await r.Ready.WaitAsync(Long);
        var writes = new List<Task>();
        for (var i = 0; i < 40; i++)
        {
            Commit(master, $$"""[{:item/key "k{{i % 13}}" :item/n {{i}}} {:item/key "new{{i}}"}]""");
            if (i % 8 == 0) writes.Add(replicas[i % 3].Replica.TransactAsync($$"""[{:item/key "w{{i}}" :item/n {{i}}}]"""));
        }
        try { await Task.WhenAll(writes).WaitAsync(Long); }
        catch (TimeoutException)
        {
            foreach (var (r, sh) in replicas) Sys.Log.Warning($"{r.ClientId}: {r.Status} {StatsOf(sh)} master t={MasterT(master)}");
            throw;
        }
        AwaitEqual(master, replicas.Select(r => r.Replica));
    }

    [Fact]
    public async Task A_replica_that_stops_taking_deltas_is_not_sent_the_same_buffer_again_for_every_commit()
    {
        // the replica takes nothing for 200 commits with a buffer of 16: the log drops its session once, and the session
        // waits for the replica to catch up instead of resubscribing (which would resend the buffer on every commit)
        var (master, server) = StartMaster("log-stalled", buffer: 16);
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        shim.Tell(new FaultShim.Hold(m => m is TxDelta or TxDeltaBatch or TxRangeResult));
        for (var i = 0; i < 200; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var held = StatsOf(shim).Deltas;
        Assert.InRange(held, 1, 200);
        shim.Tell(new FaultShim.Hold(null));
        AwaitEqual(master, replica);
    }
}
