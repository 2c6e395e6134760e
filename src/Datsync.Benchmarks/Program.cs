using System.Globalization;
using System.Runtime.InteropServices;
using Datsync.Benchmarks;

// dotnet run -c Release --project src/Datsync.Benchmarks -- compare [--quick] [--samples N] [--warmup N] [--seed N]
//                                                                    [--cases a,b,...] [--skip-memory]
//                                                                    [--jvm [--jvm-runner PATH] [--jvm-warmup N]]
// `run` does the Datsync side only.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

try
{
    return Bench.Run(args);
}
catch (NodeSideException e)
{
    Console.Error.WriteLine($"error: DataScript side: {e.Message}");
    return 3;
}
catch (JvmSideException e)
{
    Console.Error.WriteLine($"error: DataScript JVM side: {e.Message}");
    return 3;
}

namespace Datsync.Benchmarks
{
    internal static class Bench
    {
        private static readonly string Usage =
            "usage: Datsync.Benchmarks (compare | run | master | fanout | remote | keywords | connection | subscriptions | scopes | offline | cluster) [--quick] [--samples N] [--warmup N] [--seed N] [--cases a,b,...] [--skip-memory]\n" +
            "  compare   run every case on Datsync and on DataScript (node), print both side by side\n" +
            "            --jvm: DataScript on the JVM too (shared/jvm-datascript/run.sh, or --jvm-runner PATH; --jvm-warmup N, default\n" +
            "            --warmup if given, else 5)\n" +
            "  run       run the Datsync side only\n" +
            "  master    durable transactions/s on a SQLite file beside a plain SQLite loop, and recovery speed\n" +
            "  fanout    one master, N in-process replicas: applied tx/s, commit->applied latency, plain-Tell ceiling, 1M-datom bootstrap\n" +
            "            (fanout --help for its options)\n" +
            "  remote    master on Akka.Remote, 1 and 10 replicas in other ActorSystems over loopback: delivered tx/s and datoms/s,\n" +
            "            a plain ping-pong as the ceiling, 1M-datom bootstrap over the wire (remote --help for its options)\n" +
            "  keywords  keyword interning: 10M interns of existing names (string and span), reading a 20k-map EDN transaction,\n" +
            "            1M fresh names, and the intern table's size afterwards (keywords [--samples N] [--quick])\n" +
            "  connection  the connection API against the ways in before it, in-memory master: TransactAsync vs the transactor's Ask,\n" +
            "            a replica's writes as EDN forms vs as .NET lists (text), commits with a Reports reader vs none ([--quick] [--rounds N])\n" +
            "  subscriptions  live queries on a replica: N subscriptions of mixed shapes, per transaction what the topic index examined,\n" +
            "            re-evaluated and emitted, route time, transact->result p50/p99, beside re-running all N ([--sizes 1000,10000,100000] [--quick])\n" +
            "  scopes    N client scopes routed per transaction (~1% concerned): examined, route+filter time, beside filtering every\n" +
            "            scope; a scoped bootstrap of 10k of 1M datoms ([--clients 1000,10000,100000] [--txs N] [--quick]); then the\n" +
            "            delivery through the actors: a master with scopes and N in-process scoped replicas, commit->applied p50/p99,\n" +
            "            delivered/s and CPU per delivery, beside unscoped fan-out of the same deliveries ([--deliver-clients 1000,10000]\n" +
            "            [--deliver-txs N] [--deliver-window N] [--no-deliver] [--no-routing] [--no-bootstrap])\n" +
            "  offline   a replica's local store: cold start from a store of 1M datoms beside a network bootstrap of the same value\n" +
            "            over loopback, and applied tx/s with and without a store ([--datoms N] [--samples N] [--tx N] [--quick];\n" +
            "            offline --help for its options)\n" +
            "  cluster   a master on Akka.Cluster over a throwaway PostgreSQL, every node a child process: applied tx/s per replica and\n" +
            "            latency for G gateways x R replicas each, the transactor node's CPU per tx and per delivered delta, each gateway's\n" +
            "            CPU per delta per replica, failover time after kill -9 of the transactor node, and a model for N gateway machines\n" +
            "            ([--gateways 1,2,3] [--replicas 10,100] [--txs N] [--window N] [--failovers N] [--quick]; cluster --help)\n" +
            "  --quick   3 samples after 1 warmup (default: 7 samples after 2 warmups)\n" +
            "  cases:    " + string.Join(", ", Cases.Names);

        public static int Run(string[] args)
        {
            if (args.Length > 0 && args[0] == "master") return MasterBench.Run(args);
            if (args.Length > 0 && args[0] == "keywords") return KeywordBench.Run(args);
            if (args.Length > 0 && args[0] == "connection") return ConnectionBench.Run(args);
            if (args.Length > 0 && args[0] == "subscriptions") return SubscriptionsBench.Run(args);
            if (args.Length > 0 && args[0] == "scopes") return ScopesBench.Run(args);
            if (args.Length > 0 && args[0] == "fanout") return Fanout.FanoutBench.Run(args[1..], Console.Out, Console.Error);
            if (args.Length > 0 && args[0] == "offline") return OfflineBench.Run(args[1..], Console.Out, Console.Error);
            if (args.Length > 0 && args[0] == "cluster") return ClusterBench.Run(args[1..], Console.Out, Console.Error);
            if (args.Length > 0 && args[0] == "cluster-node") return ClusterBench.RunNode(args[1..]); // a node of `cluster`, its child process
            if (args.Length > 0 && args[0] == "remote") return Fanout.RemoteBench.Run(args[1..], Console.Out, Console.Error);
            if (args.Length == 0 || args[0] is not ("compare" or "run"))
            {
                Console.Error.WriteLine(Usage);
                return 2;
            }
            var compare = args[0] == "compare";
            int? samples = null, warmup = null;
            var seed = Workload.DefaultSeed;
            var quick = false;
            var memory = true;
            var jvm = false;
            string? jvmRunner = null;
            int? jvmWarmup = null;
            string[]? only = null;
            for (var i = 1; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--quick": quick = true; break;
                    case "--samples": samples = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--cases": only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                    case "--skip-memory": memory = false; break;
                    case "--jvm": jvm = true; break;
                    case "--jvm-runner": jvmRunner = Next(); break;
                    case "--jvm-warmup": jvmWarmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    default:
                        Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}");
                        return 2;
                }
            }
            var settings = new RunSettings(warmup ?? (quick ? 1 : 2), samples ?? (quick ? 3 : 7));
            // the JVM settles later than V8: 5 warmups unless told (run.sh's README)
            var jvmSettings = settings with { Warmup = jvmWarmup ?? warmup ?? 5 };
            if (settings.Samples < 1 || settings.Warmup < 0 || jvmSettings.Warmup < 0)
            {
                Console.Error.WriteLine("--samples must be >= 1 and --warmup >= 0");
                return 2;
            }
            if (only?.FirstOrDefault(c => !Cases.Names.Contains(c)) is { } unknown)
            {
                Console.Error.WriteLine($"unknown case {unknown}\n{Usage}");
                return 2;
            }
            if (!compare && (jvm || jvmRunner is not null || jvmWarmup is not null))
            {
                Console.Error.WriteLine("--jvm, --jvm-runner and --jvm-warmup belong to compare");
                return 2;
            }
            if (!jvm && (jvmRunner is not null || jvmWarmup is not null))
            {
                Console.Error.WriteLine("--jvm-runner and --jvm-warmup need --jvm");
                return 2;
            }
            var selected = Cases.Names.Where(n => only is null || only.Contains(n)).ToArray();

            // workload: generated from the seed, written once for the DataScript side
            var workload = Workload.Generate(seed);
            var workloadPath = Path.Combine(AppContext.BaseDirectory, "bench-data", $"workload-seed{seed}.json");
            workload.WriteJson(workloadPath);

            string? nodeVersion = null;
            if (compare)
            {
                // fail early (before minutes of Datsync runs) when node or npm is missing
                nodeVersion = NodeRunner.NodeVersion();
                NodeRunner.EnsureInstalled();
            }
            string? runSh = null;
            if (jvm)
            {
                runSh = JvmRunner.Locate(jvmRunner);
                JvmRunner.Preflight(runSh);
            }
            // the cases bench.clj has (a case it lacks is listed as n/a on the JVM side, not as a failure)
            var jvmSelected = runSh is null ? [] : selected.Where(n => JvmRunner.Defines(runSh, n)).ToArray();

            Harness.Progress("datsync", $"{selected.Length} cases, {settings.Warmup} warmup + {settings.Samples} samples each, seed {seed}");
            var ours = new Dictionary<string, CaseResult>();
            var available = Cases.All(workload).ToDictionary(c => c.Name);
            foreach (var name in selected)
            {
                if (!available.TryGetValue(name, out var c))
                {
                    Harness.Progress("datsync", $"{name}: unknown case");
                    continue;
                }
                if (Cases.NeedsQuery(name) && Cases.Query is null)
                {
                    Harness.Progress("datsync", $"{name}: skipped, no Datalog engine (Cases.Query is not set)");
                    continue;
                }
                ours[name] = Harness.Measure("datsync", c, settings);
            }
            var ourMemory = memory ? Memory.Measure(workload) : null;

            SideResults? theirs = null;
            if (compare)
            {
                Harness.Progress("datascript", $"running js/ds_bench.js with node {nodeVersion}");
                theirs = NodeRunner.Run(workloadPath, settings, selected, memory);
            }
            SideResults? jvmResults = null;
            if (runSh is not null)
            {
                Harness.Progress("datascript-jvm", $"running {runSh}: {jvmSelected.Length} cases, {jvmSettings.Warmup} warmup + {jvmSettings.Samples} samples each" +
                                                   (jvmSelected.Length < selected.Length ? $" (not in its bench.clj: {string.Join(", ", selected.Except(jvmSelected))})" : ""));
                jvmResults = JvmRunner.Run(runSh, workloadPath, jvmSettings, jvmSelected, memory);
            }

            // report
            var dotnet = RuntimeInformation.FrameworkDescription;
            Console.WriteLine();
            Console.WriteLine($"> machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}; " +
                              $"{dotnet}{(compare ? $"; node {theirs!.Runtime}, datascript {theirs.DataScriptVersion}" : "")}" +
                              $"{(jvmResults is not null ? $"; {jvmResults.Runtime}, datascript {jvmResults.DataScriptVersion} ({jvmSettings.Warmup} warmup)" : "")}; " +
                              $"{settings.Warmup} warmup + {settings.Samples} samples, median; seed {seed}");
            Console.WriteLine();
            var failures = new List<string>();
            var theirCases = theirs?.Cases.ToDictionary(c => c.Name) ?? [];
            var jvmCases = jvmResults?.Cases.ToDictionary(c => c.Name) ?? [];
            if (jvmResults is not null)
            {
                Console.WriteLine("| case | datsync ms | datascript ms | ratio | datascript-jvm ms | jvm ratio |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            }
            else if (compare)
            {
                Console.WriteLine("| case | datsync ms | datascript ms | ratio |");
                Console.WriteLine("|---|---:|---:|---:|");
            }
            else
            {
                Console.WriteLine("| case | datsync ms | allocated MB/run |");
                Console.WriteLine("|---|---:|---:|");
            }
            foreach (var name in selected)
            {
                var expected = Cases.Expected(name, workload);
                ours.TryGetValue(name, out var o);
                theirCases.TryGetValue(name, out var t);
                if (o is not null && o.Check != expected) failures.Add($"{name}: datsync reports '{o.Check}', expected '{expected}'");
                if (compare && t is null) failures.Add($"{name}: no DataScript result");
                if (t is not null && t.Check != expected) failures.Add($"{name}: datascript reports '{t.Check}', expected '{expected}'");
                jvmCases.TryGetValue(name, out var j);
                var jvmDefines = jvmSelected.Contains(name);
                if (jvmResults is not null && jvmDefines && j is null) failures.Add($"{name}: no DataScript JVM result");
                if (j is not null && j.Check != expected) failures.Add($"{name}: datascript-jvm reports '{j.Check}', expected '{expected}'");
                var ourMs = o is not null ? Ms(o.MedianMs) : Cases.NeedsQuery(name) && Cases.Query is null ? "n/a (no Datalog engine)" : "n/a";
                var ratio = o is not null && t is not null ? (t.MedianMs / o.MedianMs).ToString("F2") : "–";
                if (jvmResults is not null)
                {
                    var jvmRatio = o is not null && j is not null ? (j.MedianMs / o.MedianMs).ToString("F2") : "–";
                    var jvmMs = j is not null ? Ms(j.MedianMs) : jvmDefines ? "n/a" : "n/a (not in bench.clj)";
                    Console.WriteLine($"| {name} | {ourMs} | {(t is null ? "n/a" : Ms(t.MedianMs))} | {ratio} | {jvmMs} | {jvmRatio} |");
                }
                else if (compare)
                    Console.WriteLine($"| {name} | {ourMs} | {(t is null ? "n/a" : Ms(t.MedianMs))} | {ratio} |");
                else Console.WriteLine($"| {name} | {ourMs} | {(o is null ? "n/a" : (o.AllocatedBytes / 1048576.0).ToString("F1"))} |");
            }
            if (jvmResults is not null)
                Console.WriteLine("\nratio = datascript ms / datsync ms, jvm ratio = datascript-jvm ms / datsync ms (above 1: Datsync is faster).");
            else if (compare) Console.WriteLine("\nratio = datascript ms / datsync ms (above 1: Datsync is faster).");

            if (ourMemory is not null)
            {
                Console.WriteLine();
                Console.WriteLine($"| memory ({ourMemory.Datoms:N0} datoms, bulk load) | retained MB | bytes/datom |");
                Console.WriteLine("|---|---:|---:|");
                Console.WriteLine($"| datsync (Db.FromDatoms) | {ourMemory.Retained / 1048576.0:F1} | {ourMemory.BytesPerDatom:F1} |");
                if (theirs?.Memory is { } tm)
                    Console.WriteLine($"| datascript (d.init_db) | {tm.Retained / 1048576.0:F1} | {tm.BytesPerDatom:F1} |");
                if (jvmResults?.Memory is { } jm)
                    Console.WriteLine($"| datascript-jvm (d/init-db) | {jm.Retained / 1048576.0:F1} | {jm.BytesPerDatom:F1} |");
            }

            if (failures.Count > 0)
            {
                Console.Error.WriteLine();
                Console.Error.WriteLine($"EQUIVALENCE CHECK FAILED: the {(jvmResults is not null ? "three" : "two")} sides did not do the same work:");
                foreach (var f in failures) Console.Error.WriteLine("  " + f);
                return 1;
            }
            return 0;
        }

        private static string Ms(double ms) => ms >= 100 ? ms.ToString("F0") : ms >= 1 ? ms.ToString("F1") : ms.ToString("F3");
    }
}
