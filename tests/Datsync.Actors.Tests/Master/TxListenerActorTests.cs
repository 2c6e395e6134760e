using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

public class TxListenerActorTests(ITestOutputHelper output) : MasterTestKit(output)
{
    private MasterHandle StartWith(string id, int transactions, int recent = 10_000, int buffer = 1024, int snapshotEvery = 0,
        TimeSpan? catchUpTimeout = null)
    {
        var settings = Settings(id, snapshotEvery, buffer, recent);
        if (catchUpTimeout is { } timeout) settings = settings with { CatchUpTimeout = timeout, CatchUpRetry = TimeSpan.FromMilliseconds(100) };
        var master = MasterRuntime.Start(Sys, settings);
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        for (var i = 2; i <= transactions; i++)
        {
            master.Transactor.Tell(Item($"i{i}", $"k{i}", i));
            ExpectMsg<TxAccepted>(Long);
        }
        return master;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(20)]
    public void A_subscriber_resuming_from_any_t_gets_exactly_the_missing_deltas(long afterT)
    {
        // only the last 5 deltas stay in memory: older ones come back from the journal
        var master = StartWith($"log-resume-{afterT}", 20, recent: 5, snapshotEvery: 6);
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(afterT), sub.Ref);
        for (var t = afterT + 1; t <= 20; t++)
        {
            var d = sub.ExpectMsg<TxDelta>(Long);
            Assert.Equal(t, d.T);
            sub.Reply(new LogAck(t));
        }
        master.Transactor.Tell(Item("live", "live", 1));
        ExpectMsg<TxAccepted>(Long);
        Assert.Equal(21, sub.ExpectMsg<TxDelta>(Long).T);
        sub.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Deltas_name_attributes_by_ident_and_carry_the_transactions_datoms()
    {
        var master = StartWith("log-content", 1);
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(1), sub.Ref);
        master.Transactor.Tell(Item("x", "x", 42));
        ExpectMsg<TxAccepted>(Long);
        var d = sub.ExpectMsg<TxDelta>(Long);
        Assert.Contains(d.Datoms, x => x.Added && x.A == Keyword.Intern(":item/n") && (long)x.V == 42);
        Assert.Contains(d.Datoms, x => x.A == Keyword.Intern(":db/txInstant"));
    }

    [Fact]
    public void A_slow_subscriber_is_told_to_resume_and_never_holds_back_the_others()
    {
        var master = StartWith("log-slow", 1, buffer: 3);
        var slow = CreateTestProbe();
        var fast = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(1), slow.Ref);
        master.Listener.Tell(new SubscribeLog(1), fast.Ref);
        for (var i = 0; i < 10; i++)
        {
            master.Transactor.Tell(Item($"n{i}", $"n{i}", i));
            ExpectMsg<TxAccepted>(Long);
            var d = fast.ExpectMsg<TxDelta>(Long);
            fast.Reply(new LogAck(d.T));
        }
        for (var t = 2; t <= 4; t++) Assert.Equal(t, slow.ExpectMsg<TxDelta>(Long).T);
        Assert.Equal(1, slow.ExpectMsg<ResumeFrom>(Long).LastT);
        slow.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // resubscribing after what it applied brings it up to date
        master.Listener.Tell(new SubscribeLog(4), slow.Ref);
        for (var t = 5; t <= 11; t++)
        {
            Assert.Equal(t, slow.ExpectMsg<TxDelta>(Long).T);
            slow.Reply(new LogAck(t));
        }
    }

    [Fact]
    public void A_range_is_answered_from_memory_and_from_the_journal()
    {
        var master = StartWith("log-range", 12, recent: 4);
        master.Listener.Tell(new TxRange(10, 12));
        Assert.Equal(new long[] { 10, 11, 12 }, ExpectMsg<TxRangeResult>(Long).Deltas.Select(d => d.T));
        master.Listener.Tell(new TxRange(2, 6));
        Assert.Equal(new long[] { 2, 3, 4, 5, 6 }, ExpectMsg<TxRangeResult>(Long).Deltas.Select(d => d.T));
    }

    [Fact]
    public async Task Subscribers_get_no_gap_and_no_duplicate_across_a_restart_of_the_transactor()
    {
        var master = StartWith("log-restart", 3);
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(3), sub.Ref);
        master.Transactor.Tell(Item("a", "a", 1));
        ExpectMsg<TxAccepted>(Long);
        Assert.Equal(4, sub.ExpectMsg<TxDelta>(Long).T);
        sub.Reply(new LogAck(4));

        await Journal.OnWrite.Fail(); // the transactor stops and its supervisor starts it again from the journal
        master.Transactor.Tell(Item("lost", "lost", 2));
        Assert.Equal(DatsyncErrors.Storage, ExpectMsg<TxRejected>(Long).Category);
        await Journal.OnWrite.Pass();

        // asking for the value is harmless to repeat: wait until the restarted transactor answers
        var probe = CreateTestProbe();
        AwaitAssert(() =>
        {
            master.Transactor.Tell(GetDb.Instance, probe.Ref);
            Assert.Equal(4, probe.ExpectMsg<CurrentDb>(TimeSpan.FromSeconds(1)).Db.BasisT);
        }, Long, TimeSpan.FromMilliseconds(300));
        master.Transactor.Tell(Item("b", "b", 3));
        Assert.Equal(5, ExpectMsg<TxAccepted>(Long).T);
        master.Transactor.Tell(Item("c", "c", 4));
        Assert.Equal(6, ExpectMsg<TxAccepted>(Long).T);
        Assert.Equal(5, sub.ExpectMsg<TxDelta>(Long).T);
        Assert.Equal(6, sub.ExpectMsg<TxDelta>(Long).T);
        sub.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    /// <summary>Records the sequence numbers of the events the journal replays.</summary>
    private sealed class ReadRecorder : IJournalInterceptor
    {
        public readonly ConcurrentBag<long> Read = new();

        public Task InterceptAsync(IPersistentRepresentation message)
        {
            Read.Add(message.SequenceNr);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_catch_up_whose_journal_read_fails_is_tried_again_and_the_subscriber_gets_every_delta()
    {
        var master = StartWith("log-read-fails", 20, recent: 5);
        var failed = 0; // the first read fails, the next ones pass
        await Journal.OnRecovery.FailIf(_ => Interlocked.Exchange(ref failed, 1) == 0);
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(3), sub.Ref);
        for (var t = 4; t <= 20; t++)
        {
            Assert.Equal(t, sub.ExpectMsg<TxDelta>(Long).T);
            sub.Reply(new LogAck(t));
        }
        Assert.Equal(1, Volatile.Read(ref failed));
        sub.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_range_from_the_journal_reads_only_the_events_it_needs()
    {
        var master = StartWith("log-range-bounded", 30, recent: 4);
        var recorder = new ReadRecorder();
        await Journal.OnRecovery.SetInterceptorAsync(recorder);
        master.Listener.Tell(new TxRange(2, 4));
        Assert.Equal(new long[] { 2, 3, 4 }, ExpectMsg<TxRangeResult>(Long).Deltas.Select(d => d.T));
        Assert.NotEmpty(recorder.Read);
        Assert.True(recorder.Read.Max() <= 4, $"read up to event {recorder.Read.Max()}");
    }

    [Fact]
    public async Task Older_snapshots_are_kept_and_a_catch_up_replays_from_the_nearest_one()
    {
        // a snapshot every 2 transactions, the latest 3 kept (datsync.master.keep-snapshots)
        var settings = Settings("log-snapshots", snapshotEvery: 2, recent: 2);
        Assert.Equal(3, MasterSettings.Default.KeepSnapshots);
        var master = StartWith("log-snapshots", 12, recent: 2, snapshotEvery: 2);
        async Task<long?> Latest(long atMost) => (await LatestSnapshot(settings.PersistenceId, atMost))?.Metadata.SequenceNr;
        await AwaitAssertAsync(async () =>
        {
            Assert.Equal(12, await Latest(long.MaxValue));
            Assert.Equal(10, await Latest(11));
            Assert.Equal(8, await Latest(9));
            Assert.Null(await Latest(7)); // older ones are deleted
        }, Long, TimeSpan.FromMilliseconds(100));

        var recorder = new ReadRecorder();
        await Journal.OnRecovery.SetInterceptorAsync(recorder);
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(9), sub.Ref);
        for (var t = 10; t <= 12; t++)
        {
            Assert.Equal(t, sub.ExpectMsg<TxDelta>(Long).T);
            sub.Reply(new LogAck(t));
        }
        Assert.NotEmpty(recorder.Read);
        Assert.True(recorder.Read.Min() >= 9, $"read from event {recorder.Read.Min()}");
    }

    /// <summary>Holds back the first replayed event for a long while; the others pass.</summary>
    private sealed class FirstReadHangs : IJournalInterceptor
    {
        private int _first;

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Exchange(ref _first, 1) == 0) await Task.Delay(TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task A_catch_up_whose_journal_read_hangs_times_out_and_is_tried_again()
    {
        var master = StartWith("log-read-hangs", 20, recent: 5, catchUpTimeout: TimeSpan.FromMilliseconds(500));
        await Journal.OnRecovery.SetInterceptorAsync(new FirstReadHangs());
        var sub = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(3), sub.Ref);
        for (var t = 4; t <= 20; t++)
        {
            Assert.Equal(t, sub.ExpectMsg<TxDelta>(Long).T); // long before the hung read would end
            sub.Reply(new LogAck(t));
        }
        sub.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
