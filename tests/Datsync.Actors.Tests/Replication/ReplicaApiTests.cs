using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ReplicaApiTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task Listen_gets_one_report_per_applied_master_transaction_in_t_order_even_behind_faults()
    {
        var (master, server) = StartMaster("api-listen");
        Commit(master, SchemaEdn);
        var (replica, _) = StartShimmedReplica(server, "c1", 9, Faults.Default);
        var reports = new List<ReplicaReport>();
        using var listening = replica.Listen(r => { lock (reports) reports.Add(r); });
        await replica.Ready.WaitAsync(Long);
        await replica.SyncAsync(MasterT(master)).WaitAsync(Long);
        var from = replica.Status.BasisT;

        var ts = new List<long>();
        for (var i = 0; i < 40; i++) ts.Add(Commit(master, $$"""[{:item/key "k{{i % 5}}" :item/n {{i}}}]""").T);
        await replica.SyncAsync(ts[^1]).WaitAsync(Long);

        List<ReplicaReport> applied;
        lock (reports) applied = reports.Where(r => !r.Pending && r.T > from).ToList();
        Assert.Equal(ts, applied.Select(r => r.T));
        foreach (var r in applied)
        {
            Assert.Equal(r.T, r.DbAfter.BasisT);
            Assert.Equal(r.T - 1, r.DbBefore.BasisT);
            Assert.Contains(r.TxData, d => d.E == EntityIds.TxId(r.T));
        }
        var last = applied[^1];
        Assert.Equal(39L, last.DbAfter.Entity(EdnReader.Read("""[:item/key "k4"]""")!)!["item/n"]);
    }

    [Fact]
    public async Task Listen_also_reports_a_local_transaction_as_pending_then_its_commit()
    {
        var (master, server) = StartMaster("api-listen-local");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        var reports = new List<ReplicaReport>();
        using var listening = replica.Listen(r => { lock (reports) reports.Add(r); });
        var result = await replica.TransactAsync("""[{:item/key "mine" :item/n 1}]""").WaitAsync(Long);
        AwaitAssert(() =>
        {
            lock (reports)
            {
                Assert.Equal(2, reports.Count);
                Assert.True(reports[0].Pending);
                Assert.False(reports[1].Pending);
                Assert.Equal(result.T, reports[1].T);
                Assert.Equal(reports[0].RequestId, reports[1].RequestId);
            }
        }, Long);
    }

    [Fact]
    public async Task SyncTo_completes_only_once_the_replica_has_applied_t()
    {
        var (master, server) = StartMaster("api-sync");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 3, Faults.None);
        await replica.Ready.WaitAsync(Long);
        await replica.SyncAsync(MasterT(master)).WaitAsync(Long);

        shim.Tell(new FaultShim.Hold(m => m is TxDelta or TxDeltaBatch or TxRangeResult));
        var t = Commit(master, """[{:item/key "late" :item/n 1}]""").T;
        var sync = replica.SyncAsync(t);
        var alias = replica.SyncAsync(t);
        // the replica actor has taken both requests once it answers a message sent after them
        await replica.Actor.Ask<ActorIdentity>(new Identify(1), Long);
        Assert.False(sync.IsCompleted);
        Assert.False(alias.IsCompleted);
        Assert.True(replica.Status.BasisT < t);

        shim.Tell(new FaultShim.Hold(null));
        await sync.WaitAsync(Long);
        await alias.WaitAsync(Long);
        Assert.True(replica.Status.BasisT >= t);
        Assert.NotNull(Lookup(replica.SyncedDb, "item/key", "late"));
        await replica.SyncAsync(t - 1).WaitAsync(Long); // already there: at once
    }

    [Fact]
    public async Task Status_reports_the_basis_the_lag_behind_the_master_and_the_pending_local_transactions()
    {
        var (master, server) = StartMaster("api-status");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 4, Faults.None);
        await replica.Ready.WaitAsync(Long);
        var t0 = MasterT(master);
        await replica.SyncAsync(t0).WaitAsync(Long);
        AwaitAssert(() =>
        {
            Assert.Equal(t0, replica.Status.BasisT);
            Assert.Equal(t0, replica.Status.MasterT);
            Assert.Equal(0, replica.Status.Lag);
            Assert.Equal(0, replica.Status.PendingLocal);
            Assert.Equal(ConnectionState.Connected, replica.Status.Connection);
            Assert.True(replica.Status.Bootstrapped);
        }, Long);

        // deltas held back: heartbeats still tell the replica where the master is
        shim.Tell(new FaultShim.Hold(m => m is TxDelta or TxDeltaBatch or TxRangeResult or SubmitTx or SubmitTxData));
        for (var i = 0; i < 3; i++) Commit(master, $$"""[{:item/key "k{{i}}"}]""");
        var local = replica.TransactAsync("""[{:item/key "mine"}]""");
        AwaitAssert(() =>
        {
            Assert.Equal(t0, replica.Status.BasisT);
            Assert.Equal(t0 + 3, replica.Status.MasterT);
            Assert.Equal(3, replica.Status.Lag);
            Assert.Equal(1, replica.Status.PendingLocal);
        }, Long);
        Assert.NotNull(Lookup(replica.Db, "item/key", "mine"));
        Assert.Null(Lookup(replica.SyncedDb, "item/key", "mine"));

        shim.Tell(new FaultShim.Hold(null));
        var result = await local.WaitAsync(Long);
        AwaitAssert(() =>
        {
            Assert.Equal(result.T, replica.Status.BasisT);
            Assert.Equal(0, replica.Status.Lag);
            Assert.Equal(0, replica.Status.PendingLocal);
        }, Long);
    }

    [Fact]
    public async Task A_stopped_replica_fails_its_waiting_callers_and_refuses_new_transactions()
    {
        var (master, server) = StartMaster("api-stop");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 5, Faults.None);
        await replica.Ready.WaitAsync(Long);
        shim.Tell(new FaultShim.Hold(_ => true));
        var waiting = replica.SyncAsync(MasterT(master) + 100);
        var pending = replica.TransactAsync("""[{:item/key "never"}]""");
        AwaitAssert(() => Assert.Equal(1, replica.Status.PendingLocal), Long);
        Watch(replica.Actor);
        Sys.Stop(replica.Actor);
        ExpectTerminated(replica.Actor, Long);
        Assert.Equal(DatsyncErrors.Unavailable, (await Assert.ThrowsAsync<TxRejectedException>(() => waiting.WaitAsync(Long))).Category);
        Assert.Equal(DatsyncErrors.Unavailable, (await Assert.ThrowsAsync<TxRejectedException>(() => pending.WaitAsync(Long))).Category);
        Assert.Equal(DatsyncErrors.Unavailable, (await Assert.ThrowsAsync<TxRejectedException>(() => replica.TransactAsync("[]").WaitAsync(Long))).Category);
    }
}
