using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Cli.Commands.Demo;
using Datsync.Core;

namespace Datsync.Cli.Commands.Chaos;

/// <summary>Options of <c>datsync chaos</c>.</summary>
internal sealed record ChaosOptions
{
    public double Seconds { get; init; } = 60;
    public int Replicas { get; init; } = 3;
    /// <summary>Seed of the fault schedule; null: a random one (printed).</summary>
    public int? Seed { get; init; }
    /// <summary>Directory of the master's SQLite file (kept); null: a fresh temporary directory, deleted after a pass.</summary>
    public string? DataDirectory { get; init; }
    public bool Verbose { get; init; }
    public int MasterWriters { get; init; } = 2;
    /// <summary>Names of the hostile inputs to send (<see cref="ChaosHostile.All"/>); null: all of them.</summary>
    public IReadOnlyList<string>? Hostile { get; init; }
}

/// <summary>
/// <c>datsync chaos</c>: <c>datsync serve</c> and N replicas as child processes, writers of marker transactions
/// through the master and through each replica, and on a seeded schedule kill -9 and restart of the server and of the
/// replicas, SIGSTOP/SIGCONT of replicas past the failure detectors, and hostile inputs to the live server. At the end
/// everything comes back, the replicas catch up, and <see cref="ChaosVerdict"/> checks the master and the replicas.
/// </summary>
internal static class ChaosCommand
{
    /// <summary>How long a writer waits for one transaction's answer before it counts it in doubt.</summary>
    public static readonly TimeSpan TxTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    private const string MasterClient = "chaos-master", HostileClient = "chaos-hostile";

    /// <summary>The server's settings: sessions that notice a silent replica soon, snapshots now and then.</summary>
    private const string ServerHocon = """
        datsync.session.heartbeat-interval = 250ms
        datsync.session.replica-timeout = 6s
        datsync.master.snapshot-every = 200
        """;

    /// <summary>The replicas' settings on top of the demo's: reconnect soon after the server comes back.</summary>
    private const string ReplicaHocon = "datsync.replica.connection-timeout = 3s";

    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "how long the writers and the faults run (default 60)", DefaultValueFactory = _ => 60 };
        var replicas = new Option<int>("--replicas") { Description = "number of replica processes (default 3)", DefaultValueFactory = _ => 3 };
        var seed = new Option<int?>("--seed") { Description = "seed of the fault schedule (default: a random one, printed)" };
        var db = new Option<string?>("--db") { Description = "directory of the master's SQLite file, kept afterwards (default: a fresh temporary directory)" };
        var hostile = new Option<string?>("--hostile")
        {
            Description = "the hostile inputs to send, by name, comma-separated, or none (default: all: " + string.Join(", ", ChaosHostile.All().Select(h => h.Name)) + ")",
        };
        var cmd = new Command("chaos",
            "Serve a master and replicas as child processes, write through both while killing, stopping and feeding them hostile input, then check that nothing was lost or committed twice");
        foreach (var o in new Option[] { seconds, replicas, seed, db, hostile }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = !interrupt.IsCancellationRequested;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            var options = new ChaosOptions
            {
                Seconds = parse.GetValue(seconds), Replicas = parse.GetValue(replicas), Seed = parse.GetValue(seed),
                DataDirectory = parse.GetValue(db), Verbose = parse.GetValue(CliSupport.Verbose),
                Hostile = parse.GetValue(hostile) is { } names
                    ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(n => n != "none").ToList()
                    : null,
            };
            try { return RunAsync(options, Console.Out, Console.Error, interrupt.Token).GetAwaiter().GetResult(); }
            finally { Console.CancelKeyPress -= onCancel; }
        });
        return cmd;
    }

    /// <summary>Runs it. Exit codes: 0 the verdict holds; 1 it does not (each violation printed); 2 it could not run.</summary>
    public static async Task<int> RunAsync(ChaosOptions o, TextWriter output, TextWriter stderr, CancellationToken cancel)
    {
        if (o.Replicas < 1 || o.Replicas > 16) return Usage(stderr, "--replicas must be between 1 and 16");
        if (o.Seconds is <= 0 or > 86_400) return Usage(stderr, "--seconds must be positive (at most a day)");
        if (o.Hostile?.FirstOrDefault(n => ChaosHostile.All().All(h => h.Name != n)) is { } unknown)
            return Usage(stderr, $"--hostile: no input named {unknown} (there are: {string.Join(", ", ChaosHostile.All().Select(h => h.Name))}, none)");
        var seed = o.Seed ?? Random.Shared.Next(1, 1_000_000);
        var clock = Stopwatch.StartNew();
        var errLock = new object();
        void Log(string line)
        {
            lock (errLock)
            {
                stderr.WriteLine(FormattableString.Invariant($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}"));
                stderr.Flush();
            }
        }

        var run = Guid.NewGuid().ToString("N")[..6];
        var temporary = o.DataDirectory is null;
        var dir = Path.GetFullPath(o.DataDirectory ?? Path.Combine(Path.GetTempPath(), "datsync-chaos-" + run));
        Directory.CreateDirectory(dir);
        var keep = !temporary;

        // the clients the server admits, each with a fresh token (the server's file holds their hashes)
        var names = Enumerable.Range(1, o.Replicas).Select(i => $"r{i}").ToList();
        var tokens = names.Append(MasterClient).Append(HostileClient).ToDictionary(n => n, _ => TokenHash.NewToken());
        var serverConf = Path.Combine(dir, "chaos-server.conf");
        var replicaConf = Path.Combine(dir, "chaos-replica.conf");
        await File.WriteAllTextAsync(serverConf, $"{ClientAccess.ConfigPath} {{\n" +
            string.Join("\n", tokens.Select(kv => "  " + TokenHash.ConfigLine(kv.Key, kv.Value))) + "\n}\n" + ServerHocon + "\n", cancel);
        await File.WriteAllTextAsync(replicaConf, ReplicaHocon + "\n", cancel);

        var port = ChaosServer.FreePort();
        var server = new ChaosServer(dir, port, serverConf, o.Verbose, Log);
        var ledger = new ChaosLedger();
        var replicas = new List<ChaosReplica>();
        var hostileResults = new List<ChaosHostileResult>();
        var inputs = ChaosHostile.All().Where(h => o.Hostile is null || o.Hostile.Contains(h.Name)).ToList();
        var plan = ChaosSchedule.Plan(seed, o.Seconds, o.Replicas, inputs.Count);
        int serverKills = 0, serverRestarts = 0, skipped = 0;
        ActorSystem? client = null;
        var background = new List<Task>();
        try
        {
            output.WriteLine(FormattableString.Invariant(
                $"datsync chaos: seed {seed}, {o.Seconds:0.###}s, {o.Replicas} replica{(o.Replicas == 1 ? "" : "s")}; master `datsync serve` on SQLite {Path.Combine(dir, "datsync.db")} at {server.HostPort}"));
            output.Flush();
            Log($"plan: {plan.Faults.Count} faults, {plan.Hostile.Count} hostile inputs (seed {seed})");
            if (!await server.StartAsync(StepTimeout))
            {
                Log("the server did not start: " + string.Join(" | ", server.LastStderr(5)));
                keep = true;
                return 2;
            }
            Log($"server listening at {server.HostPort} (pid {server.Pid})");

            // a server killed and started again is tried again soon (Akka.Remote gates a failed address for 5 s by default)
            client = CliSupport.ClientSystem(ConfigurationFactory.ParseString("akka.remote.retry-gate-closed-for = 200ms"), o.Verbose, "127.0.0.1");
            var system = client;
            async Task<DemoTxOutcome> ThroughServer(string clientId, string edn, TimeSpan timeout)
            {
                if (await RemoteTransact.Resolve(system, server.HostPort, TimeSpan.FromSeconds(3)) is not { } srv)
                    return DemoTxOutcome.Rejected(DatsyncErrors.Unavailable, "no server answered (nothing was sent)");
                return await RemoteTransact.Send(srv, RemoteTransact.Message(clientId, tokens[clientId], edn), timeout) switch
                {
                    TxAccepted a => DemoTxOutcome.Committed(a.T),
                    TxRejected r => DemoTxOutcome.Rejected(r.Category, r.Message),
                    var other => DemoTxOutcome.Rejected(Keyword.Intern("chaos/unexpected-reply"), other?.ToString() ?? "null"),
                };
            }
            async Task<long?> CommitUntil(string edn, TimeSpan within)
            {
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < within && !cancel.IsCancellationRequested)
                {
                    try
                    {
                        var r = await ThroughServer(MasterClient, edn, TxTimeout);
                        if (r.T is { } t) return t;
                        if (r.Category != DatsyncErrors.Unavailable && r.Category != DatsyncErrors.Busy)
                        {
                            Log($"rejected: {r.Category}: {r.Message}");
                            return null;
                        }
                    }
                    catch (AskTimeoutException) { }
                    await Task.Delay(250, cancel);
                }
                return null;
            }

            if (await CommitUntil(ChaosWriter.Schema, StepTimeout) is not { } setupT)
            {
                Log("the schema was not committed");
                keep = true;
                return 2;
            }
            Log($"schema at t={setupT}");

            // the replicas, each in its own process with its writer
            var dumps = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
            void OnReplicaLine(ChaosReplica r, string line)
            {
                if (line.StartsWith("dumped ", StringComparison.Ordinal)) dumps.GetOrAdd(r.Name, _ => new()).TrySetResult();
                else if (line.StartsWith("submit ", StringComparison.Ordinal)) ledger.Submitting(line["submit ".Length..], r.Name);
                else if (ChaosOutcome.Parse(line, r.Name) is { } outcome) ledger.Record(outcome);
            }
            ProcessNode StartNode(ChaosReplica r, int generation) => ProcessNode.Start(r.Name, server.HostPort, run, o.Verbose, Log,
                ["--token", tokens[r.Name], "--config", replicaConf], line => OnReplicaLine(r, line), forwardStderr: o.Verbose);
            replicas.AddRange(names.Select(n => new ChaosReplica(n, StartNode, Log)));
            try
            {
                var started = await Task.WhenAll(replicas.Select(r => r.StartAsync(setupT, StepTimeout)));
                if (started.Contains(false))
                {
                    keep = true;
                    return 2;
                }
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Log($"cannot start a replica process: {e.Message}");
                return 2;
            }
            Log($"{replicas.Count} replicas ready; writers start: {o.MasterWriters} through the master, one through each replica");

            // the writers through the master
            using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var masterWriters = Enumerable.Range(1, o.MasterWriters).Select(i => $"m{i}").Select(w => Task.Run(() => ChaosWriter.Run(w,
                n => ChaosWriter.Marker(run, w, 1, n), edn => ThroughServer(MasterClient, edn, TxTimeout),
                m => ledger.Submitting(m, w), ledger.Record, stopWriters.Token))).ToList();

            // the faults and the hostile inputs, until the time is up
            var chaosStart = clock.Elapsed;
            using var endOfChaos = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            endOfChaos.CancelAfter(TimeSpan.FromSeconds(o.Seconds));
            var serverGate = new SemaphoreSlim(1, 1); // a server kill and a hostile input never overlap
            async Task<bool> Until(double at)
            {
                var wait = chaosStart + TimeSpan.FromSeconds(at) - clock.Elapsed;
                if (wait <= TimeSpan.Zero) return !endOfChaos.IsCancellationRequested;
                try { await Task.Delay(wait, endOfChaos.Token); return true; }
                catch (OperationCanceledException) { return false; }
            }
            async Task RestartServer(string why)
            {
                var down = Stopwatch.StartNew();
                if (await server.StartAsync(StepTimeout))
                {
                    serverRestarts++;
                    Log(FormattableString.Invariant($"server restarted (pid {server.Pid}) {down.Elapsed.TotalSeconds:0.0}s after {why}"));
                }
                else Log($"the server did not restart after {why}: {string.Join(" | ", server.LastStderr(5))}");
            }

            var faults = Task.Run(async () =>
            {
                foreach (var f in plan.Faults)
                {
                    if (!await Until(f.At)) break;
                    var r = replicas[f.Replica];
                    switch (f.Fault)
                    {
                        case ChaosFault.KillServer:
                            await serverGate.WaitAsync();
                            try
                            {
                                if (!server.Up) { skipped++; Log("kill -9 server: skipped (it is down)"); break; }
                                Log($"kill -9 server (pid {server.Pid}); down for {f.Seconds:0.0}s");
                                server.Kill();
                                serverKills++;
                                await Task.Delay(TimeSpan.FromSeconds(f.Seconds));
                                await RestartServer("kill -9");
                            }
                            finally { serverGate.Release(); }
                            break;
                        case ChaosFault.KillReplica:
                            if (!r.Up) { skipped++; Log($"kill -9 {r.Name}: skipped (it is not up)"); break; }
                            var wasStopped = r.Stopped;
                            Log($"kill -9 {r.Name} (pid {r.Node!.Pid}{(wasStopped ? ", stopped" : "")}); down for {f.Seconds:0.0}s");
                            await r.KillAsync();
                            r.Kills++;
                            lock (background) background.Add(Task.Run(async () =>
                            {
                                await Task.Delay(TimeSpan.FromSeconds(f.Seconds));
                                var ready = Stopwatch.StartNew();
                                if (await r.StartAsync(endOfChaos.IsCancellationRequested ? null : setupT, StepTimeout))
                                {
                                    r.Restarts++;
                                    Log(FormattableString.Invariant($"{r.Name} restarted (pid {r.Node!.Pid}, generation {r.Generation}), ready in {ready.Elapsed.TotalSeconds:0.0}s"));
                                }
                            }));
                            break;
                        case ChaosFault.StopReplica:
                            if (!r.Up || r.Stopped) { skipped++; Log($"kill -STOP {r.Name}: skipped (it is {(r.Stopped ? "stopped" : "not up")})"); break; }
                            var node = r.Node;
                            if (!await r.SignalAsync(stop: true)) { skipped++; break; }
                            r.Stops++;
                            Log($"kill -STOP {r.Name} (pid {node!.Pid}) for {f.Seconds:0.0}s");
                            var stoppedFor = Stopwatch.StartNew();
                            lock (background) background.Add(Task.Run(async () =>
                            {
                                try { await Task.Delay(TimeSpan.FromSeconds(f.Seconds), endOfChaos.Token); }
                                catch (OperationCanceledException) { }
                                if (!ReferenceEquals(r.Node, node) || !await r.SignalAsync(stop: false)) return; // killed meanwhile
                                lock (r.StopSeconds) r.StopSeconds.Add(stoppedFor.Elapsed.TotalSeconds);
                                Log(FormattableString.Invariant($"kill -CONT {r.Name} (pid {node.Pid}) after {stoppedFor.Elapsed.TotalSeconds:0.0}s"));
                            }));
                            break;
                    }
                }
            });

            var hostile = Task.Run(async () =>
            {
                foreach (var h in plan.Hostile)
                {
                    if (!await Until(h.At)) break;
                    var input = inputs[h.Input];
                    await serverGate.WaitAsync();
                    try
                    {
                        if (!server.Up) await RestartServer("finding it down");
                        foreach (var result in await SendHostile(input))
                        {
                            lock (hostileResults) hostileResults.Add(result);
                            Log($"hostile {result.Name}: {(result.Rejected ? "rejected" : "NOT REJECTED")}, server {(result.ServerSurvived ? "up" : "DOWN")}: {result.What}");
                            if (!result.ServerSurvived)
                            {
                                server.Kill(); // down or hung: make sure it is gone, then bring it back
                                await RestartServer($"hostile input {result.Name}");
                            }
                        }
                    }
                    finally { serverGate.Release(); }
                }
            });

            async Task<List<ChaosHostileResult>> SendHostile(HostileInput input)
            {
                var results = new List<ChaosHostileResult>();
                var (exit, lines) = await ChaosHostile.Transact(server.HostPort, HostileClient,
                    input.WrongToken ? "wrong-" + tokens[HostileClient] : tokens[HostileClient], input.Stdin, TimeSpan.FromSeconds(90));
                var what = $"transact --server exit {exit}, {lines.Length} line{(lines.Length == 1 ? "" : "s")} on stderr" +
                           (lines.Length > 0 ? ": " + Clip(lines[0]) : "");
                results.Add(new ChaosHostileResult(input.Name, exit != 0 && lines.Length == 1, await ServerAnswers(), what));
                if (input.AlsoDirect && results[^1].ServerSurvived)
                {
                    // the text the command would have refused to send, sent anyway
                    string direct;
                    bool rejected;
                    try
                    {
                        var r = await ThroughServer(HostileClient, input.Text, TxTimeout);
                        rejected = r.T is null;
                        direct = r.T is { } t ? $"committed at t={t}" : $"rejected: {Clip($"{r.Category}: {r.Message}")}";
                    }
                    catch (AskTimeoutException)
                    {
                        rejected = false;
                        direct = $"no answer within {TxTimeout.TotalSeconds:0}s";
                    }
                    results.Add(new ChaosHostileResult(input.Name + " (direct TransactOnce)", rejected, await ServerAnswers(), direct));
                }
                return results;
            }

            // the server process is alive and its transactor answers (accepted or rejected, either is an answer) within 20 s
            async Task<bool> ServerAnswers()
            {
                var within = Stopwatch.StartNew();
                while (server.Up && within.Elapsed < TimeSpan.FromSeconds(20))
                {
                    try
                    {
                        var r = await ThroughServer(MasterClient, "[{:db/id \"probe\" :chaos/text \"probe\"}]", TimeSpan.FromSeconds(10));
                        if (r.T is not null || r.Category != DatsyncErrors.Unavailable) return server.Up;
                    }
                    catch (AskTimeoutException) { }
                    await Task.Delay(250);
                }
                return false;
            }

            // progress while it runs
            var progress = Task.Run(async () =>
            {
                while (!endOfChaos.IsCancellationRequested)
                {
                    try { await Task.Delay(TimeSpan.FromSeconds(5), endOfChaos.Token); }
                    catch (OperationCanceledException) { break; }
                    Log($"acknowledged {ledger.Acknowledged:N0}, rejected {ledger.Rejected:N0}, in doubt {ledger.InDoubt:N0}; server {(server.Up ? "up" : "down")}; " +
                        string.Join(" ", replicas.Select(r => $"{r.Name}={(r.Stopped ? "stopped" : r.Up ? $"t{r.Node!.BasisT}" : "down")}")));
                }
            });

            try { await Task.Delay(TimeSpan.FromSeconds(o.Seconds), cancel); }
            catch (OperationCanceledException) { }
            Log("time is up: the faults end, the writers stop");
            await Task.WhenAll(faults, hostile, progress);

            // bring every process back
            await stopWriters.CancelAsync();
            await Task.WhenAll(masterWriters);
            Task[] pending;
            lock (background) pending = background.ToArray();
            await Task.WhenAll(pending); // CONT what is stopped, restart the replicas killed last
            if (!server.Up) await RestartServer("the end of the faults");
            foreach (var r in replicas)
            {
                if (r.Stopped && await r.SignalAsync(stop: false)) Log($"kill -CONT {r.Name}");
                if (!r.Up)
                {
                    Log($"{r.Name} is down: starting it again");
                    if (await r.StartAsync(null, StepTimeout)) r.Restarts++;
                }
            }
            await Task.WhenAll(replicas.Where(r => r.Up).Select(r => r.Node!.StopWriter().ContinueWith(_ => { }, TaskScheduler.Default)));
            Log($"writers stopped: acknowledged {ledger.Acknowledged:N0}, rejected {ledger.Rejected:N0}, in doubt {ledger.InDoubt:N0}");

            // the replicas' transactions still on their way, then a last transaction: the master's t to compare at
            var settle = Stopwatch.StartNew();
            while (settle.Elapsed < StepTimeout && replicas.Any(r => r.Up && r.Node!.Pending != 0))
                await Task.Delay(200, CancellationToken.None);
            if (replicas.Where(r => r.Up && r.Node!.Pending != 0).ToList() is { Count: > 0 } unsettled)
                Log("still pending after 60s: " + string.Join(", ", unsettled.Select(r => $"{r.Name} ({r.Node!.Pending})")));
            if (await CommitUntil("[{:db/id \"fence\" :chaos/text \"the end\"}]", StepTimeout) is not { } finalT)
            {
                Log("the final transaction was not committed: the master does not answer");
                keep = true;
                return 2;
            }
            Log($"master at t={finalT}; the replicas catch up");
            var digests = await Task.WhenAll(replicas.Select(async r =>
            {
                if (!r.Up) return new ChaosReplicaDigest(r.Name, null, "its process is not running");
                var (digest, problem) = await r.Node!.DigestAt(finalT, StepTimeout);
                return new ChaosReplicaDigest(r.Name, digest, problem);
            }));

            // the master's own value, read from its file once it stopped
            if (!await server.StopAsync(TimeSpan.FromSeconds(30))) Log("the server did not stop within 30s of SIGTERM: killed");
            var (local, masterDb) = await LocalMaster.Open(dir, false);
            await local.DisposeAsync();
            var masterDigest = DbDigest.Of(masterDb);
            var markers = ChaosVerdict.MarkersIn(masterDb, run + "-");
            var outcomes = ledger.Outcomes();
            List<ChaosHostileResult> hostileDone;
            lock (hostileResults) hostileDone = hostileResults.ToList();
            // what happened
            var unexpected = server.UnexpectedExits.Concat(replicas.SelectMany(r => r.UnexpectedExits)).ToList();
            var violations = ChaosVerdict.Violations(outcomes, markers, masterDigest, digests, hostileDone, unexpected);
            output.WriteLine();
            output.WriteLine($"faults: server killed {serverKills}, restarted {serverRestarts}; replicas killed {replicas.Sum(r => r.Kills)}, " +
                             $"restarted {replicas.Sum(r => r.Restarts)}; replicas stopped {replicas.Sum(r => r.Stops)} (" +
                             string.Join(", ", replicas.SelectMany(r => r.StopSeconds.Select(s => FormattableString.Invariant($"{r.Name} {s:0.0}s")))) +
                             $"); skipped {skipped}; processes that exited on their own {unexpected.Count}");
            foreach (var u in unexpected) output.WriteLine("  " + u);
            output.WriteLine($"hostile inputs: {hostileDone.Count}");
            foreach (var h in hostileDone)
                output.WriteLine($"  {h.Name,-36} {(h.Rejected ? "rejected" : "NOT REJECTED"),-12} server {(h.ServerSurvived ? "up" : "DOWN"),-4}  {h.What}");
            var byKind = outcomes.GroupBy(x => x.Kind).ToDictionary(g => g.Key, g => g.Count());
            int Count(ChaosOutcomeKind k) => byKind.GetValueOrDefault(k);
            var rejectedBy = outcomes.Where(x => x.Kind == ChaosOutcomeKind.Rejected).GroupBy(x => x.Category ?? "?")
                .Select(g => $"{g.Key} {g.Count():N0}");
            var doubts = outcomes.Where(x => x.Kind == ChaosOutcomeKind.InDoubt).ToList();
            var doubtsIn = doubts.Count(x => markers.ContainsKey(x.Marker));
            output.WriteLine($"transactions: {Count(ChaosOutcomeKind.Acknowledged):N0} acknowledged, {Count(ChaosOutcomeKind.Rejected):N0} rejected " +
                             $"({string.Join(", ", rejectedBy)}), {doubts.Count:N0} in doubt ({doubtsIn:N0} of them committed)");
            foreach (var w in outcomes.GroupBy(x => x.Writer).OrderBy(g => g.Key, StringComparer.Ordinal))
                output.WriteLine($"  {w.Key,-4} {w.Count(x => x.Kind == ChaosOutcomeKind.Acknowledged),8:N0} acknowledged {w.Count(x => x.Kind == ChaosOutcomeKind.Rejected),6:N0} rejected {w.Count(x => x.Kind == ChaosOutcomeKind.InDoubt),5:N0} in doubt");
            output.WriteLine($"master: t={masterDigest.T}, {masterDigest.Datoms:N0} datoms, sha256 {masterDigest.Sha256[..16]}; {markers.Count:N0} markers of this run");
            foreach (var d in digests)
                output.WriteLine(d.Digest is { } rd
                    ? $"  {d.Name,-4} t={rd.T} {rd.Datoms:N0} datoms sha256 {rd.Sha256[..16]} {(rd == masterDigest ? "equal" : "DIFFERENT")}"
                    : $"  {d.Name,-4} no digest: {d.Problem}");
            if (violations.Count == 0)
            {
                output.WriteLine($"verdict: OK — {Count(ChaosOutcomeKind.Acknowledged):N0} acknowledged transactions each in the master once, none twice, " +
                                 $"{replicas.Count} replica{(replicas.Count == 1 ? "" : "s")} equal{(replicas.Count == 1 ? "s" : "")} the master at t={masterDigest.T} ({masterDigest.Datoms:N0} datoms)");
                output.Flush();
                return 0;
            }
            keep = true;
            // a replica that differs: the datoms it lacks or has beyond the master's
            var masterLines = DbDigest.Lines(masterDb).ToList();
            foreach (var d in digests.Where(d => d.Digest is { } rd && rd != masterDigest))
            {
                var r = replicas.First(x => x.Name == d.Name);
                var file = Path.Combine(dir, d.Name + ".datoms");
                var dumped = dumps.GetOrAdd(r.Name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
                r.Node!.Send("dump " + file);
                try { await dumped.Task.WaitAsync(StepTimeout); }
                catch (TimeoutException) { output.WriteLine($"  {d.Name}: no dump of its datoms"); continue; }
                await File.WriteAllLinesAsync(Path.Combine(dir, "master.datoms"), masterLines);
                foreach (var line in ChaosVerdict.Differences(masterLines, await File.ReadAllLinesAsync(file), 10))
                    output.WriteLine($"  {d.Name}: {Named(masterDb, line)}");
            }
            output.WriteLine($"verdict: FAILED — {violations.Count} violation{(violations.Count == 1 ? "" : "s")} (seed {seed}; data kept in {dir}):");
            foreach (var v in violations) output.WriteLine("violation: " + v);
            output.Flush();
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Log("interrupted");
            return 130;
        }
        finally
        {
            await Task.WhenAll(replicas.Select(async r =>
            {
                if (r.Stopped) await r.SignalAsync(stop: false);
                await r.DisposeAsync();
            }));
            if (client is not null) await CliSupport.Shutdown(client);
            await server.DisposeAsync();
            if (!keep)
            {
                try { Directory.Delete(dir, true); }
                catch (IOException) { }
            }
            else if (temporary) Log($"data kept in {dir}");
        }
    }

    /// <summary>A difference line with the attribute's ident after its id.</summary>
    private static string Named(Db db, string line)
    {
        // "only in the master: E A V"
        var w = line.Split(' ', 7);
        return w.Length == 7 && long.TryParse(w[5], out var a) && db.Ident(a) is { } ident
            ? $"{string.Join(' ', w[..5])} {ident} {w[6]}"
            : line;
    }

    private static string Clip(string s) => s.Length <= 200 ? s : s[..200] + "…";

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("datsync chaos: " + message);
        return 2;
    }
}
