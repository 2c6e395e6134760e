using CsCheck;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Datsync.Core.Tests.Properties;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ConvergencePropertyTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    /// <param name="Small">A master with a tiny subscriber buffer, few deltas in memory and small bootstrap chunks.</param>
    private sealed record Case(RandomWorkload.OpSpec[][] Stream, int Seed, Faults Rates, bool[] ThroughReplica, bool Small);

    private static readonly Gen<Faults> Rates =
        Gen.Select(Gen.Double[0, 0.2], Gen.Double[0, 0.2], Gen.Double[0, 0.3], Gen.Int[1, 50], (d, u, l, ms) => new Faults(Drop: d, Duplicate: u, Delay: l, MaxDelayMs: ms));

    private static readonly Gen<Case> Cases =
        Gen.Select(RandomWorkload.Stream, Gen.Int, Rates, Gen.Bool.Array[25], Gen.Bool, (s, seed, r, via, small) => new Case(s, seed, r, via, small));

    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("DATSYNC_PROPERTY_ITER"), out var n) ? n : 12;

    private int _run, _committedThroughReplicas;

    [Fact]
    public void Every_replica_ends_with_the_masters_datoms_at_the_masters_t_for_any_stream_and_fault_schedule()
    {
        Cases.Sample(c =>
        {
            var id = "prop" + ++_run;
            var (master, server) = c.Small
                ? StartMaster(id, QuickSession with { ChunkSize = 512, BootstrapWindow = 2 }, recent: 3, buffer: 4)
                : StartMaster(id);
            Commit(master, RandomWorkload.Schema);
            for (var i = 0; i < c.Stream.Length / 2; i++) TryCommit(master, RandomWorkload.Forms(c.Stream[i])); // some before the bootstrap
            var replicas = Enumerable.Range(0, 3).Select(i => StartShimmedReplica(server, $"{id}-c{i}", c.Seed + i, c.Rates)).ToList();
            foreach (var (r, _) in replicas) r.Ready.Wait(Long);

            var writes = new List<Task>();
            for (var i = 0; i < c.Stream.Length; i++)
            {
                var forms = RandomWorkload.Forms(c.Stream[i]);
                if (c.ThroughReplica[i]) writes.Add(replicas[i % replicas.Count].Replica.TransactAsync(forms)); // may be rejected
                else TryCommit(master, forms);
            }
            // every write ends, committed or rejected (a rejection changes nothing)
            Assert.True(Task.WhenAll(writes.Select(w => w.ContinueWith(_ => { }))).Wait(Long), "a replica write never finished");
            _committedThroughReplicas += writes.Count(w => w.IsCompletedSuccessfully);
            AwaitEqual(master, replicas.Select(r => r.Replica));
            foreach (var (r, _) in replicas)
            {
                Assert.Equal(0, r.Status.PendingLocal);
                Assert.Equal(AllDatoms(r.SyncedDb), AllDatoms(r.Db));
            }
            foreach (var (r, shim) in replicas)
            {
                Sys.Stop(r.Actor);
                Sys.Stop(shim);
            }
        }, iter: Iterations, threads: 1, print: c => $"seed {c.Seed}, {c.Rates}, small {c.Small}, {c.Stream.Length} transactions");
        Assert.True(_committedThroughReplicas > 0, "no write through a replica was committed");
    }
}
