using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class BootstrapTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_of_an_empty_master_is_bootstrapped_in_one_chunk_at_t_0()
    {
        var (master, server) = StartMaster("boot-empty");
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
        var stats = StatsOf(shim);
        Assert.NotEmpty(stats.Connected); // one per handshake (a slow answer may make the replica ask again)
        Assert.All(stats.Connected, c => Assert.Equal((0L, 1), (c.BasisT, c.BootstrapChunks)));
        AwaitAssert(() => Assert.Equal(ConnectionState.Connected, replica.Status.Connection), Long);
        Assert.True(replica.Status.Bootstrapped);
        Assert.Equal(0, replica.Status.Lag);
    }

    [Fact]
    public async Task A_replica_of_a_large_master_is_bootstrapped_in_many_chunks_and_equals_the_master()
    {
        var session = QuickSession with { ChunkSize = 32 * 1024, BootstrapWindow = 4 };
        var (master, server) = StartMaster("boot-large", session);
        Commit(master, SchemaEdn);
        const int perTx = 5_000;
        for (var tx = 0; tx < 6; tx++) // 30,000 entities of 2 datoms each
        {
            var forms = new object?[perTx];
            for (var i = 0; i < perTx; i++)
                forms[i] = new Dictionary<object, object?> { [Keyword.Intern("item/key")] = $"k{tx}-{i}", [Keyword.Intern("item/n")] = (long)i };
            Commit(master, forms);
        }
        var db = DbOf(master.Transactor);
        Assert.True(db.Count > 60_000, $"the master holds {db.Count} datoms");

        var (replica, shim) = StartShimmedReplica(server, "big", 2, Faults.None);
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
        var stats = StatsOf(shim);
        var chunks = stats.Connected[^1].BootstrapChunks;
        Assert.True(chunks > 1, $"a bootstrap of {db.Count} datoms took {chunks} chunk(s)");
        Assert.True(stats.Chunks >= chunks);
        Assert.Equal(2999L, replica.Db.Entity(EdnReader.Read("""[:item/key "k5-2999"]""")!)!["item/n"]);
        // the progress a bootstrap reports ends at the whole value
        var progress = replica.BootstrapProgress!;
        Assert.Equal(chunks, progress.ChunksReceived);
        Assert.Equal(progress.TotalBytes, progress.Bytes);
        Assert.Equal(db.Count, progress.TotalDatoms);
        Assert.Equal(db.Count, progress.DatomsReceived);
    }

    [Fact]
    public async Task Transactions_committed_while_a_replica_bootstraps_reach_it_interleaved_with_the_chunks()
    {
        var session = QuickSession with { ChunkSize = 2 * 1024, BootstrapWindow = 2, BootstrapReuseWithin = 0 };
        var (master, server) = StartMaster("boot-interleaved", session);
        Commit(master, SchemaEdn);
        var bulk = new object?[3000];
        for (var i = 0; i < bulk.Length; i++)
            bulk[i] = new Dictionary<object, object?> { [Keyword.Intern("item/key")] = $"b{i}", [Keyword.Intern("item/n")] = (long)i };
        Commit(master, bulk);

        // the replica's acknowledgements are held back, so the bootstrap stops after its first window
        var (replica, shim) = StartShimmedReplica(server, "late", 3, Faults.None, holdWhere: m => m is BootstrapAck);
        AwaitAssert(() => Assert.True(StatsOf(shim).Chunks >= 2), Long);
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "live{{i}}" :item/n {{i}}}]""");
        for (var i = 0; i < 5; i++) Commit(master, $$"""[{:item/key "b{{i}}" :item/n -1}]""");
        AwaitAssert(() => Assert.True(StatsOf(shim).DeltasDuringBootstrap >= 15), Long);
        Assert.False(replica.Status.Bootstrapped);

        shim.Tell(new FaultShim.Hold(null));
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
        var stats = StatsOf(shim);
        var connected = stats.Connected[^1];
        Assert.True(connected.BootstrapChunks > 2);
        Assert.Equal(-1L, replica.Db.Entity(EdnReader.Read("""[:item/key "b3"]""")!)!["item/n"]);
    }

    [Fact]
    public async Task A_bootstrap_under_drops_duplicates_and_delays_still_completes_and_equals_the_master()
    {
        var session = QuickSession with { ChunkSize = 1024, BootstrapWindow = 3 };
        var (master, server) = StartMaster("boot-faulty", session);
        Commit(master, SchemaEdn);
        for (var tx = 0; tx < 4; tx++)
        {
            var forms = new object?[500];
            for (var i = 0; i < forms.Length; i++)
                forms[i] = new Dictionary<object, object?> { [Keyword.Intern("item/key")] = $"f{tx}-{i}", [Keyword.Intern("item/n")] = (long)i };
            Commit(master, forms);
        }
        var replicas = Enumerable.Range(0, 3).Select(i => StartShimmedReplica(server, "f" + i, 100 + i, Faults.Default)).ToList();
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "more{{i}}" :item/n {{i}}}]""");
        foreach (var (r, _) in replicas) await r.Ready.WaitAsync(Long);
        AwaitEqual(master, replicas.Select(r => r.Replica));
        Assert.True(replicas.Sum(r => StatsOf(r.Shim).Dropped) > 0, "the shims dropped nothing");
    }

    private static Db LargeDb(int entities)
    {
        var db = Db.Empty.Transact(Forms(SchemaEdn)).DbAfter;
        var forms = new object?[entities];
        for (var i = 0; i < entities; i++)
            forms[i] = new Dictionary<object, object?> { [Keyword.Intern("item/key")] = $"k{i}", [Keyword.Intern("item/n")] = (long)i };
        return db.Transact(forms).DbAfter;
    }

    [Fact]
    public async Task Simultaneous_handshakes_of_one_basis_share_one_encoding_of_the_image()
    {
        var db = LargeDb(40_000);
        var images = new BootstrapImages(SessionSettings.Default);
        const int callers = 4;
        var start = new Barrier(callers);
        var results = new Task<BootstrapImage>[callers];
        var threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = Task.Run(() => images.For(db));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var all = await Task.WhenAll(results).WaitAsync(Long);
        Assert.All(all, image => Assert.Same(all[0], image));
        Assert.Equal(db.BasisT, all[0].BasisT);
        // a later value within bootstrap-reuse-within reuses it too
        Assert.Same(all[0], await Task.Run(() => images.For(db)).WaitAsync(Long));
    }

    [Fact]
    public async Task A_replicas_value_and_status_are_published_together()
    {
        var (master, server) = StartMaster("boot-publish");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "reader");
        await replica.Ready.WaitAsync(Long);
        using var stop = new CancellationTokenSource();
        var torn = 0;
        var reads = 0L;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var seen = replica.Snapshot;
                if (seen.Status.BasisT >= 0 && seen.SyncedDb.BasisT != seen.Status.BasisT) Interlocked.Increment(ref torn);
                Interlocked.Increment(ref reads);
            }
        });
        TxAccepted last = null!;
        for (var i = 0; i < 200; i++)
            last = Commit(master, $$"""[{:item/key "p{{i}}" :item/n {{i}}}]""");
        await replica.SyncAsync(last.T).WaitAsync(Long);
        stop.Cancel();
        await reader.WaitAsync(Long);
        Assert.True(Interlocked.Read(ref reads) > 0);
        Assert.Equal(0, torn);
        Assert.Equal(last.T, replica.Snapshot.Status.BasisT);
        Assert.Equal(last.T, replica.Snapshot.SyncedDb.BasisT);
    }
}
