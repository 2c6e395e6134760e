using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Benchmarks.Fanout;

/// <summary>
/// <c>fanout</c>: one master (in-memory journal, so the fan-out path — log listener, client sessions, replica actors —
/// is what is measured, not a disk), N in-process replicas, a stream of small transactions. Per N: transactions per
/// second applied by each replica, commit-to-applied latency over all replicas, and, in the same run, the ceiling: the
/// same deltas told by one thread to N plain counting actors. Then the bootstrap of a 1M-datom master into a fresh
/// replica.
/// </summary>
public static class FanoutBench
{
    public const string Usage =
        "usage: fanout [--replicas 1,10,100,1000] [--tx N] [--window N] [--submitters N] [--bootstrap-datoms N] [--quick]\n" +
        "  --replicas          replica counts to run, one master each (default 1,10,100,1000)\n" +
        "  --tx                transactions streamed per run up to 100 replicas (default 20000; --quick 5000);\n" +
        "                      above 100 replicas tx*100/N, at least 1000, so every run applies about the same total\n" +
        "  --window            at most this many transactions submitted and not yet applied by every replica (default 128;\n" +
        "                      at saturation the latency is about window / rate, so this sets the queue the latency includes)\n" +
        "  --submitters        threads submitting transactions (default 4)\n" +
        "  --bootstrap-datoms  size of the master a fresh replica bootstraps from (default 1000000; 0 skips)";

    internal const string Schema = """
        [{:db/ident :bench/seq :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :bench/k :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :city :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    internal static readonly Keyword Add = Keyword.Intern("db/add"), Seq = Keyword.Intern("bench/seq"), K = Keyword.Intern("bench/k"),
        Id = Keyword.Intern("id"), Name = Keyword.Intern("name"), Age = Keyword.Intern("age"), Salary = Keyword.Intern("salary"),
        City = Keyword.Intern("city");

    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    internal static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Submitters take the window in chunks of this many transactions.</summary>
    internal const int Chunk = 16;

    private sealed record Options(int[] Replicas, int Tx, int Window, int Submitters, int BootstrapDatoms);

    /// <summary>Runs the benchmark; tables to <paramref name="output"/>, progress to <paramref name="progress"/>.
    /// <paramref name="args"/> are the options after <c>fanout</c>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter progress) =>
        Progress.Run(args, output, progress, Usage, Parse, Measure);

    private static int Measure(Options o, TextWriter output, Progress log)
    {
        var rows = new List<Row>();
        var logRows = new List<LogRow>();
        foreach (var n in o.Replicas)
        {
            var tx = n <= 100 ? o.Tx : Math.Max(1000, (int)((long)o.Tx * 100 / n));
            rows.Add(RunFanout(n, tx, o, log));
            logRows.Add(RunFromLog(n, tx, log));
        }
        var boot = o.BootstrapDatoms > 0 ? Bootstrap(o.BootstrapDatoms, log) : null;

        output.WriteLine();
        output.WriteLine($"> machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}; " +
                         $"{RuntimeInformation.FrameworkDescription}; server GC {System.Runtime.GCSettings.IsServerGC}");
        output.WriteLine($"> master journal: in memory (Akka.Persistence inmem), so the fan-out path is measured: transactor -> log listener " +
                         $"-> client session -> replica actor, all in one process. {o.Submitters} submitter threads, transactions of 2 datoms " +
                         $"(+ :db/txInstant = 3 datoms per delta); at most {o.Window} transactions submitted but not applied by every replica " +
                         $"(taken by the submitters in chunks of {Chunk}): the stream runs at the rate the fan-out sustains, and latency is measured " +
                         $"at that saturation (about window / rate of it is queueing).");
        output.WriteLine("> applied tx/s: per replica, (tx - 1) / (last applied - first applied), median and min over the replicas. " +
                         "latency: commit -> applied, commit stamped when the transactor sends TxAccepted (after the journal write, just before it " +
                         "hands the commit to the log listener), applied stamped in the replica's Listen callback; percentiles over every (replica, tx).");
        output.WriteLine("> CPU us per (tx, replica): this process's CPU time over the measured stream / (tx x replicas), the whole pipeline " +
                         "(submitters, transactor, listener, sessions, replicas); cores busy: that CPU time / wall time (the machine is shared: " +
                         "below the core count, other processes had the rest).");
        output.WriteLine("> ceiling: the same deltas (rebuilt from the run's commits) told by one thread to N plain counting actors, " +
                         "deliveries/s per actor (median); ratio = replica median applied tx/s / ceiling.");
        output.WriteLine();
        output.WriteLine("| replicas | tx | applied tx/s per replica (median / min) | p50 ms | p99 ms | max ms | master tx/s | ceiling deliveries/s per actor | ratio | CPU us per (tx, replica) | cores busy | bytes allocated per (tx, replica) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            output.WriteLine($"| {r.N} | {r.Tx:N0}{(r.Complete ? "" : " (incomplete)")} | {r.MedianRate:N0} / {r.MinRate:N0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MaxMs:F1} | " +
                             $"{r.MasterRate:N0} | {r.CeilingRate:N0} | {r.MedianRate / r.CeilingRate:F2} | {r.CpuUs:F1} | {r.Cores:F2} | {r.Bytes:N0} |");
        output.WriteLine();
        output.WriteLine("> from the log: the same kind of stream committed first (no replica connected), then N replicas start from the value " +
                         "before it and take it from the log listener's memory: fan-out alone, without the master's commit rate as a bound. " +
                         "applied tx/s per replica = tx / (replicas started -> last transaction applied, stamped in Listen); ceiling and ratio as above.");
        output.WriteLine();
        output.WriteLine("| replicas | tx | from the log: applied tx/s per replica (median / min) | ceiling deliveries/s per actor | ratio |");
        output.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var r in logRows)
            output.WriteLine($"| {r.N} | {r.Tx:N0} | {r.MedianRate:N0} / {r.MinRate:N0} | {r.CeilingRate:N0} | {r.MedianRate / r.CeilingRate:F2} |");
        if (boot is not null)
        {
            output.WriteLine();
            output.WriteLine("| bootstrap | datoms | image MB | Start -> Ready ms | datoms/s |");
            output.WriteLine("|---|---:|---:|---:|---:|");
            output.WriteLine($"| fresh replica, image encoded on demand | {boot.Datoms:N0} | {boot.ImageMb:F1} | {boot.ColdMs:N0} | {boot.Datoms / (boot.ColdMs / 1000):N0} |");
            output.WriteLine($"| second replica, image reused | {boot.Datoms:N0} | {boot.ImageMb:F1} | {boot.WarmMs:N0} | {boot.Datoms / (boot.WarmMs / 1000):N0} |");
        }
        output.WriteLine();
        output.WriteLine("> targets (issue): 100 replicas >= 5,000 tx/s applied by each and p99 < 50 ms; ratio >= 0.3; 1M-datom bootstrap < 3 s.");
        if (rows.FirstOrDefault(r => r.N == 100) is { } h)
            output.WriteLine($">   100 replicas: {h.MedianRate:N0} tx/s ({(h.MinRate >= 5000 ? "met" : "missed")} by every replica, min {h.MinRate:N0}), " +
                             $"p99 {h.P99Ms:F1} ms ({(h.P99Ms < 50 ? "met" : "missed")}), ratio {h.MedianRate / h.CeilingRate:F2} ({(h.MedianRate / h.CeilingRate >= 0.3 ? "met" : "missed")})");
        if (logRows.FirstOrDefault(r => r.N == 100) is { } l)
            output.WriteLine($">   100 replicas from the log: {l.MedianRate:N0} tx/s per replica, ratio {l.MedianRate / l.CeilingRate:F2} ({(l.MedianRate / l.CeilingRate >= 0.3 ? "met" : "missed")})");
        if (boot is not null)
            output.WriteLine($">   bootstrap: {boot.ColdMs / 1000:F2} s ({(boot.ColdMs < 3000 ? "met" : "missed")})");
        output.Flush();
        return rows.All(r => r.Complete) ? 0 : 1;
    }

    private static Options Parse(IReadOnlyList<string> args)
    {
        int[] replicas = [1, 10, 100, 1000];
        int? tx = null;
        int window = 128, submitters = 4, boot = 1_000_000;
        var quick = false;
        var r = new BenchArgs(args);
        while (r.Next(out var option))
        {
            switch (option)
            {
                case "--replicas": replicas = r.Ints(); break;
                case "--tx": tx = r.Int(); break;
                case "--window": window = r.Int(); break;
                case "--submitters": submitters = r.Int(); break;
                case "--bootstrap-datoms": boot = r.Int(); break;
                case "--quick": quick = true; break;
                default: throw r.Unknown();
            }
        }
        if (replicas.Length == 0 || replicas.Any(n => n < 1)) throw new ArgumentException("--replicas must list counts >= 1");
        if (window < 1 || submitters < 1 || boot < 0 || tx < 2) throw new ArgumentException("--window and --submitters must be >= 1, --tx >= 2, --bootstrap-datoms >= 0");
        return new Options(replicas, tx ?? (quick ? 5_000 : 20_000), window, submitters, boot);
    }

    // ------------------------------------------------------------------ fan-out

    private sealed record Row(int N, int Tx, bool Complete, double MedianRate, double MinRate, double P50Ms, double P99Ms, double MaxMs,
        double MasterRate, double CeilingRate, double CpuUs, double Cores, double Bytes);

    private static MasterSystem StartMaster(string name) =>
        MasterRuntime.StartSystem(name, new InMemoryStorage(), """
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            datsync.master.snapshot-every = 0
            """);

    internal static async Task<TxAccepted> Commit(IActorRef transactor, string id, IReadOnlyList<object?> tx)
    {
        var reply = await transactor.Ask(new Transact(id, tx), Timeout);
        return reply as TxAccepted ?? throw new InvalidOperationException($"benchmark transaction refused: {(reply as TxRejected)?.Describe() ?? reply.ToString()}");
    }

    /// <summary>The master's current value.</summary>
    internal static Db CurrentValue(MasterSystem ms) =>
        ((CurrentDb)ms.Master.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db;

    private static Row RunFanout(int n, int tx, Options o, Progress log)
    {
        log.Say($"fanout {n}", $"starting a master and {n} replicas");
        var ms = StartMaster($"fanout-{n}");
        try
        {
            var schema = Commit(ms.Master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
            var replicas = new DatsyncReplica[n];
            var sinks = new StreamSink?[1];
            for (var r = 0; r < n; r++)
            {
                replicas[r] = ms.ConnectReplica("r" + r);
                var index = r;
                replicas[r].Listen(report =>
                {
                    if (!report.Pending) Volatile.Read(ref sinks[0])?.Applied(index, report.T);
                });
            }
            if (!Task.WhenAll(replicas.Select(x => x.Ready)).Wait(Timeout)) throw new TimeoutException("replicas not ready");
            log.Say($"fanout {n}", $"{n} replicas ready at t={schema.T}");

            // warmup: a short stream, untimed
            var warm = Stream(ms, replicas, n, Math.Min(2_000, tx / 4 + 2), o.Window, o.Submitters, sinks, "w", log);
            log.Say($"fanout {n}", $"warmup: {warm.MedianRate:N0} tx/s per replica; now {tx:N0} transactions");
            var s = Stream(ms, replicas, n, tx, o.Window, o.Submitters, sinks, "m", log);
            log.Say($"fanout {n}", $"{s.MedianRate:N0} tx/s per replica (min {s.MinRate:N0}), p50 {s.P50Ms:F2} ms, p99 {s.P99Ms:F2} ms, " +
                                   $"master {s.MasterRate:N0} tx/s; process CPU {s.CpuUsPerApply:F1} us per (tx, replica), {s.CoresUsed:F2} cores busy, {s.BytesPerApply:N0} bytes allocated per (tx, replica){(s.Complete ? "" : ", INCOMPLETE")}");

            // ceiling: the run's deltas, rebuilt as the listener builds them, told to n plain actors
            var db = ((CurrentDb)ms.Master.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db;
            var deltas = s.Accepted.Select(a => TxDelta.From(db, a!.T, a.TxData, a.RequestId, a.Tempids)).ToArray();
            foreach (var x in replicas) ms.System.Stop(x.Actor);
            var ceiling = Ceiling(ms.System, n, deltas);
            ceiling = Math.Max(ceiling, Ceiling(ms.System, n, deltas)); // the better of two, as the replicas had a warmup
            log.Say($"fanout {n}", $"ceiling: {ceiling:N0} deliveries/s per plain actor; ratio {s.MedianRate / ceiling:F2}");
            return new Row(n, tx, s.Complete, s.MedianRate, s.MinRate, s.P50Ms, s.P99Ms, s.MaxMs, s.MasterRate, ceiling, s.CpuUsPerApply, s.CoresUsed, s.BytesPerApply);
        }
        finally { ms.System.Terminate().Wait(); }
    }

    internal sealed record StreamResult(bool Complete, double MedianRate, double MinRate, double P50Ms, double P99Ms, double MaxMs,
        double MasterRate, TxAccepted?[] Accepted, double CpuUsPerApply, double CoresUsed, double BytesPerApply);

    /// <summary>Where replicas and the transactor's replies record their timestamps for one stream.</summary>
    internal sealed class StreamSink(int n, int count, long baseT, SemaphoreSlim window)
    {
        public readonly long[][] AppliedAt = Enumerable.Range(0, n).Select(_ => new long[count]).ToArray();
        public readonly long[] CommittedAt = new long[count];
        public readonly TxAccepted?[] Accepted = new TxAccepted?[count];
        private readonly int[] _appliedBy = new int[count];
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Rejected;
        private readonly int[] _chunkDone = new int[(count + Chunk - 1) / Chunk];
        private long _progress;

        /// <summary>Transactions applied by every replica.</summary>
        public long Progress => Volatile.Read(ref _progress);

        /// <summary>On replica <paramref name="r"/>'s thread, in its Listen callback.</summary>
        public void Applied(int r, long t)
        {
            var k = t - baseT - 1;
            if (k < 0 || k >= count) return;
            AppliedAt[r][k] = Stopwatch.GetTimestamp();
            if (Interlocked.Increment(ref _appliedBy[k]) != n) return;
            Interlocked.Increment(ref _progress);
            var c = (int)(k / Chunk);
            if (Interlocked.Increment(ref _chunkDone[c]) == Math.Min(Chunk, count - c * Chunk)) window.Release();
            if (k == count - 1) Done.TrySetResult();
        }

        /// <summary>On the transactor's thread, as it sends TxAccepted.</summary>
        public void Committed(TxAccepted a)
        {
            var k = a.T - baseT - 1;
            if (k < 0 || k >= count) return;
            CommittedAt[k] = Stopwatch.GetTimestamp();
            Accepted[k] = a;
        }
    }

    /// <summary>Streams <paramref name="count"/> transactions of 2 datoms from <paramref name="submitters"/> threads, at most
    /// <paramref name="windowSize"/> not yet applied by every replica; the replicas report to <c>sinks[0]</c> from their Listen
    /// callbacks.</summary>
    internal static StreamResult Stream(MasterSystem ms, DatsyncReplica[] replicas, int n, int count, int windowSize, int submitters,
        StreamSink?[] sinks, string prefix, Progress log)
    {
        var head = ((CurrentDb)ms.Master.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db.BasisT;
        var window = new SemaphoreSlim(Math.Max(1, windowSize / Chunk));
        var sink = new StreamSink(n, count, head, window);
        Volatile.Write(ref sinks[0], sink);
        var stamper = new StampingRef(ms.System, sink.Committed, () => Interlocked.Increment(ref sink.Rejected));
        var nextChunk = -1;
        var threads = Enumerable.Range(0, submitters).Select(_ => new Thread(() =>
        {
            while (true)
            {
                window.Wait(); // a chunk of the window: fewer semaphore operations (they contend) than one per transaction
                var first = Interlocked.Increment(ref nextChunk) * Chunk + 1;
                if (first > count) { window.Release(); return; }
                for (var i = first; i < first + Chunk && i <= count; i++)
                    ms.Master.Transactor.Tell(new Transact(prefix + i, new object?[]
                    {
                        new object?[] { Add, "e", Seq, (long)i },
                        new object?[] { Add, "e", K, (long)(i % 97) },
                    }), stamper);
            }
        }) { IsBackground = true, Name = "fanout-submitter" }).ToArray();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var wallBefore = Stopwatch.GetTimestamp();
        foreach (var t in threads) t.Start();
        // done, or given up after a long stretch without progress
        var complete = false;
        var lastProgress = -1L;
        var stalledSince = Stopwatch.GetTimestamp();
        while (!(complete = sink.Done.Task.Wait(TimeSpan.FromSeconds(1))))
        {
            var progress = sink.Progress;
            if (progress != lastProgress) { lastProgress = progress; stalledSince = Stopwatch.GetTimestamp(); }
            else if (Stopwatch.GetElapsedTime(stalledSince) > StallTimeout) break;
        }
        if (!complete)
        {
            var statuses = replicas.Select(x => x.Status).ToArray();
            log.Say("fanout", $"STALLED for {StallTimeout.TotalSeconds:F0} s: {sink.Accepted.Count(a => a is not null)} of {count} committed (from t={head + 1}); " +
                              $"replica basis t min {statuses.Min(x => x.BasisT)} max {statuses.Max(x => x.BasisT)}; master t as heard min {statuses.Min(x => x.MasterT)} max {statuses.Max(x => x.MasterT)}; " +
                              $"{statuses.Count(x => x.BasisT < statuses.Max(y => y.BasisT))} replicas behind the others; " +
                              $"connections {string.Join(", ", statuses.GroupBy(x => x.Connection).Select(g => $"{g.Key} {g.Count()}"))}");
            window.Release(windowSize / Chunk + submitters); // let the submitters end
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        var wall = Stopwatch.GetElapsedTime(wallBefore);
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(5));
        Volatile.Write(ref sinks[0], null);
        if (sink.Rejected > 0) throw new InvalidOperationException($"{sink.Rejected} benchmark transactions were rejected");

        var rates = new double[n];
        for (var r = 0; r < n; r++)
        {
            var a = sink.AppliedAt[r];
            rates[r] = a[0] == 0 || a[count - 1] == 0 ? 0 : (count - 1) / Stopwatch.GetElapsedTime(a[0], a[count - 1]).TotalSeconds;
        }
        Array.Sort(rates);
        var latencies = new List<long>(n * count);
        for (var r = 0; r < n; r++)
            for (var k = 0; k < count; k++)
                if (sink.AppliedAt[r][k] != 0 && sink.CommittedAt[k] != 0)
                    latencies.Add(Math.Max(0, sink.AppliedAt[r][k] - sink.CommittedAt[k]));
        latencies.Sort();
        double Pct(double p) => latencies.Count == 0 ? double.NaN
            : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
        var c = sink.CommittedAt;
        var masterRate = c[0] == 0 || c[count - 1] == 0 ? 0 : (count - 1) / Stopwatch.GetElapsedTime(c[0], c[count - 1]).TotalSeconds;
        return new StreamResult(complete, rates[n / 2], rates[0], Pct(0.50), Pct(0.99), Pct(1.0), masterRate, sink.Accepted,
            cpu.TotalMicroseconds / ((double)count * n), cpu / wall, allocated / ((double)count * n));
    }

    /// <summary>The sender of a benchmark's transactions: it hands each TxAccepted to <paramref name="committed"/>
    /// synchronously, on the transactor's thread, as the transactor sends it (right after the journal write, right before
    /// it hands the commit to the log listener), and counts each TxRejected with <paramref name="rejected"/>.</summary>
    internal sealed class StampingRef(ActorSystem system, Action<TxAccepted> committed, Action rejected, string name = "fanout-stamper") : MinimalActorRef
    {
        // a local address (the root path's), also in a system with Akka.Remote: the master takes transactions from actors of
        // this process only, and a sender with the remote address would look like another process
        private readonly ActorPath _path = new RootActorPath(((ExtendedActorSystem)system).Provider.RootPath.Address) / "temp" / (name + "-" + Guid.NewGuid().ToString("N")[..8]);

        public override ActorPath Path => _path;
        public override IActorRefProvider Provider => ((ExtendedActorSystem)system).Provider;

        protected override void TellInternal(object message, IActorRef sender)
        {
            if (message is TxAccepted a) committed(a);
            else if (message is TxRejected) rejected();
        }
    }

    // ------------------------------------------------------------------ ceiling

    private sealed class Counter : ReceiveActor
    {
        public Counter(int expected, long[] doneAt, int index, CountdownEvent all)
        {
            var count = 0;
            Receive<TxDelta>(_ =>
            {
                if (++count != expected) return;
                doneAt[index] = Stopwatch.GetTimestamp();
                all.Signal();
            });
        }
    }

    /// <summary>Deliveries per second per actor (median over the actors) of <paramref name="deltas"/> told by one
    /// thread, each to all <paramref name="n"/> actors in turn (as the log listener tells its subscribers).</summary>
    private static double Ceiling(ActorSystem system, int n, TxDelta[] deltas)
    {
        var doneAt = new long[n];
        using var all = new CountdownEvent(n);
        var counters = Enumerable.Range(0, n)
            .Select(i => system.ActorOf(Props.Create(() => new Counter(deltas.Length, doneAt, i, all)), $"ceiling-{Guid.NewGuid():N}"))
            .ToArray();
        Thread.Sleep(100);
        var start = Stopwatch.GetTimestamp();
        var sender = new Thread(() =>
        {
            foreach (var d in deltas)
                foreach (var c in counters) c.Tell(d, ActorRefs.NoSender);
        }) { Name = "ceiling-sender" };
        sender.Start();
        sender.Join();
        if (!all.Wait(Timeout)) throw new TimeoutException("ceiling actors did not receive everything");
        foreach (var c in counters) system.Stop(c);
        var rates = doneAt.Select(t => deltas.Length / Stopwatch.GetElapsedTime(start, t).TotalSeconds).Order().ToArray();
        return rates[n / 2];
    }

    // ------------------------------------------------------------------ from the log

    private sealed record LogRow(int N, int Tx, double MedianRate, double MinRate, double CeilingRate);

    private static LogRow RunFromLog(int n, int tx, Progress log)
    {
        var ms = MasterRuntime.StartSystem($"fanlog-{n}", new InMemoryStorage(), $"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            datsync.master.snapshot-every = 0
            datsync.listener.recent-in-memory = {tx + 16}
            """);
        try
        {
            var (before, deltas) = CommitLog(ms, tx);
            var lastT = before.BasisT + tx;
            log.Say($"from the log {n}", $"{tx:N0} transactions committed; starting {n} replicas at t={before.BasisT}");
            GC.Collect();

            var doneAt = new long[n];
            using var all = new CountdownEvent(n);
            var settings = ReplicaSettings.From(ms.Config);
            var start = Stopwatch.GetTimestamp();
            var replicas = new DatsyncReplica[n];
            for (var r = 0; r < n; r++)
            {
                var index = r;
                replicas[r] = DatsyncReplica.Start(ms.System, ms.Server, "log" + r, settings, resumeFrom: before);
                replicas[r].Listen(report =>
                {
                    if (report.T != lastT || report.Pending) return;
                    doneAt[index] = Stopwatch.GetTimestamp();
                    all.Signal();
                });
            }
            if (!all.Wait(Timeout)) throw new TimeoutException("replicas did not take the whole log");
            var rates = doneAt.Select(t => tx / Stopwatch.GetElapsedTime(start, t).TotalSeconds).Order().ToArray();
            foreach (var x in replicas) ms.System.Stop(x.Actor);
            var ceiling = Math.Max(Ceiling(ms.System, n, deltas), Ceiling(ms.System, n, deltas));
            log.Say($"from the log {n}", $"{rates[n / 2]:N0} tx/s per replica (min {rates[0]:N0}); ceiling {ceiling:N0}; ratio {rates[n / 2] / ceiling:F2}");
            return new LogRow(n, tx, rates[n / 2], rates[0], ceiling);
        }
        finally { ms.System.Terminate().Wait(); }
    }

    /// <summary>On a fresh master (schema not yet committed): the schema, then <paramref name="tx"/> transactions of the
    /// stream's kind; the value before them and their deltas, as the listener builds them.</summary>
    internal static (Db Before, TxDelta[] Deltas) CommitLog(MasterSystem ms, int tx)
    {
        Commit(ms.Master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
        var before = CurrentValue(ms);
        var commits = Enumerable.Range(1, tx).Select(i => Commit(ms.Master.Transactor, "l" + i, new object?[]
        {
            new object?[] { Add, "e", Seq, (long)i },
            new object?[] { Add, "e", K, (long)(i % 97) },
        })).ToArray();
        Task.WaitAll(commits);
        var db = CurrentValue(ms);
        return (before, commits.Select(c => c.Result).OrderBy(a => a.T).Select(a => TxDelta.From(db, a.T, a.TxData, a.RequestId, a.Tempids)).ToArray());
    }

    // ------------------------------------------------------------------ bootstrap

    private sealed record BootResult(long Datoms, double ImageMb, double ColdMs, double WarmMs);

    private static BootResult Bootstrap(int datoms, Progress log)
    {
        var ms = StartMaster("fanout-boot");
        try
        {
            var db = BuildLarge(ms, datoms, log);
            GC.Collect();

            double Boot(string id)
            {
                var start = Stopwatch.GetTimestamp();
                var replica = ms.ConnectReplica(id);
                if (!replica.Ready.Wait(Timeout)) throw new TimeoutException($"replica {id} did not bootstrap");
                var ms_ = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (replica.SyncedDb.Count != db.Count) throw new InvalidOperationException($"replica {id} holds {replica.SyncedDb.Count} datoms, the master {db.Count}");
                log.Say("bootstrap", $"{id}: {replica.SyncedDb.Count:N0} datoms, Start -> Ready in {ms_:N0} ms");
                ms.System.Stop(replica.Actor);
                return ms_;
            }
            var cold = Boot("boot-1");
            GC.Collect();
            var warm = Boot("boot-2");
            var imageMb = BootstrapImage.Of(db, SessionSettings.Default.ChunkSize).Bytes / 1048576.0;
            return new BootResult(db.Count, imageMb, cold, warm);
        }
        finally { ms.System.Terminate().Wait(); }
    }

    /// <summary>On a fresh master: the schema, then entities of 5 attributes in transactions of 5,000 datoms, up to
    /// <paramref name="datoms"/>; the master's value after them.</summary>
    internal static Db BuildLarge(MasterSystem ms, int datoms, Progress log)
    {
        Commit(ms.Master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
        const int entitiesPerTx = 1_000; // 5,000 datoms per transaction
        log.Say("bootstrap", $"building a master of {datoms:N0} datoms in transactions of {entitiesPerTx * 5:N0}");
        var sw = Stopwatch.StartNew();
        var txs = (datoms + entitiesPerTx * 5 - 1) / (entitiesPerTx * 5);
        var inFlight = new List<Task<TxAccepted>>();
        for (var i = 0; i < txs; i++)
        {
            var first = (long)i * entitiesPerTx;
            var tx = Enumerable.Range(0, entitiesPerTx).Select(j => (object?)new Dictionary<object, object?>
            {
                [Id] = first + j, [Name] = "name" + (j % 97), [Age] = (long)(j % 90), [Salary] = (first + j) * 37 % 100_000, [City] = "city" + (j % 13),
            }).ToList();
            inFlight.Add(Commit(ms.Master.Transactor, "boot" + i, tx));
            if (inFlight.Count >= 8) { inFlight[0].GetAwaiter().GetResult(); inFlight.RemoveAt(0); }
        }
        Task.WaitAll(inFlight);
        var db = CurrentValue(ms);
        log.Say("bootstrap", $"master holds {db.Count:N0} datoms at t={db.BasisT} (built in {sw.Elapsed.TotalSeconds:F1} s)");
        return db;
    }

    internal sealed class Progress(TextWriter w)
    {
        /// <summary>A benchmark's entry: <c>--help</c> prints its usage; options it cannot parse, the reason and the usage
        /// (exit 2); otherwise it measures, with progress on <paramref name="progress"/>.</summary>
        public static int Run<TOptions>(IReadOnlyList<string> args, TextWriter output, TextWriter progress, string usage,
            Func<IReadOnlyList<string>, TOptions> parse, Func<TOptions, TextWriter, Progress, int> measure)
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            if (args.Any(a => a is "--help" or "-h"))
            {
                output.WriteLine(usage);
                return 0;
            }
            TOptions o;
            try { o = parse(args); }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                progress.WriteLine($"{e.Message}\n{usage}");
                return 2;
            }
            return measure(o, output, new Progress(progress));
        }

        public void Say(string what, string message)
        {
            lock (this) w.WriteLine($"[{DateTime.Now:HH:mm:ss}] [{what}] {message}");
        }
    }
}
