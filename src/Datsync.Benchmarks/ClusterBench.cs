using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Remote;
using Datsync.Benchmarks.Fanout;
using Datsync.Core;
using Npgsql;
using Progress = Datsync.Benchmarks.Fanout.FanoutBench.Progress;

namespace Datsync.Benchmarks;

/// <summary>
/// <c>cluster</c>: a master on Akka.Cluster over a throwaway PostgreSQL. (1) Throughput and cost: the transactor node
/// (roles transactor) and G gateway nodes (roles gateway) each run as a child process of this binary
/// (<c>cluster-node</c>), R replicas per gateway in this process (one client actor system per gateway); one replica
/// writes, a window of transactions in flight; applied tx/s per replica, write -> applied latency, and each node's CPU
/// time (<c>/proc/PID/stat</c>) over the measured stream. (2) Failover: two transactor nodes as child processes and a
/// gateway in this process; a writer commits continuously through the gateway's connection; the oldest transactor node
/// is killed (SIGKILL) and the time to the first commit acknowledged afterwards measured; no acknowledged transaction may
/// be missing afterwards. (3) A model of N gateway machines from the per-node costs.
/// </summary>
internal static class ClusterBench
{
    public const string Usage =
        "usage: cluster [--quick] [--gateways 1,2,3] [--replicas 10,100] [--txs N] [--window N] [--samples N] [--failovers N] [--no-failover] [--no-throughput]\n" +
        "  --gateways   numbers of gateway nodes (child processes) to measure (default 1,2,3; --quick 1,2)\n" +
        "  --replicas   replicas per gateway (default 10,100: every count at every number of gateways)\n" +
        "  --txs        transactions in each measured stream (default 1500; --quick 500), after a warmup of a fifth (the first run: of as many)\n" +
        "  --samples    measured streams per configuration, the median (by the transactor's net CPU per tx) reported (default 3; --quick 1)\n" +
        "  --window     transactions in flight from the writing replica (default 8)\n" +
        "  --failovers  kills of the oldest transactor node (default 3; --quick 1)\n" +
        "  --quick      --gateways 1,2 --txs 500 --samples 1 --failovers 1";

    internal sealed record Options(int[] Gateways, int[] Replicas, int Txs, int Window, int Failovers, bool Throughput, bool Failover, int Samples = 3);

    /// <summary>Every actor system of the run (this process and the children): Akka's warnings to stderr, fast failure
    /// detection (the integration tests' settings: a lost node is downed in a few seconds).</summary>
    internal const string Hocon = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.loggers = ["Datsync.Benchmarks.OfflineBench+BenchLogger, Datsync.Benchmarks"]
        akka.remote.log-remote-lifecycle-events = off
        datsync.replica.retry-interval = 200ms
        datsync.replica.connection-timeout = 5s
        datsync.session.heartbeat-interval = 200ms
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.failure-detector.threshold = 8
        akka.cluster.singleton.hand-over-retry-interval = 500ms
        akka.cluster.singleton-proxy.singleton-identification-interval = 500ms
        akka.remote.retry-gate-closed-for = 500ms
        datsync.cluster.mirror-connection-timeout = 3s
        datsync.cluster.resend-after = 1s
        datsync.cluster.lock-retry = 250ms
        """;

    private const string Schema = "[{:db/ident :w/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}" +
                                  " {:db/ident :w/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]";

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter progress) =>
        Progress.Run(args, output, progress, Usage, Parse, Measure);

    private static Options Parse(IReadOnlyList<string> args)
    {
        int[]? gateways = null, replicas = null;
        int? txs = null, window = null, failovers = null, samples = null;
        bool quick = false, throughput = true, failover = true;
        var r = new BenchArgs(args);
        while (r.Next(out var option))
            switch (option)
            {
                case "--gateways": gateways = r.Ints(); break;
                case "--replicas": replicas = r.Ints(); break;
                case "--txs": txs = r.Int(); break;
                case "--window": window = r.Int(); break;
                case "--failovers": failovers = r.Int(); break;
                case "--samples": samples = r.Int(); break;
                case "--no-failover": failover = false; break;
                case "--no-throughput": throughput = false; break;
                case "--quick": quick = true; break;
                default: throw r.Unknown();
            }
        var o = new Options((gateways ?? (quick ? [1, 2] : [1, 2, 3])).Order().ToArray(), replicas ?? [10, 100], txs ?? (quick ? 500 : 1500),
            window ?? 8, failovers ?? (quick ? 1 : 3), throughput, failover, samples ?? (quick ? 1 : 3));
        if (o.Gateways.Length == 0 || o.Gateways.Any(g => g < 1) || o.Replicas.Length == 0 || o.Replicas.Any(n => n < 1) || o.Txs < 10 || o.Window < 1 || o.Failovers < 1 || o.Samples < 1)
            throw new ArgumentException("--gateways and --replicas must be >= 1, --txs >= 10, --window >= 1, --failovers >= 1");
        return o;
    }

    // ------------------------------------------------------------------ the run

    /// <summary>One stream. CPU per tx: raw (the node's CPU over the stream / transactions) and net (minus what the node
    /// spends idle over as long: heartbeats, gossip, timers, measured just before the stream with every replica
    /// connected).</summary>
    internal sealed record Row(int Gateways, int ReplicasPerGateway, int Txs, double TxPerSec, double P50Ms, double P99Ms,
        double TransactorUsPerTx, double TransactorNetUsPerTx, double GatewayUsPerTx, double GatewayNetUsPerTx, double ClientUsPerApply,
        double StreamSec, double TransactorIdlePct, double GatewayIdlePct)
    {
        public int Subscribers => 1 + Gateways;
        public double TransactorNetUsPerDelivery => TransactorNetUsPerTx / Subscribers;
        public double GatewayNetUsPerDeltaReplica => GatewayNetUsPerTx / ReplicasPerGateway;
    }

    internal sealed record FailoverRow(int Round, string Killed, string NewTransactor, double UnreachableMs, double RemovedMs, double SingletonMs, double FailoverMs, double SlowestMs,
        int Acked, int Missing);

    private static int Measure(Options o, TextWriter output, Progress log)
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("cluster: the nodes' CPU time is read from /proc: Linux only");
            return 2;
        }
        using var pg = Postgres.Start(log);
        var rows = new List<Row>();
        var failovers = new List<FailoverRow>();
        if (o.Throughput) rows = Throughput(pg, o, log);
        if (o.Failover) failovers = Failover(pg, o, log);

        output.WriteLine();
        output.WriteLine($"> cluster: {Environment.ProcessorCount} cores (every node, the replicas and PostgreSQL share them); .NET {Environment.Version}; " +
                         "PostgreSQL (fsync off) started for the run; every node in a process of its own (this binary's `cluster-node` mode), " +
                         "replicas in the benchmark's process, one client actor system per gateway; failure detection of the integration tests " +
                         "(heartbeat 500ms, acceptable pause 2s, split brain resolver stable-after 2s).");
        if (rows.Count > 0)
        {
            output.WriteLine($"> stream: {o.Txs} transactions (median of {o.Samples} stream(s) per row, by the transactor's net CPU per tx) of one entity (2 datoms) written by one replica of gateway 1, at most {o.Window} in flight " +
                             $"(after a warmup of {o.Txs / 5}). tx/s: transactions / (first submit -> every replica synced to the last t). latency: " +
                             "submit -> applied, at every replica, over every transaction (p50/p99). CPU: each node's process CPU time " +
                             "(utime+stime of /proc/PID/stat) from the first submit to every replica synced. Deliveries from the transactor node " +
                             "= transactions x subscribed nodes (1 + gateways: the transactor node's own copy of the master and each gateway's).");
            output.WriteLine();
            output.WriteLine("> CPU columns: net = the node's CPU over the stream minus its idle rate (measured over 2 s just before the stream, 1 s after the previous one, " +
                             "every replica connected, no writes) times the stream's duration; raw in brackets. transactor µs/delivery = net µs/tx / " +
                             "(1 + gateways). gateway: the mean over the gateways; per delta per replica = its net µs/tx / replicas per gateway. " +
                             "replica side: the benchmark process's CPU (every replica, their client systems) / (tx x replicas).");
            output.WriteLine();
            output.WriteLine("| gateways | replicas/gateway | replicas | tx | applied tx/s per replica | p50 ms | p99 ms | transactor CPU µs/tx net (raw) | transactor µs/delivery | transactor idle % | gateway CPU µs/tx net (raw) | gateway µs per delta per replica | gateway idle % | replica side µs/apply | stream s |");
            output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in rows)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Gateways} | {r.ReplicasPerGateway} | {r.Gateways * r.ReplicasPerGateway} | {r.Txs} | {r.TxPerSec:N0} | {r.P50Ms:F1} | {r.P99Ms:F1} | " +
                    $"{r.TransactorNetUsPerTx:F0} ({r.TransactorUsPerTx:F0}) | {r.TransactorNetUsPerDelivery:F0} | {r.TransactorIdlePct:F1} | " +
                    $"{r.GatewayNetUsPerTx:F0} ({r.GatewayUsPerTx:F0}) | {r.GatewayNetUsPerDeltaReplica:F1} | {r.GatewayIdlePct:F1} | {r.ClientUsPerApply:F1} | {r.StreamSec:F2} |"));
            output.WriteLine();
            foreach (var g in rows.GroupBy(r => r.Gateways).Where(g => g.Count() > 1))
            {
                var lo = g.MinBy(r => r.ReplicasPerGateway)!;
                var hi = g.MaxBy(r => r.ReplicasPerGateway)!;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $">   {g.Key} gateway(s): transactor net CPU per tx with {hi.ReplicasPerGateway} replicas/gateway / with {lo.ReplicasPerGateway} = " +
                    $"{hi.TransactorNetUsPerTx / lo.TransactorNetUsPerTx:F2}x (raw {hi.TransactorUsPerTx / lo.TransactorUsPerTx:F2}x; replicas x{(double)hi.ReplicasPerGateway / lo.ReplicasPerGateway:F0}); " +
                    $"gateway net CPU per tx {hi.GatewayNetUsPerTx / lo.GatewayNetUsPerTx:F2}x"));
            }
            output.WriteLine();
            Model(output, rows);
        }
        if (failovers.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("> failover: two transactor nodes (child processes, roles transactor) and a gateway in this process; one writer commits " +
                             "continuously through the gateway's connection (TransactAsync, one at a time); the oldest transactor node (the one " +
                             "running the singleton) is killed with SIGKILL, then a fresh transactor node is started for the next round. failover: " +
                             "kill -> first acknowledgement of a transaction submitted after the kill (unreachable: until the gateway's cluster marks the " +
                             "node unreachable; down: until it is down or removed, the split brain resolver's decision, after which the singleton " +
                             "starts on the next oldest transactor node (singleton: until its actor there answers an Identify, polled every 20 ms), " +
                             "takes the storage lock and recovers the journal; the gateway resends the " +
                             "unanswered transaction every resend-after, 1 s). slowest: the longest single commit around it. " +
                             "missing: acknowledged transactions not in the master's value afterwards (synced to the highest acknowledged t).");
            output.WriteLine();
            output.WriteLine("| round | killed | new transactor | unreachable ms | down ms | singleton ms | failover ms | slowest commit ms | acknowledged | missing |");
            output.WriteLine("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var f in failovers)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {f.Round} | {f.Killed} | {f.NewTransactor} | {f.UnreachableMs:F0} | {f.RemovedMs:F0} | {f.SingletonMs:F0} | {f.FailoverMs:F0} | {f.SlowestMs:F0} | {f.Acked} | {f.Missing} |"));
        }
        return failovers.Any(f => f.Missing > 0) ? 1 : 0;
    }

    /// <summary>The model: transactor CPU per tx = a + b x (1 + N) (fitted over the measured gateway counts), gateway CPU
    /// per tx = c + d x R (fitted over the replica counts).</summary>
    private static void Model(TextWriter output, List<Row> rows)
    {
        // transactor: least squares of net µs/tx over subscribers (1 + G), on the rows with the fewest replicas per gateway
        // (the least CPU the replicas take from the nodes on these shared cores)
        var fewest = rows.Min(r => r.ReplicasPerGateway);
        var points = rows.Where(r => r.ReplicasPerGateway == fewest).Select(r => (X: (double)r.Subscribers, Y: r.TransactorNetUsPerTx)).ToList();
        var (a, b) = Line(points);
        if (points.Count >= 2 && b < 0) (a, b) = (points.Average(p => p.Y), 0); // noise: no measurable per-node cost
        // gateway: µs/tx over replicas per gateway
        var gw = rows.GroupBy(r => r.ReplicasPerGateway).Select(g => (X: (double)g.Key, Y: g.Average(r => r.GatewayNetUsPerTx))).ToList();
        var (c, d) = Line(gw);
        a = Math.Max(a, 1);
        d = Math.Max(d, 0.01);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"> model (least squares over the rows above, net CPU; the transactor's over the rows with {fewest} replicas per gateway): transactor node CPU per tx = a + b x (1 + N) with a = {a:F0} µs (commit, journal write) and b = {b:F0} µs per " +
            $"subscribed node; max tx/s on one transactor core = 10^6 / (a + b x (1 + N)). gateway CPU per tx = c + d x R with c = {c:F0} µs (its copy of the " +
            $"master) and d = {d:F1} µs per replica; replicas per gateway core at X tx/s = (10^6 / X - c) / d. Replica-side (client) work is not counted. " +
            $"On these {Environment.ProcessorCount} shared cores every process competes for the same CPUs: the figures are per-node costs, the rates what one dedicated core would give."));
        output.WriteLine();
        output.WriteLine("| gateway machines N | transactor-bound tx/s (1 core) | replicas per gateway core at that rate | at 100 tx/s | at 10 tx/s | cluster replicas at 100 tx/s |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var n in new[] { 1, 2, 3, 5, 10, 20, 50 })
        {
            var max = 1e6 / (a + b * (1 + n));
            int Per(double x) => (int)Math.Max(0, (1e6 / x - c) / d);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {max:N0} | {Per(max):N0} | {Per(100):N0} | {Per(10):N0} | {(long)n * Per(100):N0} |"));
        }
    }

    // ------------------------------------------------------------------ (1) throughput and cost

    private static List<Row> Throughput(Postgres pg, Options o, Progress log)
    {
        var rows = new List<Row>();
        var connection = pg.CreateDatabase("bench_throughput");
        using var transactor = NodeProcess.Start("transactor", [], connection, log, "transactor");
        var gateways = new List<NodeProcess>();
        try
        {
            foreach (var g in o.Gateways)
            {
                while (gateways.Count < g)
                    gateways.Add(NodeProcess.Start("gateway", [transactor.ClusterAddress], connection, log, $"gateway{gateways.Count + 1}"));
                foreach (var r in o.Replicas)
                {
                    rows.Add(RunOne(transactor, gateways, r, o, log, rows.Count == 0));
                    GC.Collect();
                }
            }
        }
        finally
        {
            foreach (var gw in gateways) gw.Dispose();
        }
        return rows;
    }

    private static Row RunOne(NodeProcess transactor, List<NodeProcess> gateways, int perGateway, Options o, Progress log, bool first)
    {
        var what = $"cluster {gateways.Count}x{perGateway}";
        var systems = new List<ActorSystem>();
        var replicas = new List<DatsyncReplica>();
        try
        {
            var sw = Stopwatch.StartNew();
            foreach (var (gw, i) in gateways.Select((g, i) => (g, i)))
            {
                var options = new DatsyncReplicaOptions { Server = gw.GatewayAddress, ClientId = "bench", Hocon = Hocon };
                var system = DatsyncNode.StartClientSystem(options, $"bench-clients-{i}", options.ToConfig());
                systems.Add(system);
                for (var k = 0; k < perGateway; k++)
                    replicas.Add(DatsyncNode.StartRemoteReplica(system, new DatsyncReplicaOptions
                    {
                        Server = gw.GatewayAddress, ClientId = $"g{i}-r{k}-{Guid.NewGuid():N}"[..20], Hocon = Hocon,
                    }));
            }
            Task.WhenAll(replicas.Select(r => r.Ready)).WaitAsync(Long).GetAwaiter().GetResult();
            log.Say(what, $"{replicas.Count} replicas ready in {sw.Elapsed.TotalSeconds:F1}s");
            var writer = replicas[0];
            writer.TransactAsync(Schema).WaitAsync(Long).GetAwaiter().GetResult(); // the same schema again: a no-op after the first run

            // the first run warms the nodes' code up (tiered JIT) with a stream as long as a measured one
            var warm = Stream(transactor, gateways, replicas, first ? o.Txs : Math.Max(2, o.Txs / 5), o.Window, what, log, idle: false);
            log.Say(what, $"warmup: {warm.TxPerSec:N0} tx/s, transactor {warm.TransactorNetUsPerTx:F0} µs/tx raw");
            var samples = new List<Row>();
            for (var i = 0; i < o.Samples; i++)
            {
                GC.Collect();
                var s = Stream(transactor, gateways, replicas, o.Txs, o.Window, what, log);
                log.Say(what, $"{s.TxPerSec:N0} tx/s per replica, p50 {s.P50Ms:F1} ms p99 {s.P99Ms:F1} ms, transactor {s.TransactorNetUsPerTx:F0} µs/tx net " +
                              $"({s.TransactorUsPerTx:F0} raw, idle {s.TransactorIdlePct:F1}%), gateway {s.GatewayNetUsPerTx:F0} µs/tx net ({s.GatewayUsPerTx:F0} raw)");
                samples.Add(s);
            }
            return samples.OrderBy(s => s.TransactorNetUsPerTx).ElementAt(samples.Count / 2) with { ReplicasPerGateway = perGateway };
        }
        finally
        {
            OfflineBench.BenchLogger.Quiet = true;
            try { Task.WhenAll(systems.Select(s => s.Terminate())).Wait(Long); }
            finally { OfflineBench.BenchLogger.Quiet = false; }
        }
    }

    private static long _salt;

    private static readonly TimeSpan IdleSample = TimeSpan.FromSeconds(2);

    private static Row Stream(NodeProcess transactor, List<NodeProcess> gateways, List<DatsyncReplica> replicas, int count, int windowSize,
        string what, Progress log, bool idle = true)
    {
        var writer = replicas[0];
        var head = writer.SyncedDb.BasisT;
        // the writer is the only one writing: its transactions are head+1 .. head+count, in the order submitted
        var applied = replicas.Select(_ => new long[count]).ToArray();
        var listens = replicas.Select((r, i) => r.Listen(report =>
        {
            var k = report.T - head - 1;
            if (!report.Pending && k >= 0 && k < count && applied[i][k] == 0) applied[i][k] = Stopwatch.GetTimestamp();
        })).ToList();
        // idle: what the nodes spend with every replica connected and no writes (heartbeats, gossip, timers), after a
        // second for the previous stream's tail (journal writes, collections, the JIT's background work) to settle
        if (idle) Thread.Sleep(TimeSpan.FromSeconds(1));
        var idleT0 = transactor.CpuTime();
        var idleG0 = gateways.Select(g => g.CpuTime()).ToArray();
        var idleStart = Stopwatch.GetTimestamp();
        Thread.Sleep(idle ? IdleSample : TimeSpan.FromMilliseconds(100));
        var idleSec = Stopwatch.GetElapsedTime(idleStart).TotalSeconds;
        var idleT = (transactor.CpuTime() - idleT0).TotalSeconds / idleSec; // CPU seconds per second
        var idleG = gateways.Select((g, i) => (g.CpuTime() - idleG0[i]).TotalSeconds / idleSec).Average();
        var submitted = new long[count];
        var ts = new long[count];
        var salt = Interlocked.Increment(ref _salt) * 1_000_000;
        using var window = new SemaphoreSlim(windowSize);
        var pending = new List<Task>(count);
        var cpuT0 = transactor.CpuTime();
        var cpuG0 = gateways.Select(g => g.CpuTime()).ToArray();
        var cpuSelf0 = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < count; k++)
        {
            if (!window.Wait(Long)) throw new TimeoutException($"{what}: no commit acknowledged for {Long.TotalSeconds:F0}s");
            var index = k;
            submitted[k] = Stopwatch.GetTimestamp();
            pending.Add(writer.TransactAsync(Tx.Parse($"[{{:w/id {salt + k} :w/v \"v{k}\"}}]")).ContinueWith(t =>
            {
                window.Release();
                if (t.IsCompletedSuccessfully) ts[index] = t.Result.T;
                return t;
            }).Unwrap());
        }
        Task.WhenAll(pending).WaitAsync(Long).GetAwaiter().GetResult();
        var lastT = ts.Max();
        Task.WhenAll(replicas.Select(r => r.SyncAsync(lastT))).WaitAsync(Long).GetAwaiter().GetResult();
        var end = Stopwatch.GetTimestamp();
        var cpuT = transactor.CpuTime() - cpuT0;
        var cpuG = gateways.Select((g, i) => g.CpuTime() - cpuG0[i]).ToArray();
        var cpuSelf = Process.GetCurrentProcess().TotalProcessorTime - cpuSelf0;
        foreach (var l in listens) l.Dispose();
        if (lastT != head + count)
            throw new InvalidOperationException($"{what}: the writer's transactions ended at t={lastT}, expected {head + count}: another writer?");

        var latencies = new List<double>(count * replicas.Count);
        for (var k = 0; k < count; k++)
        {
            var tk = ts[k] - head - 1;
            foreach (var a in applied)
                if (a[tk] != 0) latencies.Add(Math.Max(0, a[tk] - submitted[k]) * 1000.0 / Stopwatch.Frequency);
        }
        latencies.Sort();
        double Pct(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)];
        var sec = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
        var perGateway = replicas.Count / gateways.Count;
        var gwUsPerTx = cpuG.Average(c => c.TotalMicroseconds) / count;
        return new Row(gateways.Count, perGateway, count, count / sec, Pct(0.5), Pct(0.99),
            cpuT.TotalMicroseconds / count, Math.Max(0, cpuT.TotalMicroseconds - idleT * sec * 1e6) / count,
            gwUsPerTx, Math.Max(0, gwUsPerTx - idleG * sec * 1e6 / count), cpuSelf.TotalMicroseconds / ((double)count * replicas.Count), sec,
            idleT * 100, idleG * 100);
    }

    // ------------------------------------------------------------------ (2) failover

    private static List<FailoverRow> Failover(Postgres pg, Options o, Progress log)
    {
        const string what = "failover";
        var rows = new List<FailoverRow>();
        var connection = pg.CreateDatabase("bench_failover");
        var nodes = new List<NodeProcess>(); // transactor nodes, oldest first
        DatsyncMaster? gateway = null;
        try
        {
            nodes.Add(NodeProcess.Start("transactor", [], connection, log, "transactor1"));
            nodes.Add(NodeProcess.Start("transactor", [nodes[0].ClusterAddress], connection, log, "transactor2"));
            gateway = DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
            {
                Name = "datsync",
                Storage = { Kind = "postgres", PostgresConnectionString = connection },
                Listen = "127.0.0.1:0",
                Cluster = new DatsyncClusterOptions
                {
                    Listen = "127.0.0.1:0", SeedNodes = nodes.Select(n => n.ClusterAddress).ToList(), Roles = ["gateway"],
                    StableAfter = TimeSpan.FromSeconds(2),
                },
                Hocon = Hocon,
            }).WaitAsync(Long).GetAwaiter().GetResult();
            gateway.TransactAsync(Schema).WaitAsync(Long).GetAwaiter().GetResult();
            var clusterSystem = gateway.Node.ClusterSystem ?? gateway.System;
            log.Say(what, $"gateway up at {DatsyncRemote.ListeningAt(clusterSystem)}; transactor nodes {string.Join(", ", nodes.Select(n => n.ClusterAddress))}");

            // one writer, one transaction at a time, for the whole part
            var acks = new List<(long Submitted, long Acked, long T, long Id)>();
            var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                for (long id = 1; !stop.IsCancellationRequested; id++)
                {
                    var at = Stopwatch.GetTimestamp();
                    var r = await gateway.TransactAsync($"[{{:w/id {id} :w/v \"f{id}\"}}]").WaitAsync(Long);
                    lock (acks) acks.Add((at, Stopwatch.GetTimestamp(), r.T, id));
                }
            });
            Thread.Sleep(2000); // a steady stream first
            for (var round = 1; round <= o.Failovers; round++)
            {
                var victim = nodes[0];
                var survivor = nodes[1];
                var holder = SingletonHolder(clusterSystem, nodes);
                log.Say(what, $"round {round}: killing {victim.Name} (pid {victim.Pid}, {victim.ClusterAddress}; singleton on {holder?.Name ?? "?"})");
                victim.Kill(); // SIGKILL, and waited for: the node is gone from here on
                var killedAt = Stopwatch.GetTimestamp();
                // when the singleton actor exists on the survivor (started by its manager; it then takes the lock and recovers)
                var singletonAt = Task.Run(async () =>
                {
                    var path = $"akka.tcp://{clusterSystem.Name}@{survivor.ClusterAddress}/user/{Actors.Cluster.ClusterRuntime.ManagerName}/{Actors.Cluster.ClusterRuntime.SingletonName}";
                    for (var until = DateTime.UtcNow + Long; DateTime.UtcNow < until;)
                    {
                        try
                        {
                            await clusterSystem.ActorSelection(path).ResolveOne(TimeSpan.FromMilliseconds(500));
                            return Stopwatch.GetTimestamp();
                        }
                        catch (Exception e) when (e is ActorNotFoundException or TimeoutException or AskTimeoutException) { await Task.Delay(20); }
                    }
                    return 0L;
                });
                nodes.RemoveAt(0);
                (long Submitted, long Acked, long T, long Id) first = default;
                // what the gateway's cluster makes of the kill: the node unreachable (failure detector), then removed (downed by
                // the split brain resolver, after which the singleton may start elsewhere)
                var members = Akka.Cluster.Cluster.Get(clusterSystem);
                bool Is(Akka.Actor.Address a) => $"{a.Host}:{a.Port}" == victim.ClusterAddress;
                long unreachableAt = 0, removedAt = 0;
                var deadline = Stopwatch.GetTimestamp() + (long)(Long.TotalSeconds * Stopwatch.Frequency);
                while (first == default)
                {
                    if (writer.IsCompleted) writer.GetAwaiter().GetResult(); // its failure
                    if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"{what}: no commit acknowledged {Long.TotalSeconds:F0}s after the kill");
                    Thread.Sleep(5);
                    var state = members.State;
                    if (unreachableAt == 0 && state.Unreachable.Any(m => Is(m.Address))) unreachableAt = Stopwatch.GetTimestamp();
                    if (removedAt == 0 && !state.Members.Any(m => Is(m.Address) && m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.Leaving
                            or Akka.Cluster.MemberStatus.Exiting or Akka.Cluster.MemberStatus.Joining or Akka.Cluster.MemberStatus.WeaklyUp))
                        removedAt = Stopwatch.GetTimestamp();
                    lock (acks) first = acks.FirstOrDefault(a => a.Submitted > killedAt);
                }
                double Since(long at) => at == 0 ? double.NaN : (at - killedAt) * 1000.0 / Stopwatch.Frequency;
                double slowest;
                lock (acks) slowest = acks.Where(a => a.Acked > killedAt).Max(a => a.Acked - a.Submitted) * 1000.0 / Stopwatch.Frequency;
                var failoverMs = (first.Acked - killedAt) * 1000.0 / Stopwatch.Frequency;
                var now = SingletonHolder(clusterSystem, nodes);
                log.Say(what, $"round {round}: first commit after the kill acknowledged after {failoverMs:F0} ms (t={first.T}); transactor now on {now?.Name ?? "?"}");
                rows.Add(new FailoverRow(round, $"{victim.Name} (pid {victim.Pid})", now is null ? $"? (expected {survivor.Name})" : $"{now.Name} (pid {now.Pid})",
                    Since(unreachableAt), Since(removedAt), Since(singletonAt.Wait(Long) ? singletonAt.Result : 0), failoverMs, slowest, 0, 0));
                // a fresh transactor node for the next round (the youngest; the survivor is now the oldest)
                if (round < o.Failovers)
                {
                    nodes.Add(NodeProcess.Start("transactor", nodes.Select(n => n.ClusterAddress).Append(DatsyncRemote.ListeningAt(clusterSystem)).ToArray(),
                        connection, log, $"transactor{round + 2}"));
                    // up on every node before the next kill: a member still joining does not count for the split brain
                    // resolver, and a cluster of two that loses one is a tie its lowest address wins
                    for (var until = DateTime.UtcNow + Long; members.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < nodes.Count + 1;)
                    {
                        if (DateTime.UtcNow > until) throw new TimeoutException($"{what}: the new transactor node is not up after {Long.TotalSeconds:F0}s");
                        Thread.Sleep(20);
                    }
                    Thread.Sleep(2000); // and a steady stream again
                }
                else Thread.Sleep(1000);
            }
            stop.Cancel();
            writer.WaitAsync(Long).GetAwaiter().GetResult();
            List<(long Submitted, long Acked, long T, long Id)> all;
            lock (acks) all = acks.ToList();
            var db = gateway.SyncAsync(all.Max(a => a.T)).WaitAsync(Long).GetAwaiter().GetResult();
            var wid = Keyword.Intern(":w/id");
            var present = db.Datoms(IndexType.Avet, wid).Select(d => Convert.ToInt64(d.V, CultureInfo.InvariantCulture)).ToHashSet();
            var missing = all.Count(a => !present.Contains(a.Id));
            var distinctT = all.Select(a => a.T).Distinct().Count();
            log.Say(what, $"{all.Count} acknowledged, {present.Count} in the master's value at t={db.BasisT}, missing {missing}; distinct t {distinctT}");
            if (distinctT != all.Count) log.Say(what, $"WARNING: {all.Count - distinctT} acknowledgements share a t");
            for (var i = 0; i < rows.Count; i++) rows[i] = rows[i] with { Acked = all.Count, Missing = missing };
        }
        finally
        {
            if (gateway is not null)
            {
                OfflineBench.BenchLogger.Quiet = true;
                try { gateway.DisposeAsync().AsTask().Wait(Long); }
                finally { OfflineBench.BenchLogger.Quiet = false; }
            }
            foreach (var n in nodes) n.Dispose();
        }
        return rows;
    }

    /// <summary>The node whose system runs the singleton's transactor now, as the gateway's cluster system resolves it.</summary>
    private static NodeProcess? SingletonHolder(ActorSystem system, List<NodeProcess> nodes)
    {
        foreach (var n in nodes)
        {
            var path = $"akka.tcp://{system.Name}@{n.ClusterAddress}/user/{Actors.Cluster.ClusterRuntime.ManagerName}/{Actors.Cluster.ClusterRuntime.SingletonName}";
            try
            {
                system.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(3)).GetAwaiter().GetResult();
                return n;
            }
            catch (Exception e) when (e is ActorNotFoundException or TimeoutException or AskTimeoutException) { }
        }
        return null;
    }

    // ------------------------------------------------------------------ a node in a child process

    /// <summary><c>cluster-node --roles R [--seed host:port,...] --pg CONNSTR</c>: one node of the cluster (its gateway on
    /// 127.0.0.1, any port); prints <c>CLUSTER host:port</c>, <c>GATEWAY host:port</c> (gateway nodes) and <c>READY</c>
    /// on stdout, and runs until its stdin closes.</summary>
    public static int RunNode(IReadOnlyList<string> args)
    {
        string roles = "transactor,gateway", pg = "";
        var seeds = new List<string>();
        for (var i = 0; i < args.Count; i++)
            switch (args[i])
            {
                case "--roles": roles = args[++i]; break;
                case "--seed": seeds.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--pg": pg = args[++i]; break;
                default: Console.Error.WriteLine($"cluster-node: unknown option {args[i]}"); return 2;
            }
        var node = DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = "datsync",
            Storage = { Kind = "postgres", PostgresConnectionString = pg },
            Listen = "127.0.0.1:0",
            Cluster = new DatsyncClusterOptions
            {
                Listen = "127.0.0.1:0", SeedNodes = seeds, Roles = roles.Split(',').ToList(), StableAfter = TimeSpan.FromSeconds(2),
            },
            Hocon = Hocon + $"\ndatsync.server.max-sessions = 20000",
        }).WaitAsync(Long).GetAwaiter().GetResult();
        Console.Out.WriteLine("CLUSTER " + DatsyncRemote.ListeningAt(node.Node.ClusterSystem ?? node.System));
        if (roles.Contains("gateway", StringComparison.Ordinal)) Console.Out.WriteLine("GATEWAY " + node.ListeningAt);
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null) { }
        OfflineBench.BenchLogger.Quiet = true;
        node.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        return 0;
    }

    private sealed class NodeProcess : IDisposable
    {
        private readonly Process _process;
        public string Name { get; }
        public string ClusterAddress { get; private set; } = "";
        public string? GatewayAddress { get; private set; }
        public int Pid => _process.Id;

        private NodeProcess(Process process, string name)
        {
            _process = process;
            Name = name;
        }

        public static NodeProcess Start(string roles, string[] seeds, string pg, Progress log, string name)
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
            var info = new ProcessStartInfo(self)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(ClusterBench).Assembly.Location);
            foreach (var a in new[] { "cluster-node", "--roles", roles, "--pg", pg }) info.ArgumentList.Add(a);
            if (seeds.Length > 0) { info.ArgumentList.Add("--seed"); info.ArgumentList.Add(string.Join(",", seeds)); }
            var sw = Stopwatch.StartNew();
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a cluster node");
            var node = new NodeProcess(process, name);
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"[{name}] {line}"); };
            process.BeginErrorReadLine();
            var ready = Task.Run(() =>
            {
                while (process.StandardOutput.ReadLine() is { } line)
                {
                    if (line.StartsWith("CLUSTER ", StringComparison.Ordinal)) node.ClusterAddress = line[8..].Trim();
                    else if (line.StartsWith("GATEWAY ", StringComparison.Ordinal)) node.GatewayAddress = line[8..].Trim();
                    else if (line == "READY") return true;
                }
                return false;
            });
            if (!ready.Wait(Long) || !ready.Result)
            {
                node.Kill();
                throw new InvalidOperationException($"the cluster node {name} did not start (roles {roles})");
            }
            log.Say("cluster", $"{name} (roles {roles}, pid {process.Id}) up in {sw.Elapsed.TotalSeconds:F1}s at {node.ClusterAddress}" +
                               (node.GatewayAddress is null ? "" : $", gateway {node.GatewayAddress}"));
            return node;
        }

        /// <summary>The process's CPU time so far: utime + stime of /proc/PID/stat.</summary>
        public TimeSpan CpuTime()
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // after the command: state is field 3; utime and stime are fields 14 and 15 (1-based)
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / (double)ClockTicks);
        }

        private const int ClockTicks = 100; // USER_HZ: the unit of /proc/PID/stat on Linux

        public void Kill()
        {
            try { _process.Kill(); } catch (InvalidOperationException) { }
            _process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                try { _process.StandardInput.Close(); } catch (IOException) { }
                if (!_process.WaitForExit(30_000)) Kill();
            }
            _process.Dispose();
        }
    }

    // ------------------------------------------------------------------ a throwaway PostgreSQL

    /// <summary>The least-squares line y = intercept + slope x through <paramref name="points"/>, its intercept kept at 0 or
    /// more (through the origin when the fit would go below); one point: through the origin.</summary>
    private static (double Intercept, double Slope) Line(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2) return (0, points[0].Y / points[0].X);
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var slope = points.Sum(p => (p.X - mx) * (p.Y - my)) / points.Sum(p => (p.X - mx) * (p.X - mx));
        var intercept = my - slope * mx;
        return intercept < 0 ? (0, points.Sum(p => p.Y) / points.Sum(p => p.X)) : (intercept, slope);
    }

    /// <summary>A PostgreSQL server for the run: <c>initdb</c> into a temporary directory, <c>pg_ctl start</c> on a free
    /// port of 127.0.0.1 (trust, fsync off), as the <c>postgres</c> user when this process is root; stopped and deleted at
    /// the end (the approach of the integration tests' fixture).</summary>
    private sealed class Postgres : IDisposable
    {
        private string _bin = "", _root = "", _data = "", _logFile = "";
        private string? _runAs;
        public int Port { get; private set; }
        private string Admin => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "postgres", Pooling = false, Timeout = 15 }.ToString();

        public static Postgres Start(Progress log)
        {
            var pg = new Postgres();
            pg.StartServer(log);
            return pg;
        }

        private void StartServer(Progress log)
        {
            _bin = FindBin() ?? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH: install the Debian package `postgresql`");
            _runAs = Run("id", ["-u"]).Trim() == "0" ? "postgres" : null;
            _root = Path.Combine("/tmp", "datsync-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(_root);
            if (_runAs is not null) Run("chown", [_runAs, _root]);
            _data = Path.Combine(_root, "data");
            _logFile = Path.Combine(_root, "server.log");
            Tool("initdb", ["-D", _data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
            for (var attempt = 1; ; attempt++)
            {
                Port = FreePort();
                try
                {
                    Tool("pg_ctl", ["-D", _data, "-l", _logFile, "-o",
                        $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_root} -c fsync=off -c synchronous_commit=off " +
                        "-c full_page_writes=off -c max_connections=200", "-w", "-t", "120", "start"]);
                    break;
                }
                catch (InvalidOperationException) when (attempt < 3) { }
            }
            log.Say("cluster", $"PostgreSQL ({_bin}) on 127.0.0.1:{Port}");
        }

        public string CreateDatabase(string name)
        {
            using (var c = new NpgsqlConnection(Admin))
            {
                c.Open();
                using var command = new NpgsqlCommand($"CREATE DATABASE {name}", c);
                command.ExecuteNonQuery();
            }
            return new NpgsqlConnectionStringBuilder(Admin) { Database = name, Pooling = true }.ToString();
        }

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            try { Tool("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"]); }
            catch (InvalidOperationException) { }
            try { Directory.Delete(_root, recursive: true); }
            catch (IOException) { }
        }

        private static string? FindBin()
        {
            static bool Has(string d) => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl"));
            if (Directory.Exists("/usr/lib/postgresql"))
                foreach (var d in Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d.Length).ThenByDescending(d => d, StringComparer.Ordinal))
                    if (Has(Path.Combine(d, "bin"))) return Path.Combine(d, "bin");
            return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(d => d.Length > 0 && Has(d));
        }

        private void Tool(string tool, string[] args)
        {
            var path = Path.Combine(_bin, tool);
            if (_runAs is null) Run(path, args);
            else Run("runuser", ["-u", _runAs, "--", path, .. args]);
        }

        private string Run(string file, string[] args)
        {
            var info = new ProcessStartInfo(file)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
                WorkingDirectory = Directory.Exists(_root) ? _root : "/tmp",
            };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"`{file}` did not finish in 2 minutes");
            }
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` exited with {p.ExitCode}: {stdout.Result}{stderr.Result}" +
                                                    (File.Exists(_logFile) ? "\n" + File.ReadAllText(_logFile) : ""));
            return stdout.Result;
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            try { return ((IPEndPoint)l.LocalEndpoint).Port; }
            finally { l.Stop(); }
        }
    }
}
