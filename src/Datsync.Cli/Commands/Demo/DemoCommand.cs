using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Storage;
using Datsync.Cli.Output;
using Datsync.Core;

namespace Datsync.Cli.Commands.Demo;

/// <summary>Options of <c>datsync demo</c>.</summary>
internal sealed record DemoOptions
{
    public int Replicas { get; init; } = 4;
    /// <summary>How long the writers run; null: until <see cref="Transactions"/> (10 s when neither is given).</summary>
    public double? Seconds { get; init; }
    /// <summary>Transactions submitted in all (shared out between the writers); null: no limit.</summary>
    public long? Transactions { get; init; }
    /// <summary>Directory of the master's SQLite file (kept); null: a fresh temporary directory, deleted at the end.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Each replica in a child process (<c>datsync demo-replica</c>) connected over Akka.Remote.</summary>
    public bool Processes { get; init; }
    public bool Verbose { get; init; }
    public int MasterWriters { get; init; } = 2;
    /// <summary>Scoped replicas: one user each, holding what the user sees (<see cref="DemoScoped"/>).</summary>
    public bool Scoped { get; init; }
}

/// <summary>
/// <c>datsync demo</c>: a master on a SQLite file, several replicas (in this process, or one child process each),
/// writers committing a realistic workload through the master and through the replicas, live progress on standard
/// error, then a check that every replica holds exactly the master's datoms, and a verdict on standard output.
/// With <c>--scoped</c>, <see cref="DemoScoped"/>: one replica per user, each checked against the filtered master.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Settings that make a demo replica notice things sooner than the defaults (both modes).</summary>
    public const string QuickHocon = """
        datsync.replica.retry-interval = 300ms
        datsync.session.heartbeat-interval = 250ms
        """;

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    public const string DbFileName = "demo.sqlite";

    public static Command Create()
    {
        var replicas = new Option<int>("--replicas") { Description = "number of replicas (default 4)", DefaultValueFactory = _ => 4 };
        var seconds = new Option<double?>("--seconds") { Description = "how long the writers run (default 10, or until --transactions when that is given)" };
        var transactions = new Option<long?>("--transactions") { Description = "stop after this many transactions in all" };
        var db = new Option<string?>("--db") { Description = "directory of the master's SQLite file demo.sqlite, kept afterwards (default: a fresh temporary directory, deleted)" };
        var processes = new Option<bool>("--processes") { Description = "run each replica in a child process, connected over Akka.Remote" };
        var cmd = new Command("demo",
            "A master on a SQLite file, several replicas, a live workload through both, then a check that every replica equals the master");
        var scoped = new Option<bool>("--scoped") { Description = "scoped replicas: one user each, holding its own documents and those shared with it; a share, an unshare and refused writes during the run; every replica checked against the master filtered to its user" };
        foreach (var o in new Option[] { replicas, seconds, transactions, db, processes, scoped }) cmd.Options.Add(o);
        // a synchronous action, so that Ctrl+C is this command's to handle: the first stops the writers and the demo
        // still checks the replicas; a second one ends the process
        cmd.SetAction(parse =>
        {
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = !interrupt.IsCancellationRequested;
                if (e.Cancel) Console.Error.WriteLine("\ndatsync demo: stopping the writers, then checking the replicas (Ctrl+C again to quit)");
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            var options = new DemoOptions
            {
                Replicas = parse.GetValue(replicas), Seconds = parse.GetValue(seconds), Transactions = parse.GetValue(transactions),
                DataDirectory = parse.GetValue(db), Processes = parse.GetValue(processes), Scoped = parse.GetValue(scoped), Verbose = parse.GetValue(CliSupport.Verbose), // the global --verbose: every rejection, the replica processes' messages
            };
            try { return RunAsync(options, Console.Out, Console.Error, !Console.IsErrorRedirected, interrupt.Token).GetAwaiter().GetResult(); }
            finally { Console.CancelKeyPress -= onCancel; }
        });
        return cmd;
    }

    /// <summary>Runs the demo. Exit codes: 0 every replica equals the master; 1 a replica differs or did not catch
    /// up; 2 the demo could not run (bad options, a replica that did not start).</summary>
    public static int Run(DemoOptions options, TextWriter output, TextWriter stderr) =>
        RunAsync(options, output, stderr, false, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(DemoOptions o, TextWriter output, TextWriter stderr, bool stderrIsTerminal, CancellationToken cancel)
    {
        if (o.Scoped) return await DemoScoped.RunAsync(o, output, stderr, cancel);
        if (o.Replicas < 1 || o.Replicas > 64) return Usage(stderr, "--replicas must be between 1 and 64");
        if (LengthRefused(o, stderr) is { } refused) return refused;
        var (seconds, run, temporary, dir) = Prepare(o);

        var errLock = new object();
        void Err(string line)
        {
            lock (errLock) stderr.WriteLine(line);
        }

        var hocon = StderrLogger.Hocon + "\n" + QuickHocon + "\n" +
                    // replicas in this process apply every delta's datoms themselves, as those in other processes do:
                    // comparing them with the master then checks replication, not a shared reference
                    "datsync.session.share-master-values = off";

        DatsyncMaster? master = null;
        var nodes = new List<IDemoNode>();
        try
        {
            // replicas in child processes address the master by its default name; in this process, one of its own
            var name = o.Processes ? DatsyncReplicaOptions.DefaultServerSystemName : "datsync-demo-" + run;
            master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
            {
                Name = name,
                Listen = o.Processes ? "127.0.0.1:0" : null,
                Storage = { Kind = "sqlite", DataDirectory = dir, SqliteFileName = DbFileName },
                Hocon = hocon,
            }, cancel).WaitAsync(StepTimeout, cancel);

            // the schema and the organisations, through the master (both are idempotent: --db can be run again)
            long setupT = 0;
            foreach (var setup in new[] { DemoWorkload.Schema, DemoWorkload.OrgsTx() })
            {
                var outcome = await DemoWorkload.Through(master, StepTimeout)(DemoWorkload.Parse(setup));
                if (outcome.T is not { } t)
                {
                    Err($"datsync demo: the setup transaction was rejected: {outcome.Category}: {outcome.Message}");
                    return 2;
                }
                setupT = t;
            }

            var startup = Stopwatch.StartNew();
            if (o.Verbose) Err($"datsync demo: master ready at t={setupT}");
            var address = master.ListeningAt;
            try
            {
                for (var i = 1; i <= o.Replicas; i++)
                    nodes.Add(o.Processes
                        ? ProcessNode.Start($"r{i}", address!, run, o.Verbose, Err)
                        : new InProcessNode($"r{i}", DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = $"r{i}", ServerSystemName = name }, cancel),
                            run, o.Verbose ? Err : null));
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                var (file, prefix) = ProcessNode.SelfCommand();
                Err($"datsync demo: cannot start a replica process ({string.Join(" ", [file, .. prefix])}): {e.Message}");
                return 2;
            }
            try { await Task.WhenAll(nodes.Select(n => n.Ready)).WaitAsync(StepTimeout, cancel); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var failed = nodes.FirstOrDefault(n => !n.Ready.IsCompletedSuccessfully);
                Err($"datsync demo: replica {failed?.Name ?? "?"} did not start: {failed?.Ready.Exception?.InnerException?.Message ?? e.Message}");
                return 2;
            }

            if (o.Verbose) Err(FormattableString.Invariant($"datsync demo: {nodes.Count} replicas ready in {startup.Elapsed.TotalSeconds:0.0}s"));
            var writers = o.MasterWriters + nodes.Count;
            long Quota(int i) => o.Transactions is { } total ? total / writers + (i < total % writers ? 1 : 0) : -1;
            var limit = (seconds is { } s ? $"for {s.ToString("0.###", CultureInfo.InvariantCulture)}s" : "") +
                        (seconds is not null && o.Transactions is not null ? " or " : "") +
                        (o.Transactions is { } n ? $"until {n:N0} transactions" : "");
            output.WriteLine($"datsync demo: master on SQLite {Path.Combine(dir, DbFileName)}" + (o.Processes ? $" listening at {address}" : ""));
            output.WriteLine($"  {nodes.Count} replica{(nodes.Count == 1 ? "" : "s")} " +
                             (o.Processes ? "in child processes over Akka.Remote" : "in this process (each applies the log to its own copy)") +
                             $"; {writers} writers ({o.MasterWriters} through the master, one through each replica) {limit}");
            output.Flush();

            // the writers
            var masterStats = new DemoStats();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var seed = Environment.TickCount;
            var masterWriters = Enumerable.Range(0, o.MasterWriters).Select(i => Task.Run(() => DemoWorkload.RunWriter(
                $"m{i + 1}", run, seed + i, DemoWorkload.Through(master, StepTimeout), masterStats, Quota(i), stop.Token,
                o.Verbose ? Err : null))).ToList();
            for (var i = 0; i < nodes.Count; i++) nodes[i].StartWriter(setupT, Quota(o.MasterWriters + i), seed + 100 + i);
            var clock = Stopwatch.StartNew();

            // live progress until the time is up, the quota is spent, or Ctrl+C
            long Committed() => masterStats.Committed + nodes.Sum(n => n.Stats.Committed);
            var lastMasterT = setupT;
            var samples = new Queue<(TimeSpan At, long Committed)>();
            samples.Enqueue((TimeSpan.Zero, 0));
            var rate = 0.0;
            var period = TimeSpan.FromMilliseconds(stderrIsTerminal ? 250 : 1000);
            var shown = false;
            var nextProgress = period;
            while (!cancel.IsCancellationRequested)
            {
                var allDone = masterWriters.All(w => w.IsCompleted) && nodes.All(n => n.WriterDone);
                if (allDone || (seconds is { } limitS && clock.Elapsed.TotalSeconds >= limitS)) break;
                try { await Task.Delay(50, cancel); } catch (OperationCanceledException) { break; }
                var now = clock.Elapsed;
                if (now < nextProgress) continue;
                nextProgress = now + period;
                var committed = Committed();
                lastMasterT = master.Db.BasisT;
                // transactions/s over about the last second
                samples.Enqueue((now, committed));
                while (samples.Count > 2 && (now - samples.Peek().At).TotalSeconds > 1.05) samples.Dequeue();
                var (oldAt, oldCommitted) = samples.Peek();
                if (now > oldAt) rate = (committed - oldCommitted) / (now - oldAt).TotalSeconds;
                var line = Progress(now, lastMasterT, rate, committed, masterStats.RejectedAsExpected + nodes.Sum(x => x.Stats.RejectedAsExpected), nodes);
                lock (errLock)
                {
                    if (stderrIsTerminal) stderr.Write("\r" + line.PadRight(Math.Min(200, Math.Max(line.Length, 100))));
                    else stderr.WriteLine(line);
                    stderr.Flush();
                }
                shown = true;
            }
            stop.Cancel();
            await Task.WhenAll(masterWriters);
            await Task.WhenAll(nodes.Select(n => n.StopWriter()));
            var elapsed = clock.Elapsed;
            if (stderrIsTerminal && shown) Err("");

            // the check: every replica reaches the master's t and holds exactly its datoms
            var masterDb = master.Db;
            var masterDigest = DbDigest.Of(masterDb);
            var checks = await Task.WhenAll(nodes.Select(n => n.Check(masterDb, masterDigest, StepTimeout)));

            var unexpected = masterStats.UnexpectedSamples.Concat(nodes.SelectMany(n => n.Stats.UnexpectedSamples)).ToList();
            foreach (var u in unexpected.Take(10)) Err("datsync demo: unexpected outcome: " + u);

            Summary(output, o, masterStats, nodes, checks, masterDigest, elapsed);
            if (nodes.Count > 0) await ShowQuery(output, nodes[0], masterDb);
            var differ = nodes.Zip(checks, (n, c) => (Node: n, Check: c)).Where(x => !x.Check.Equal).ToList();
            if (differ.Count == 0)
            {
                output.WriteLine($"verdict: OK — {(nodes.Count == 1 ? "the replica equals" : $"{nodes.Count} replicas equal")} the master at t={masterDigest.T} ({masterDigest.Datoms:N0} datoms)");
                output.Flush();
                return 0;
            }
            output.WriteLine($"verdict: MISMATCH — {differ.Count} of {nodes.Count} replica{(nodes.Count == 1 ? "" : "s")} differ{(differ.Count == 1 ? "s" : "")} from the master at t={masterDigest.T} ({masterDigest.Datoms:N0} datoms): " +
                             string.Join("; ", differ.Select(x => $"{x.Node.Name}: {x.Check.Problem}")));
            output.Flush();
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Err("datsync demo: interrupted before the writers started");
            return 130;
        }
        finally
        {
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
            if (master is not null)
            {
                try { await master.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); }
                catch (TimeoutException) { Err("datsync demo: the master did not stop within 10s"); }
            }
            if (temporary)
            {
                try { Directory.Delete(dir, true); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>The members of each organisation, counted by a Datalog query on a replica, beside the master's answer.</summary>
    internal const string MembersQuery = "[:find ?org (count ?m) :where [?m :membership/org ?o] [?o :org/name ?org]]";

    private static async Task ShowQuery(TextWriter output, IDemoNode replica, Db master)
    {
        var expected = EdnPrinter.Print(master.Q(MembersQuery));
        string answer;
        try { answer = await replica.Query(MembersQuery, StepTimeout); }
        catch (TimeoutException) { answer = "(no answer in time)"; }
        var same = EdnEquality.Instance.Equals(EdnReader.Read(expected), TryRead(answer));
        output.WriteLine($"query on {replica.Name}: {MembersQuery}");
        output.WriteLine($"  {answer}");
        output.WriteLine(same ? "  (the master answers the same)" : $"  the master answers {expected}");
        output.WriteLine();
    }

    private static object? TryRead(string edn)
    {
        try { return EdnReader.Read(edn); }
        catch (EdnReadException) { return null; }
    }

    /// <summary>Exit code 2 for a length that is not positive (<c>--seconds</c>, <c>--transactions</c>), else null.</summary>
    internal static int? LengthRefused(DemoOptions o, TextWriter stderr)
    {
        if (o.Seconds is <= 0) return Usage(stderr, "--seconds must be positive");
        if (o.Transactions is <= 0) return Usage(stderr, "--transactions must be positive");
        return null;
    }

    /// <summary>A run's length (10 s when neither a length nor a transaction limit is given), its id and its data
    /// directory (a temporary one when none is given, removed afterwards), as both demos take them.</summary>
    internal static (double? Seconds, string Run, bool Temporary, string Dir) Prepare(DemoOptions o)
    {
        var seconds = o.Seconds ?? (o.Transactions is null ? 10 : (double?)null);
        var run = Guid.NewGuid().ToString("N")[..6];
        var temporary = o.DataDirectory is null;
        var dir = Path.GetFullPath(o.DataDirectory ?? Path.Combine(Path.GetTempPath(), "datsync-demo-" + run));
        Directory.CreateDirectory(dir);
        return (seconds, run, temporary, dir);
    }

    /// <summary>One line on standard error for a refused option, and exit code 2.</summary>
    internal static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("datsync demo: " + message);
        return 2;
    }

    private static string Progress(TimeSpan at, long masterT, double rate, long committed, long rejected, List<IDemoNode> nodes) =>
        FormattableString.Invariant($"{at.TotalSeconds,5:0.0}s  t={masterT}  {rate,6:0} tx/s  committed {committed}  rejected {rejected}  lag ") +
        string.Join(" ", nodes.Select(n => $"{n.Name}={Math.Max(0, masterT - n.BasisT)}"));

    private static void Summary(TextWriter w, DemoOptions o, DemoStats masterStats, List<IDemoNode> nodes, DemoCheck[] checks,
        DbDigest master, TimeSpan elapsed)
    {
        var rows = new List<(string Writer, DemoStats Stats)> { ($"master ({o.MasterWriters} writers)", masterStats) };
        rows.AddRange(nodes.Select(n => ($"via {n.Name}", n.Stats)));
        var committed = rows.Sum(r => r.Stats.Committed);
        var secs = Math.Max(elapsed.TotalSeconds, 0.001);
        w.WriteLine();
        w.WriteLine($"{"writers",-22} {"committed",10} {"rejected as expected",21} {"unexpected",11} {"tx/s",8}");
        foreach (var (name, s) in rows)
            w.WriteLine($"{name,-22} {s.Committed,10:N0} {s.RejectedAsExpected,21:N0} {s.Unexpected,11:N0} {s.Committed / secs,8:N0}");
        w.WriteLine($"{"total",-22} {committed,10:N0} {rows.Sum(r => r.Stats.RejectedAsExpected),21:N0} {rows.Sum(r => r.Stats.Unexpected),11:N0} {committed / secs,8:N0}" +
                    FormattableString.Invariant($"  in {elapsed.TotalSeconds:0.0}s"));
        w.WriteLine();
        w.WriteLine($"{"database",-9} {"t",8} {"datoms",10}  {"sha256",-16}  equal");
        w.WriteLine($"{"master",-9} {master.T,8} {master.Datoms,10:N0}  {master.Sha256[..16],-16}");
        foreach (var (n, c) in nodes.Zip(checks))
            w.WriteLine(c.Digest is { } d
                ? $"{n.Name,-9} {d.T,8} {d.Datoms,10:N0}  {d.Sha256[..16],-16}  {(c.Equal ? "yes" : "NO")}"
                : $"{n.Name,-9} {"-",8} {"-",10}  {"-",-16}  NO ({c.Problem})");
        w.WriteLine();
    }
}
