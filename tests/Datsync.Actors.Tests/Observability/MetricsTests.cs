using System.Diagnostics;
using Datsync.Actors.Protocol;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Observability;

/// <summary>The Datsync meter and activity source as a listener sees them: a master's commits and rejections, its
/// journal writes, a session's deltas and bootstrap, a replica's lag and apply times, and a write's trace from its
/// caller through the commit to the replica that applied it.</summary>
public class MetricsTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static string Unique(string what) => what + "-" + Guid.NewGuid().ToString("N")[..10];

    private static string ItemEdn(int i) => $$"""[{:item/key "k{{i}}" :item/n {{i}} :item/email "e{{i}}@example.org"}]""";

    [Fact]
    public async Task A_listener_sees_commits_rejections_deltas_bootstrap_sessions_lag_and_apply_times()
    {
        var id = Unique("metrics-master");
        var clientId = Unique("metrics-client");
        using var log = new MeasurementLog(id, clientId);
        var (master, server) = StartMaster(id);

        Commit(master, RichSchemaEdn);
        const int before = 5;
        for (var i = 0; i < before; i++) Commit(master, ItemEdn(i));
        // the same unique email on a new entity
        var rejected = Assert.IsType<TxRejected>(TryCommit(master, Forms("""[{:item/key "other" :item/email "e0@example.org"}]""")));
        Assert.Equal(TxErrors.UniqueConflict, rejected.Category);

        var replica = StartReplica(server, clientId);
        await replica.Ready.WaitAsync(Long);
        const int after = 3;
        for (var i = before; i < before + after; i++) Commit(master, ItemEdn(i));
        var own = await replica.TransactAsync(ItemEdn(100)).WaitAsync(Long);
        AwaitEqual(master, replica);
        const int committed = 1 + before + after + 1;

        AwaitAssert(() =>
        {
            log.Observe();
            Assert.Equal(committed, log.Sum("datsync.transactions.committed", m => m.Tag("master") == id));
            var rejections = log.Of("datsync.transactions.rejected");
            var r = Assert.Single(rejections);
            Assert.Equal("db.error/unique-conflict", r.Tag("category"));
            Assert.Equal(id, r.Tag("master"));
            Assert.Equal(1, r.Value);

            // every committed transaction was in exactly one journal write, and timed once
            Assert.Equal(committed, log.Sum("datsync.journal.batch_size"));
            Assert.All(log.Of("datsync.journal.batch_size"), m => Assert.Equal(id, m.Tag("master")));
            var durations = log.Of("datsync.commit.duration");
            Assert.Equal(committed, durations.Count);
            Assert.All(durations, m => Assert.True(m.Value >= 0 && m.Unit == "ms"));

            // the replica was bootstrapped at the t before the later ones, and got each of those as a delta
            Assert.True(log.Sum("datsync.deltas.sent", m => m.Tag("client.id") == clientId) >= after + 1);
            Assert.True(log.Sum("datsync.bootstrap.bytes", m => m.Tag("client.id") == clientId) > 0);
            Assert.Equal("By", log.Of("datsync.bootstrap.bytes")[0].Unit);

            var sessions = log.Of("datsync.sessions.connected");
            Assert.Contains(sessions, m => m.Tag("client.id") == clientId && m.Value == 1);
            var lag = log.Of("datsync.replica.lag").Where(m => m.Tag("client.id") == clientId).ToList();
            Assert.NotEmpty(lag);
            Assert.Equal(0, lag[^1].Value); // the replica is at the master's t

            var applies = log.Of("datsync.replica.apply.duration");
            Assert.NotEmpty(applies);
            Assert.All(applies, m => Assert.Equal(clientId, m.Tag("client.id")));
        }, Long, TimeSpan.FromMilliseconds(50));
        Assert.True(own.T > 0);

        // a stopped replica is no longer measured
        Sys.Stop(replica.Actor);
        AwaitAssert(() =>
        {
            var count = log.Of("datsync.replica.lag").Count;
            log.Observe();
            Assert.Equal(count, log.Of("datsync.replica.lag").Count);
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_replica_transaction_is_traced_from_its_caller_through_the_commit_to_the_replica_that_applied_it()
    {
        var id = Unique("trace-master");
        var clientId = Unique("trace-client");
        using var activities = new ActivityLog();
        var (master, server) = StartMaster(id);
        Commit(master, RichSchemaEdn);
        var replica = StartReplica(server, clientId);
        await replica.Ready.WaitAsync(Long);

        var result = await replica.TransactAsync(ItemEdn(1)).WaitAsync(Long);

        AwaitAssert(() =>
        {
            var transact = Assert.Single(activities.Stopped("datsync.transact", a => Tag(a, "client.id") == clientId));
            var commit = Assert.Single(activities.Stopped("datsync.commit", a => Tag(a, "master") == id && a.TraceId == transact.TraceId));
            Assert.Equal(transact.SpanId, commit.ParentSpanId);
            Assert.Equal(result.T.ToString(), Tag(commit, "datsync.t"));
            var apply = Assert.Single(activities.Stopped("datsync.replica.apply",
                a => Tag(a, "client.id") == clientId && a.TraceId == transact.TraceId));
            Assert.Equal(commit.SpanId, apply.ParentSpanId);
            Assert.Equal(result.T.ToString(), Tag(apply, "datsync.t"));
        }, Long, TimeSpan.FromMilliseconds(50));
        // the caller's own context is not taken over by the write
        Assert.Null(Activity.Current);
    }

    private static string? Tag(Activity a, string key) => a.GetTagItem(key)?.ToString();
}
