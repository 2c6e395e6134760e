using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Persistence;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Benchmarks.Fanout;
using Datsync.Core;
using Progress = Datsync.Benchmarks.Fanout.FanoutBench.Progress;

namespace Datsync.Benchmarks;

/// <summary>
/// <c>offline</c> (issue 15): a replica's local store. In one run: (1) the network bootstrap of a ~1M-datom master over
/// loopback into a fresh replica with a store directory, (2) the cold start of a replica from that store — the time
/// until its <see cref="DatsyncReplica.Db"/> holds the stored value, the store's <c>Open</c> + <c>Load</c> alone, and
/// the time until it is connected again (resumed, not bootstrapped) — and (3) what the store costs a replica applying
/// the master's transactions (applied tx/s with and without a store). The outbox parts of the issue (replay of 10,000
/// queued transactions after reconnection, local write throughput with and without a store) come once the outbox is
/// wired: each is one more part (a method returning its rows, printed by <see cref="Measure"/>).
/// </summary>
internal static class OfflineBench
{
    public const string Usage =
        "usage: offline [--datoms N] [--samples N] [--tx N] [--queued N] [--no-coldstart] [--no-applied] [--no-outbox] [--quick]\n" +
        "  --datoms        size of the master the replica bootstraps and then cold-starts from its store (default 1000000)\n" +
        "  --samples       fresh replicas (fresh store directories) per measurement, median reported (default 3)\n" +
        "  --tx            small transactions a replica applies, with and without a store (default 10000)\n" +
        "  --no-coldstart  skip the bootstrap / cold start part\n" +
        "  --no-applied    skip the store cost on applied deltas\n" +
        "  --queued        transactions queued offline in the outbox, then replayed (default 10000; also the local writes measured)\n" +
        "  --no-outbox     skip the outbox replay and the local write throughput\n" +
        "  --quick         --datoms 100000 --tx 2000 --samples 2";

    internal sealed record Options(int Datoms, int Samples, int Tx, bool ColdStart, bool Applied, int Queued = 10_000, bool Outbox = true);

    /// <summary>Every actor system of the run: warnings and errors to stderr (stdout holds the tables).</summary>
    private const string Base = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.loggers = ["Datsync.Benchmarks.OfflineBench+BenchLogger, Datsync.Benchmarks"]
        akka.remote.log-remote-lifecycle-events = off
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter progress) =>
        Progress.Run(args, output, progress, Usage, Parse, Measure);

    private static Options Parse(IReadOnlyList<string> args)
    {
        int? datoms = null, samples = null, tx = null, queued = null;
        bool quick = false, coldStart = true, applied = true, outbox = true;
        var r = new BenchArgs(args);
        while (r.Next(out var option))
            switch (option)
            {
                case "--datoms": datoms = r.Int(); break;
                case "--samples": samples = r.Int(); break;
                case "--tx": tx = r.Int(); break;
                case "--no-coldstart": coldStart = false; break;
                case "--no-applied": applied = false; break;
                case "--queued": queued = r.Int(); break;
                case "--no-outbox": outbox = false; break;
                case "--quick": quick = true; break;
                default: throw r.Unknown();
            }
        var o = new Options(datoms ?? (quick ? 100_000 : 1_000_000), samples ?? (quick ? 2 : 3), tx ?? (quick ? 2_000 : 10_000), coldStart, applied,
            queued ?? (quick ? 2_000 : 10_000), outbox);
        if (o.Datoms < 1_000 || o.Samples < 1 || o.Tx < 2) throw new ArgumentException("--datoms must be >= 1000, --samples >= 1, --tx >= 2");
        return o;
    }

    private static int Measure(Options o, TextWriter output, Progress log)
    {
        var root = Directory.CreateTempSubdirectory("datsync-bench-offline-").FullName;
        try
        {
            var cold = o.ColdStart ? ColdStart(o, root, log) : null;
            var applied = o.Applied ? AppliedCost(o, root, log) : null;
            var queued = o.Outbox ? OutboxReplay(o, root, log) : null;

            output.WriteLine();
            output.WriteLine($"> machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}; " +
                             $"{RuntimeInformation.FrameworkDescription}; server GC {System.Runtime.GCSettings.IsServerGC}");
            output.WriteLine("> one master (in-memory journal, snapshots off) on Akka.Remote at 127.0.0.1 (DatsyncNode.StartMasterAsync with Listen); " +
                             "each replica in an actor system of its own (DatsyncNode.ConnectReplicaAsync with Server), its store a SQLite file " +
                             $"(replica.db) in a fresh directory under {Path.GetTempPath()}. All in one process: fresh actor system and store handle " +
                             "each time, a full GC before each sample; the OS page cache is warm (the file was just written), so this is a warm-disk " +
                             "cold start.");
            if (cold is not null) WriteColdStart(output, cold);
            if (applied is not null) WriteApplied(output, applied);
            if (queued is not null) WriteOutbox(output, queued);
            output.WriteLine();
            output.WriteLine("> targets (issue 15): cold start from the store < 0.5 s and faster than the network bootstrap; replay >= 5,000 tx/s; " +
                             "the store costs <= 30% of local write throughput.");
            if (cold is not null)
            {
                var met = cold.ReadableMs.Median < 500 && cold.ReadableMs.Median < cold.BootstrapMs.Median;
                output.WriteLine($">   cold start: readable in {cold.ReadableMs.Median / 1000:F3} s (median of {o.Samples}) vs network bootstrap " +
                                 $"{cold.BootstrapMs.Median / 1000:F3} s, {cold.BootstrapMs.Median / cold.ReadableMs.Median:F1}x faster: " +
                                 $"{(met ? "met" : "missed")} (< 0.5 s: {(cold.ReadableMs.Median < 500 ? "yes" : "no")}; faster than the bootstrap: " +
                                 $"{(cold.ReadableMs.Median < cold.BootstrapMs.Median ? "yes" : "no")})");
            }
            if (applied is not null)
                output.WriteLine($">   store on applied deltas (not the target's write path, which needs the outbox): {applied.CostShare:P0} fewer applied " +
                                 $"tx/s with a store ({(applied.CostShare <= 0.30 ? "within" : "beyond")} 30%)");
            if (queued is not null)
            {
                output.WriteLine($">   outbox replay: {queued.ReplayTxPerSec:N0} tx/s ({(queued.ReplayTxPerSec >= 5_000 ? "met" : "missed")}, target >= 5,000)");
                output.WriteLine($">   local writes with a store: {queued.StoreCost:P0} fewer tx/s than without ({(queued.StoreCost <= 0.30 ? "met" : "missed")}, target <= 30%)");
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }
        }
    }

    // ------------------------------------------------------------------ helpers

    internal readonly record struct Stat(double Median, double Min, double Max)
    {
        public static Stat Of(IEnumerable<double> xs)
        {
            var a = xs.Order().ToArray();
            return new Stat(a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2, a[0], a[^1]);
        }

        public string Ms => $"{Median:N0} ({Min:N0} .. {Max:N0})";
        public string Ms1 => $"{Median:N1} ({Min:N1} .. {Max:N1})";
    }

    private static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static Task<DatsyncMaster> StartMaster(string name, int recentInMemory = 0) =>
        DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name,
            Listen = "127.0.0.1:0",
            Storage = { Kind = "memory" },
            SnapshotEvery = 0,
            ListenerRecentInMemory = recentInMemory > 0 ? recentInMemory : null,
            Hocon = Base,
        });

    private static DatsyncReplicaOptions ReplicaOptions(DatsyncMaster master, string clientId, string? store) => new()
    {
        Server = master.ListeningAt,
        ServerSystemName = master.Name,
        ClientId = clientId,
        Store = store,
        Hocon = Base,
    };

    private static async Task Quietly(Func<Task> stop)
    {
        BenchLogger.Quiet = true;
        try { await stop(); }
        finally { BenchLogger.Quiet = false; }
    }

    /// <summary>The run's logger: Akka's warnings and errors to stderr (stdout holds the tables), except those of an
    /// association that ends (every replica disposed ends one: the other side logs Disassociated, which says nothing
    /// about the run), and nothing while the systems shut down.</summary>
    public sealed class BenchLogger : ReceiveActor
    {
        internal static volatile bool Quiet;

        public BenchLogger()
        {
            Receive<Akka.Event.InitializeLogger>(_ => Sender.Tell(new Akka.Event.LoggerInitialized()));
            Receive<Akka.Event.LogEvent>(e =>
            {
                if (Quiet || e.Cause?.GetType().Name == "EndpointDisassociatedException") return;
                var text = e.Message?.ToString() ?? "";
                if (text.Contains("Disassociated", StringComparison.Ordinal) || text.Contains("Association with remote system", StringComparison.Ordinal)
                    || text.Contains("Shutting down remote", StringComparison.Ordinal)
                    || text.Contains("Tried to associate with unreachable remote address", StringComparison.Ordinal)) // a disposed client's address
                    return;
                Console.Error.WriteLine(e);
            });
        }
    }

    // ------------------------------------------------------------------ (1) + (2): bootstrap, cold start

    internal sealed record ColdResult(long Datoms, long BasisT, double StoreMb, Stat BootstrapMs, Stat ResetToMs, Stat LoadMs, Stat ReadableMs,
        Stat ConnectedMs, double[] Bootstraps, double[] Readables, int OfflineAtReturn);

    private static ColdResult ColdStart(Options o, string root, Progress log)
    {
        const string what = "cold start";
        var master = StartMaster("offline-master").GetAwaiter().GetResult();
        try
        {
            var db = FanoutBench.BuildLarge(master.Node, o.Datoms, log);
            var datoms = db.Count;
            var boots = new List<double>();
            var resets = new List<double>();
            var loads = new List<double>();
            var readables = new List<double>();
            var connecteds = new List<double>();
            var offlineAtReturn = 0;
            double storeMb = 0;
            for (var i = 0; i < o.Samples; i++)
            {
                var dir = Path.Combine(root, $"cold-{i}");
                var id = $"offline-{i}";

                // (1) network bootstrap: a fresh replica, a fresh store directory, start -> Ready (its store written on the way)
                FullGc();
                var start = Stopwatch.GetTimestamp();
                var replica = DatsyncNode.ConnectReplicaAsync(ReplicaOptions(master, id, dir)).GetAwaiter().GetResult();
                var bootMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (replica.StartedFromStore) throw new InvalidOperationException($"replica {id} started from a store that should be empty");
                if (replica.SyncedDb.Count != datoms) throw new InvalidOperationException($"replica {id} holds {replica.SyncedDb.Count} datoms, the master {datoms}");
                boots.Add(bootMs);
                log.Say(what, $"{id}: network bootstrap of {datoms:N0} datoms, start -> Ready in {bootMs:N0} ms" +
                              $"{(i == 0 ? " (the master encodes its image for this first one)" : " (image reused)")}");
                Quietly(() => replica.DisposeAsync().AsTask()).GetAwaiter().GetResult();

                // the store alone: open + load, no actor system
                FullGc();
                start = Stopwatch.GetTimestamp();
                using (var store = ReplicaStore.Open(dir, id))
                {
                    var stored = store.Load() ?? throw new InvalidOperationException($"store {dir} holds no value after the bootstrap");
                    loads.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (stored.Value.Count != datoms || stored.BasisT != db.BasisT)
                        throw new InvalidOperationException($"store {dir} holds {stored.Value.Count} datoms at t={stored.BasisT}, the master {datoms} at t={db.BasisT}");
                }
                storeMb = new FileInfo(Path.Combine(dir, ReplicaStore.FileName)).Length / 1048576.0;
                log.Say(what, $"{id}: store {storeMb:F1} MB, Open + Load in {loads[^1]:N0} ms");

                // (2) cold start: a fresh actor system, the same store: readable when ConnectReplicaAsync returns, then connected
                FullGc();
                start = Stopwatch.GetTimestamp();
                var cold = DatsyncNode.ConnectReplicaAsync(ReplicaOptions(master, id, dir)).GetAwaiter().GetResult();
                var readableMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                var atReturn = cold.Snapshot;
                if (!cold.StartedFromStore) throw new InvalidOperationException($"replica {id} did not start from its store");
                if (atReturn.SyncedDb.Count != datoms || atReturn.Status.BasisT != db.BasisT)
                    throw new InvalidOperationException($"replica {id} read {atReturn.SyncedDb.Count} datoms at t={atReturn.Status.BasisT} from its store");
                if (atReturn.Status.Connection != ConnectionState.Connected) offlineAtReturn++;
                if (!cold.Ready.Wait(FanoutBench.Timeout)) throw new TimeoutException($"replica {id} did not connect again");
                var connectedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (cold.BootstrapProgress is not null)
                    throw new InvalidOperationException($"replica {id} was bootstrapped again instead of resumed ({cold.BootstrapProgress})");
                if (cold.Status.Connection != ConnectionState.Connected || cold.SyncedDb.BasisT != db.BasisT)
                    throw new InvalidOperationException($"replica {id} is {cold.Status.Connection} at t={cold.SyncedDb.BasisT}");
                readables.Add(readableMs);
                connecteds.Add(connectedMs);
                log.Say(what, $"{id}: from its store, readable ({atReturn.SyncedDb.Count:N0} datoms, {atReturn.Status.Connection}) in {readableMs:N0} ms, " +
                              $"connected again (resumed, no bootstrap chunk) in {connectedMs:N0} ms");
                Quietly(() => cold.DisposeAsync().AsTask()).GetAwaiter().GetResult();
            }

            // what the bootstrap's store write costs alone: ResetTo of the master's value into a fresh store
            for (var i = 0; i < o.Samples; i++)
            {
                var dir = Path.Combine(root, $"reset-{i}");
                FullGc();
                using var store = ReplicaStore.Open(dir, "reset");
                var start = Stopwatch.GetTimestamp();
                store.ResetTo(db, master.Handle.DatabaseId);
                resets.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            log.Say(what, $"ResetTo of the value alone: {Stat.Of(resets).Ms} ms");
            return new ColdResult(datoms, db.BasisT, storeMb, Stat.Of(boots), Stat.Of(resets), Stat.Of(loads), Stat.Of(readables), Stat.Of(connecteds),
                boots.ToArray(), readables.ToArray(), offlineAtReturn);
        }
        finally { Quietly(() => master.DisposeAsync().AsTask()).GetAwaiter().GetResult(); }
    }

    private static void WriteColdStart(TextWriter output, ColdResult r)
    {
        output.WriteLine();
        output.WriteLine($"> cold start: a master of {r.Datoms:N0} datoms (t={r.BasisT:N0}, FanoutBench.BuildLarge). Per sample, a fresh client id and " +
                         "store directory: network bootstrap = DatsyncNode.ConnectReplicaAsync -> returns (bootstrapped and connected; this " +
                         "includes the client actor system, the association, the chunked image over loopback, and the store's ResetTo of the " +
                         "value); the replica is disposed; Open + Load = ReplicaStore.Open + Load on that directory, no actor system; cold start = " +
                         "DatsyncNode.ConnectReplicaAsync again with the same store in a fresh actor system: readable = until it returns with " +
                         "Db holding the stored value (it does not wait for the master), connected = until Ready (resumed from its t: checked " +
                         "that no bootstrap chunk came). Median (min .. max) of the samples; the first bootstrap also has the master encode " +
                         "its image, the others reuse it.");
        output.WriteLine();
        output.WriteLine("| measurement | ms, median (min .. max) |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| network bootstrap over loopback, start -> Ready (per sample: {string.Join(", ", r.Bootstraps.Select(x => x.ToString("N0")))}) | {r.BootstrapMs.Ms} |");
        output.WriteLine($"| of which: the store's ResetTo of the value (written before Ready), timed alone | {r.ResetToMs.Ms} |");
        output.WriteLine($"| store Open + Load alone ({r.StoreMb:F1} MB file) | {r.LoadMs.Ms} |");
        output.WriteLine($"| cold start from the store, start -> readable (per sample: {string.Join(", ", r.Readables.Select(x => x.ToString("N0")))}) | {r.ReadableMs.Ms} |");
        output.WriteLine($"| cold start from the store, start -> connected again (resumed) | {r.ConnectedMs.Ms} |");
        output.WriteLine($"| cold start readable vs network bootstrap | {r.BootstrapMs.Median / r.ReadableMs.Median:F1}x faster |");
        output.WriteLine();
        output.WriteLine($"> at return, {r.OfflineAtReturn} of {r.Readables.Length} cold starts were not connected yet (readable before the master answered).");
    }

    // ------------------------------------------------------------------ (3): the store on applied deltas

    internal sealed record AppliedRun(bool Store, double StreamRate, double TotalRate, double FirstMs);

    internal sealed record AppliedResult(int Tx, double DatomsPerDelta, int CompactEvery, Stat NoStore, Stat WithStore, Stat NoStoreTotal, Stat WithStoreTotal,
        Stat AppendUs, Stat EncodeUs, double CostShare, double StoreShare);

    private static AppliedResult AppliedCost(Options o, string root, Progress log)
    {
        const string what = "applied";
        var master = StartMaster("offline-applied", recentInMemory: o.Tx + 16).GetAwaiter().GetResult();
        var clients = new List<ActorSystem>();
        try
        {
            var server = master.ListeningAt!;
            var (before, deltas) = FanoutBench.CommitLog(master.Node, o.Tx);
            var databaseId = master.Handle.DatabaseId;
            var lastT = before.BasisT + o.Tx;
            var datomsPerDelta = deltas.Average(d => d.Datoms.Count);
            log.Say(what, $"{o.Tx:N0} transactions of {datomsPerDelta:F1} datoms committed after t={before.BasisT}; replicas resume from that t");

            var runs = new List<AppliedRun>();
            var n = 0;
            AppliedRun One(bool withStore)
            {
                var id = $"applied-{n++}";
                var client = DatsyncRemote.ClientSystem(id + "-client", overrides: Base);
                clients.Add(client);
                var settings = ReplicaSettings.From(client.Settings.Config);
                if (withStore)
                {
                    var dir = Path.Combine(root, id);
                    using (var s = ReplicaStore.Open(dir, id)) s.ResetTo(before, databaseId); // it held the value before the stream
                    settings = settings with { Store = dir };
                }
                FullGc();
                long first = 0, last = 0;
                using var done = new ManualResetEventSlim();
                var start = Stopwatch.GetTimestamp();
                var replica = DatsyncReplica.Connect(client, server, id, settings: settings, resumeFrom: withStore ? null : before,
                    resumeDatabaseId: withStore ? null : databaseId, serverSystem: master.Name);
                if (withStore != replica.StartedFromStore) throw new InvalidOperationException($"replica {id}: started from its store {replica.StartedFromStore}");
                replica.Listen(report =>
                {
                    if (report.Pending) return;
                    if (first == 0) first = Stopwatch.GetTimestamp();
                    if (report.T != lastT) return;
                    last = Stopwatch.GetTimestamp();
                    done.Set();
                });
                if (!done.Wait(FanoutBench.Timeout)) throw new TimeoutException($"replica {id} did not apply the stream (at t={replica.Status.BasisT})");
                if (replica.BootstrapProgress is not null) throw new InvalidOperationException($"replica {id} was bootstrapped instead of resumed");
                var run = new AppliedRun(withStore, (o.Tx - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds,
                    o.Tx / Stopwatch.GetElapsedTime(start, last).TotalSeconds, Stopwatch.GetElapsedTime(start, first).TotalMilliseconds);
                log.Say(what, $"{id} {(withStore ? "with a store" : "in memory")}: {run.StreamRate:N0} tx/s first -> last applied, " +
                              $"{run.TotalRate:N0} tx/s from start (first applied after {run.FirstMs:N0} ms)");
                Quietly(() => replica.DisposeAsync().AsTask()).GetAwaiter().GetResult(); // stops the actor (its store closed once it stopped)
                return run;
            }

            One(false); // warmup of both paths (JIT, the wire serializer of a first client system)
            One(true);
            for (var i = 0; i < o.Samples; i++) // in turn, each side first in half of the rounds
            {
                if (i % 2 == 0) { runs.Add(One(false)); runs.Add(One(true)); }
                else { runs.Add(One(true)); runs.Add(One(false)); }
            }

            // the store's own work alone: the same deltas appended to a store that holds the value before them, compacted
            // every compact-every as the replica does (no actors, no network)
            var compactEvery = ReplicaSettings.Default.CompactEvery;
            var appendUs = new List<double>();
            for (var i = 0; i < o.Samples; i++)
            {
                var dir = Path.Combine(root, $"append-{i}");
                using var s = ReplicaStore.Open(dir, "append");
                s.ResetTo(before, databaseId);
                var value = before;
                FullGc();
                var sw = Stopwatch.StartNew();
                foreach (var d in deltas)
                {
                    s.Append(d);
                    if (s.DeltasSinceSnapshot >= compactEvery)
                    {
                        sw.Stop();
                        value = deltas.Where(x => x.T > value.BasisT && x.T <= d.T).Aggregate(value, (v, x) => x.ApplyTo(v)); // not timed
                        sw.Start();
                        s.Compact(value);
                    }
                }
                appendUs.Add(sw.Elapsed.TotalMicroseconds / deltas.Length);
            }
            var encodeUs = new List<double>();
            for (var i = 0; i < o.Samples; i++)
            {
                var sw = Stopwatch.StartNew();
                foreach (var d in deltas) ReplicaStoreCodec.EncodeDelta(d);
                encodeUs.Add(sw.Elapsed.TotalMicroseconds / deltas.Length);
            }
            var noStore = Stat.Of(runs.Where(r => !r.Store).Select(r => r.StreamRate));
            var withStore = Stat.Of(runs.Where(r => r.Store).Select(r => r.StreamRate));
            var append = Stat.Of(appendUs);
            var cost = 1 - withStore.Median / noStore.Median;
            var share = append.Median / (1e6 / withStore.Median);
            log.Say(what, $"in memory {noStore.Median:N0} tx/s, with a store {withStore.Median:N0} tx/s ({cost:P0} fewer); Append alone {append.Median:F1} us per delta " +
                          $"({share:P0} of a with-store apply)");
            return new AppliedResult(o.Tx, datomsPerDelta, compactEvery, noStore, withStore,
                Stat.Of(runs.Where(r => !r.Store).Select(r => r.TotalRate)), Stat.Of(runs.Where(r => r.Store).Select(r => r.TotalRate)), append, Stat.Of(encodeUs), cost, share);
        }
        finally
        {
            Quietly(async () =>
            {
                await Task.WhenAll(clients.Select(c => c.Terminate())).WaitAsync(TimeSpan.FromSeconds(30));
                await master.DisposeAsync();
            }).GetAwaiter().GetResult();
        }
    }

    private static void WriteApplied(TextWriter output, AppliedResult r)
    {
        output.WriteLine();
        output.WriteLine($"> store on applied deltas: {r.Tx:N0} transactions of {r.DatomsPerDelta:F1} datoms (FanoutBench.CommitLog) committed on a fresh " +
                         "master first; then a replica in a fresh client actor system resumes from the value before them (in memory: " +
                         "resumeFrom; with a store: the store holds that value, the replica starts from it) and takes them from the log " +
                         "listener's memory over loopback. applied tx/s = (tx - 1) / (first applied -> last applied, the replica's Listen " +
                         $"callback); from start = tx / (start -> last applied), with the handshake. With a store every applied delta is " +
                         $"appended (one INSERT, synchronous=NORMAL) and a new snapshot written every {r.CompactEvery:N0} deltas (compact-every: " +
                         $"{r.Tx / r.CompactEvery} compaction(s) of this small value per run, inside the timed window; the store is written before " +
                         "the Listen callback runs). " +
                         "One warmup of each, then the samples in turn (each side first in half of them), median (min .. max). Append alone: " +
                         "ReplicaStore.Append of the same deltas into a store holding the value before them (compactions included), no actors.");
        output.WriteLine();
        output.WriteLine("| replica | applied tx/s, median (min .. max) | from start tx/s (median) |");
        output.WriteLine("|---|---:|---:|");
        output.WriteLine($"| in memory (no store) | {r.NoStore.Median:N0} ({r.NoStore.Min:N0} .. {r.NoStore.Max:N0}) | {r.NoStoreTotal.Median:N0} |");
        output.WriteLine($"| with a store | {r.WithStore.Median:N0} ({r.WithStore.Min:N0} .. {r.WithStore.Max:N0}) | {r.WithStoreTotal.Median:N0} |");
        output.WriteLine();
        output.WriteLine("| store cost | value |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| applied tx/s lost with a store | {r.CostShare:P1} |");
        output.WriteLine($"| Append alone, us per delta | {r.AppendUs.Ms1} |");
        output.WriteLine($"| of which encoding the delta (ReplicaStoreCodec.EncodeDelta), us per delta | {r.EncodeUs.Ms1} |");
        output.WriteLine($"| Append alone / time per delta applied with a store | {r.StoreShare:P1} |");
    }

    // ------------------------------------------------------------------ (4) + (5): the outbox

    internal sealed record OutboxResult(int Queued, double QueueSeconds, double ReplaySeconds, double ReplayTxPerSec, double WithoutStore,
        double WithStore, double StoreCost, int Window, double FirstCommitSeconds = 0);

    /// <summary>A closed loopback port: a replica told to reach it never connects (it is offline).</summary>
    private static int ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static OutboxResult OutboxReplay(Options o, string root, Progress log)
    {
        const string what = "outbox";
        var master = StartMaster("offline-outbox", recentInMemory: o.Queued + 16).GetAwaiter().GetResult();
        try
        {
            master.TransactAsync("[{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity} " +
                                 "{:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]").GetAwaiter().GetResult();
            var dir = Path.Combine(root, "outbox");
            // synced once, so that the store holds the master's value
            var first = DatsyncNode.ConnectReplicaAsync(ReplicaOptions(master, "outbox", dir)).GetAwaiter().GetResult();
            first.SyncAsync(master.Db.BasisT).WaitAsync(FanoutBench.Timeout).GetAwaiter().GetResult();
            Quietly(() => first.DisposeAsync().AsTask()).GetAwaiter().GetResult();

            // offline: the same store, a master that is not there; the writes wait in the outbox
            var offlineOptions = ReplicaOptions(master, "outbox", dir);
            offlineOptions.Server = $"127.0.0.1:{ClosedPort()}";
            offlineOptions.ConnectionTimeout = TimeSpan.FromHours(1);
            var offline = DatsyncNode.ConnectReplicaAsync(offlineOptions).GetAwaiter().GetResult();
            if (!offline.StartedFromStore) throw new InvalidOperationException("the offline replica did not start from its store");
            FullGc();
            var queuing = Stopwatch.StartNew();
            var pending = new List<Task>(o.Queued);
            for (var i = 0; i < o.Queued; i++)
                pending.Add(offline.TransactAsync($$"""[{:item/key "q{{i}}" :item/n {{i}}}]"""));
            var lastKey = new object?[] { Datsync.Core.Keyword.Intern("item/key"), $"q{o.Queued - 1}" };
            while (offline.Db.EntId(lastKey) is null)
            {
                if (queuing.Elapsed > FanoutBench.Timeout) throw new TimeoutException("the offline writes did not reach the replica's view");
                Thread.Sleep(1);
            }
            queuing.Stop();
            log.Say(what, $"{o.Queued:N0} transactions queued offline in {queuing.Elapsed.TotalSeconds:F2}s");
            Quietly(() => offline.DisposeAsync().AsTask()).GetAwaiter().GetResult();
            foreach (var t in pending) t.ContinueWith(_ => { }, TaskScheduler.Default); // their callers went with that replica
            using (var s = ReplicaStore.Open(dir, "outbox"))
                if (s.Outbox().Count != o.Queued) throw new InvalidOperationException($"the outbox holds {s.Outbox().Count:N0}, not {o.Queued:N0}");

            // online again: taken back and sent in order
            var t0 = master.Db.BasisT;
            FullGc();
            var replay = Stopwatch.StartNew();
            var online = DatsyncNode.ConnectReplicaAsync(ReplicaOptions(master, "outbox", dir)).GetAwaiter().GetResult();
            master.SyncAsync(t0 + 1).WaitAsync(FanoutBench.Timeout).GetAwaiter().GetResult();
            var firstCommit = replay.Elapsed.TotalSeconds;
            master.SyncAsync(t0 + o.Queued).WaitAsync(FanoutBench.Timeout).GetAwaiter().GetResult();
            replay.Stop();
            log.Say(what, $"replayed in {replay.Elapsed.TotalSeconds:F2}s (the first committed after {firstCommit:F2}s)");
            if (master.Db.EntId(lastKey) is null) throw new InvalidOperationException("the last queued transaction is not on the master");
            Quietly(() => online.DisposeAsync().AsTask()).GetAwaiter().GetResult();

            // local writes, connected: a window of transactions in flight, with and without a store
            const int window = 64;
            double Writes(string id, string? store)
            {
                var r = DatsyncNode.ConnectReplicaAsync(ReplicaOptions(master, id, store)).GetAwaiter().GetResult();
                try
                {
                    FullGc();
                    var sw = Stopwatch.StartNew();
                    var inFlight = new Queue<Task<TxResult>>();
                    for (var i = 0; i < o.Queued; i++)
                    {
                        if (inFlight.Count == window) inFlight.Dequeue().WaitAsync(FanoutBench.Timeout).GetAwaiter().GetResult();
                        inFlight.Enqueue(r.TransactAsync($$"""[{:item/key "{{id}}-{{i}}" :item/n {{i}}}]"""));
                    }
                    while (inFlight.Count > 0) inFlight.Dequeue().WaitAsync(FanoutBench.Timeout).GetAwaiter().GetResult();
                    sw.Stop();
                    return o.Queued / sw.Elapsed.TotalSeconds;
                }
                finally
                {
                    Quietly(() => r.DisposeAsync().AsTask()).GetAwaiter().GetResult();
                }
            }
            var without = Writes("writes-memory", null);
            var with = Writes("writes-store", Path.Combine(root, "writes"));
            log.Say(what, $"local writes: {without:N0} tx/s without a store, {with:N0} with");
            return new OutboxResult(o.Queued, queuing.Elapsed.TotalSeconds, replay.Elapsed.TotalSeconds, o.Queued / replay.Elapsed.TotalSeconds,
                without, with, 1 - with / without, window, firstCommit);
        }
        finally
        {
            Quietly(() => master.DisposeAsync().AsTask()).GetAwaiter().GetResult();
        }
    }

    private static void WriteOutbox(TextWriter output, OutboxResult r)
    {
        output.WriteLine();
        output.WriteLine($"**outbox** ({r.Queued:N0} small transactions; datsync.replica.outbox-sync = normal)");
        output.WriteLine();
        output.WriteLine("| measurement | value |");
        output.WriteLine("|---|---:|");
        output.WriteLine($"| queued offline (applied to the view and written to the outbox), s | {r.QueueSeconds:F2} |");
        output.WriteLine($"| replay after reconnection (start -> the master committed all), s | {r.ReplaySeconds:F2} |");
        output.WriteLine($"| of which: start -> the first committed (the outbox taken back, connected, resumed), s | {r.FirstCommitSeconds:F2} |");
        output.WriteLine($"| replay, tx/s | {r.ReplayTxPerSec:N0} |");
        output.WriteLine($"| local writes connected, {r.Window} in flight, without a store, tx/s | {r.WithoutStore:N0} |");
        output.WriteLine($"| local writes connected, {r.Window} in flight, with a store (outbox), tx/s | {r.WithStore:N0} |");
        output.WriteLine($"| store cost on local writes | {r.StoreCost:P0} |");
    }
}
