using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// The delivery part of <c>scopes</c>, through the real actors: one master (in-memory journal) with the scope policy of
/// <see cref="ScopesBench"/> (a user sees itself and the documents it owns), N users of 2 documents each and N in-process
/// scoped replicas, client id = user id; a stream of transactions, each retitling one document of each of max(1, N/100)
/// random clients. Per delivery (a concerned replica applying its transaction): commit → applied (the replica's Listen
/// callback at that t, minus the stamp of the transactor's TxAccepted), delivered deltas per second, and process CPU per
/// delivery up to the convergence of every replica (SyncAsync to the last t). Beside it, unscoped fan-out of the same
/// deliveries: the same master data and transactions without scopes, R = N/100 replicas each taking every transaction,
/// with <c>datsync.session.share-master-values</c> on (the in-process replica adopts the master's value) and off (it
/// applies the datoms to its own value, as a scoped replica does).
/// </summary>
internal static class ScopesDeliveryBench
{
    internal sealed record Options(int[] Clients, int Txs, int Window);

    private sealed record Row(string Kind, int Users, int Replicas, int Txs, double ConcernedPerTx, long Deliveries, double DeliveredPerSec,
        double P50Ms, double P99Ms, double CpuUsPerDelivery, double StreamSec, double ConvergedSec, double StartSec);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A stream that makes no progress for this long fails the benchmark.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(120);

    private const int Seed = 42;

    public static void Run(Options o, TextWriter output, TextWriter progress)
    {
        var log = new Log(progress);
        var scoped = new List<Row>();
        var shared = new List<Row>();
        var own = new List<Row>();
        foreach (var n in o.Clients)
        {
            var r = Math.Max(1, n / 100);
            scoped.Add(RunOne("scoped", n, n, scopes: true, share: true, o, log));
            GC.Collect();
            shared.Add(RunOne("unscoped", n, r, scopes: false, share: true, o, log));
            GC.Collect();
            own.Add(RunOne("unscoped, share-master-values off", n, r, scopes: false, share: false, o, log));
            GC.Collect();
        }

        output.WriteLine();
        output.WriteLine($"> delivery through the actors: {Environment.ProcessorCount} cores; .NET {Environment.Version}; one master (in-memory journal) " +
                         "with N users of 2 documents each; transactions submitted by one thread, at most " +
                         $"{o.Window} committed and not yet applied by every replica they concern; {o.Txs} measured after a warmup of {Warmup(o.Txs)} " +
                         $"(unscoped runs: at least {MinUnscopedDeliveries:N0} deliveries, so that their short streams' CPU time can be read). " +
                         "Each transaction retitles one document of each of max(1, N/100) random clients (seed 42; the same stream in every run).");
        output.WriteLine("> scoped: N in-process scoped replicas (client id = user id; rule: a user sees itself and the documents it owns), a delivery " +
                         "is a concerned replica applying its transaction. unscoped: the same master and stream without scopes, R = N/100 " +
                         "replicas each taking every transaction (R deliveries per transaction).");
        output.WriteLine("> latency: commit (the transactor sends TxAccepted, before it hands the commit to the log listener; sent to the transactor actor, not through its supervisor's relay) -> applied (the replica's Listen callback at that t), over every delivery. " +
                         "delivered/s: deliveries / (first submit -> last delivery). CPU: this process's CPU time from the first submit to every replica " +
                         "synced (SyncAsync) to the last t, / deliveries (the whole pipeline: transactor, listener, every session, every replica).");
        output.WriteLine();
        Table(output, "scoped", scoped);
        Table(output, "unscoped, same deliveries (share-master-values on: in-process replicas adopt the master's value)", shared);
        Table(output, "unscoped, same deliveries, datsync.session.share-master-values = off (replicas apply the datoms)", own);
        output.WriteLine("> target: scoped CPU per delivery <= 1.5x unscoped for the same deliveries.");
        for (var i = 0; i < scoped.Count; i++)
        {
            var s = scoped[i];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $">   {s.Users:N0} clients: scoped / unscoped CPU per delivery = {s.CpuUsPerDelivery / shared[i].CpuUsPerDelivery:F1}x " +
                $"({(s.CpuUsPerDelivery / shared[i].CpuUsPerDelivery <= 1.5 ? "met" : "missed")}); vs share-master-values off " +
                $"{s.CpuUsPerDelivery / own[i].CpuUsPerDelivery:F1}x ({(s.CpuUsPerDelivery / own[i].CpuUsPerDelivery <= 1.5 ? "met" : "missed")})"));
        }
    }

    internal static int Warmup(int txs) => Math.Min(20, Math.Max(2, txs / 5));

    private static void Table(TextWriter output, string title, List<Row> rows)
    {
        output.WriteLine($"**{title}**");
        output.WriteLine();
        output.WriteLine("| clients | replicas | tx | concerned/tx | deliveries | delivered/s | p50 ms | p99 ms | CPU µs/delivery | stream s | converged s | replicas started s |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Users:N0} | {r.Replicas:N0} | {r.Txs:N0} | {r.ConcernedPerTx:F1} | {r.Deliveries:N0} | {r.DeliveredPerSec:N0} | {r.P50Ms:F2} | {r.P99Ms:F2} | " +
                $"{r.CpuUsPerDelivery:F1} | {r.StreamSec:F2} | {r.ConvergedSec:F2} | {r.StartSec:F1} |"));
        output.WriteLine();
    }

    private static IReadOnlyList<object?> Forms(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    /// <summary>The stream: per transaction its forms and the users it retitles a document of (distinct).</summary>
    private static (IReadOnlyList<object?> Forms, int[] Users)[] Plan(int users, int count, string salt)
    {
        var rng = new Random(Seed);
        var perTx = Math.Max(1, users / 100);
        var plan = new (IReadOnlyList<object?>, int[])[count];
        for (var k = 0; k < count; k++)
        {
            var chosen = Enumerable.Range(0, perTx).Select(_ => rng.Next(users)).Distinct().ToArray();
            var tx = new StringBuilder("[");
            foreach (var i in chosen)
                tx.Append(CultureInfo.InvariantCulture, $"[:db/add [:doc/key \"d{i}-{rng.Next(2)}\"] :doc/title \"{salt}{k}\"]");
            plan[k] = (Forms(tx.Append(']').ToString()), chosen);
        }
        return plan;
    }

    private static async Task<TxAccepted> Commit(IActorRef transactor, string id, IReadOnlyList<object?> tx)
    {
        var reply = await transactor.Ask(new Transact(id, tx), AskTimeout);
        return reply as TxAccepted ?? throw new InvalidOperationException($"benchmark transaction refused: {(reply as TxRejected)?.Describe() ?? reply.ToString()}");
    }

    /// <summary>Deliveries measured in an unscoped run: at least this many (more transactions than a scoped run's when
    /// its replicas are few), so that its stream (a few µs per delivery) lasts long enough for the process CPU time to
    /// be read (its resolution is a scheduler tick).</summary>
    internal const int MinUnscopedDeliveries = 10_000;

    private static Row RunOne(string kind, int users, int replicaCount, bool scopes, bool share, Options o, Log log)
    {
        var txs = scopes ? o.Txs : Math.Max(o.Txs, (MinUnscopedDeliveries + replicaCount - 1) / replicaCount);
        var what = $"{kind} {users}";
        var hocon = new StringBuilder($"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            datsync.master.snapshot-every = 0
            datsync.server.max-sessions = {replicaCount + 16}
            datsync.session.share-master-values = {(share ? "on" : "off")}
            datsync.listener.recent-in-memory = {txs + Warmup(txs) + 64}

            """);
        if (scopes) new DatsyncScopesOptions { Rules = ScopesBench.Rules }.AppendHocon(hocon);
        var ms = MasterRuntime.StartSystem($"scopes-deliver-{(scopes ? "s" : share ? "u" : "o")}-{users}", new InMemoryStorage(), hocon.ToString());
        var replicas = new DatsyncReplica[replicaCount];
        try
        {
            var sw = Stopwatch.StartNew();
            Commit(ms.Master.Transactor, "schema", Forms(ScopesBench.SchemaEdn)).GetAwaiter().GetResult();
            const int batch = 500;
            var pending = new List<Task<TxAccepted>>();
            for (var from = 0; from < users; from += batch)
            {
                var tx = new StringBuilder("[");
                for (var i = from; i < Math.Min(users, from + batch); i++)
                {
                    tx.Append(CultureInfo.InvariantCulture, $"{{:db/id \"u{i}\" :user/id \"u{i}\"}}");
                    for (var j = 0; j < 2; j++)
                        tx.Append(CultureInfo.InvariantCulture, $"{{:doc/key \"d{i}-{j}\" :doc/title \"t\" :doc/owner \"u{i}\"}}");
                }
                pending.Add(Commit(ms.Master.Transactor, "data" + from, Forms(tx.Append(']').ToString())));
            }
            Task.WaitAll(pending);
            var db = ((CurrentDb)ms.Master.Transactor.Ask(GetDb.Instance, AskTimeout).GetAwaiter().GetResult()).Db;
            log.Say(what, $"master holds {db.Count:N0} datoms at t={db.BasisT} ({sw.Elapsed.TotalSeconds:F1}s); starting {replicaCount:N0} replicas");

            // the replicas: scoped ones as the users (client id = user id), unscoped ones under any id
            sw.Restart();
            var sinks = new Sink?[1];
            var settings = ReplicaSettings.From(ms.Config);
            for (var r = 0; r < replicaCount; r++)
            {
                replicas[r] = DatsyncReplica.Start(ms.System, ms.Server, scopes ? "u" + r : "r" + r, settings);
                var index = r;
                replicas[r].Listen(report =>
                {
                    if (!report.Pending) Volatile.Read(ref sinks[0])?.Applied(index, report.T);
                });
                if (r % 1000 == 999) log.Say(what, $"{r + 1:N0} replicas started ({sw.Elapsed.TotalSeconds:F1}s)");
            }
            AwaitReady(replicas, what, log);
            var startSec = sw.Elapsed.TotalSeconds;
            log.Say(what, $"{replicaCount:N0} replicas ready in {startSec:F1}s");
            if (scopes)
            {
                var one = replicas[0].SyncedDb;
                if (one.Count >= db.Count) throw new InvalidOperationException($"replica u0 holds {one.Count} datoms, the whole master {db.Count}: not scoped");
                log.Say(what, $"replica u0 holds {one.Count} datoms (scoped) of the master's {db.Count:N0}");
            }

            var warm = Stream(ms, replicas, users, scopes, Warmup(txs), o.Window, sinks, "w", what, log);
            log.Say(what, $"warmup: p50 {warm.P50Ms:F2} ms, {warm.CpuUs:F1} µs CPU per delivery; now {txs} transactions");
            GC.Collect();
            var s = Stream(ms, replicas, users, scopes, txs, o.Window, sinks, "m", what, log);
            log.Say(what, $"{s.Deliveries:N0} deliveries, {s.Deliveries / s.StreamSec:N0}/s, p50 {s.P50Ms:F2} ms, p99 {s.P99Ms:F2} ms, " +
                          $"{s.CpuUs:F1} µs CPU per delivery; stream {s.StreamSec:F2}s, converged {s.ConvergedSec:F2}s");
            return new Row(kind, users, replicaCount, txs, (double)s.Deliveries / txs, s.Deliveries, s.Deliveries / s.StreamSec, s.P50Ms, s.P99Ms,
                s.CpuUs, s.StreamSec, s.ConvergedSec, startSec);
        }
        finally
        {
            // the replicas first: a session stopped under its replica has the replica warn that it connects again
            Task.WhenAll(replicas.Where(r => r is not null).Select(r => r.Actor.GracefulStop(TimeSpan.FromMinutes(1)))).Wait(TimeSpan.FromMinutes(2));
            ms.System.Terminate().Wait(TimeSpan.FromMinutes(2));
        }
    }

    /// <summary>Every replica ready (bootstrapped and connected); fails loudly on a refusal, or after
    /// <see cref="StallTimeout"/> without one more replica ready.</summary>
    private static void AwaitReady(DatsyncReplica[] replicas, string what, Log log)
    {
        var all = Task.WhenAll(replicas.Select(r => r.Ready));
        var last = -1;
        var since = Stopwatch.StartNew();
        while (!all.Wait(TimeSpan.FromSeconds(2)))
        {
            if (replicas.FirstOrDefault(r => r.Refusal is not null) is { } refused)
                throw new InvalidOperationException($"replica {refused.ClientId} was refused: {refused.Refusal!.Message}");
            var ready = replicas.Count(r => r.Ready.IsCompletedSuccessfully);
            if (ready != last) { last = ready; since.Restart(); log.Say(what, $"{ready:N0} of {replicas.Length:N0} replicas ready"); }
            else if (since.Elapsed > StallTimeout) throw new TimeoutException($"{what}: {ready} of {replicas.Length} replicas ready, none more for {StallTimeout.TotalSeconds:F0}s");
        }
    }

    private sealed record StreamResult(long Deliveries, double P50Ms, double P99Ms, double CpuUs, double StreamSec, double ConvergedSec);

    /// <summary>Where the replicas' Listen callbacks and the transactor's replies record one stream.</summary>
    private sealed class Sink
    {
        private readonly long _firstT;
        private readonly int _count;
        private readonly HashSet<int>?[] _concerned; // per transaction, the replicas it concerns (null: all)
        private readonly int[] _remaining; // per transaction, deliveries not yet applied
        private readonly SemaphoreSlim _window;
        public readonly long[] CommittedAt;
        public readonly long[][] AppliedAt; // per replica, per transaction (0: not a delivery, or not yet)
        public readonly CountdownEvent Delivered;
        public int Rejected;
        public int Misordered;

        public Sink(long firstT, int replicas, HashSet<int>?[] concerned, SemaphoreSlim window)
        {
            _firstT = firstT;
            _count = concerned.Length;
            _concerned = concerned;
            _window = window;
            CommittedAt = new long[_count];
            AppliedAt = Enumerable.Range(0, replicas).Select(_ => new long[_count]).ToArray();
            _remaining = concerned.Select(c => c?.Count ?? replicas).ToArray();
            Delivered = new CountdownEvent(_remaining.Sum());
        }

        /// <summary>On replica <paramref name="r"/>'s thread, in its Listen callback.</summary>
        public void Applied(int r, long t)
        {
            var k = t - _firstT;
            if (k < 0 || k >= _count) return;
            if (_concerned[k] is { } c && !c.Contains(r)) return;
            if (AppliedAt[r][k] != 0) return;
            AppliedAt[r][k] = Stopwatch.GetTimestamp();
            if (Interlocked.Decrement(ref _remaining[k]) == 0) _window.Release();
            Delivered.Signal();
        }

        /// <summary>On the transactor's thread, as it sends TxAccepted.</summary>
        public void Committed(TxAccepted a)
        {
            var k = a.T - _firstT;
            if (k < 0 || k >= _count) return;
            CommittedAt[k] = Stopwatch.GetTimestamp();
            if (a.RequestId != null && !a.RequestId.EndsWith("-" + k.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
                Interlocked.Increment(ref Misordered);
        }
    }

    private static StreamResult Stream(MasterSystem ms, DatsyncReplica[] replicas, int users, bool scopes, int count, int windowSize,
        Sink?[] sinks, string prefix, string what, Log log)
    {
        var plan = Plan(users, count, prefix);
        var head = ((CurrentDb)ms.Master.Transactor.Ask(GetDb.Instance, AskTimeout).GetAwaiter().GetResult()).Db.BasisT;
        var window = new SemaphoreSlim(windowSize);
        var concerned = plan.Select(p => scopes ? p.Users.ToHashSet() : null).ToArray();
        var sink = new Sink(head + 1, replicas.Length, concerned, window);
        Volatile.Write(ref sinks[0], sink);
        var stamper = new Fanout.FanoutBench.StampingRef(ms.System, sink.Committed, () => Interlocked.Increment(ref sink.Rejected), "scopes-stamper");
        // the transactor itself, not its supervisor: the supervisor relays each answer (after the transactor has handed the
        // commit to the log listener, so a stamp there may come after the replicas applied it); the transactor answers the
        // stamper synchronously, before it tells the listener
        var transactor = ms.System.ActorSelection(ms.Master.Transactor.Path / "transactor").ResolveOne(AskTimeout).GetAwaiter().GetResult();

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < count; k++)
        {
            if (!window.Wait(StallTimeout))
                throw new TimeoutException($"{what}: transaction {k - windowSize} of the stream not applied by every replica it concerns after " +
                                           $"{StallTimeout.TotalSeconds:F0}s ({sink.Delivered.CurrentCount} deliveries outstanding)");
            transactor.Tell(new Transact($"{prefix}-{k}", plan[k].Forms), stamper);
        }
        var remaining = -1;
        while (!sink.Delivered.Wait(StallTimeout))
        {
            if (sink.Delivered.CurrentCount == remaining)
                throw new TimeoutException($"{what}: {remaining} deliveries still outstanding, none for {StallTimeout.TotalSeconds:F0}s");
            remaining = sink.Delivered.CurrentCount;
        }
        var delivered = Stopwatch.GetTimestamp();
        var lastT = head + count;
        var sync = Task.WhenAll(replicas.Select(r => r.SyncAsync(lastT)));
        if (!sync.Wait(StallTimeout + StallTimeout))
            throw new TimeoutException($"{what}: {replicas.Count(r => r.Status.BasisT < lastT)} of {replicas.Length} replicas not synced to t={lastT} " +
                                       $"after {2 * StallTimeout.TotalSeconds:F0}s (basis t min {replicas.Min(r => r.Status.BasisT)})");
        var converged = Stopwatch.GetTimestamp();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Volatile.Write(ref sinks[0], null);
        if (sink.Rejected > 0) throw new InvalidOperationException($"{what}: {sink.Rejected} benchmark transactions were rejected");
        if (sink.Misordered > 0) throw new InvalidOperationException($"{what}: {sink.Misordered} transactions committed out of the submitted order");

        var latencies = new List<long>();
        for (var r = 0; r < replicas.Length; r++)
            for (var k = 0; k < count; k++)
                if (sink.AppliedAt[r][k] != 0)
                    latencies.Add(Math.Max(0, sink.AppliedAt[r][k] - sink.CommittedAt[k]));
        latencies.Sort();
        double Pct(double p) => latencies.Count == 0 ? double.NaN
            : latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)] * 1000.0 / Stopwatch.Frequency;
        return new StreamResult(latencies.Count, Pct(0.50), Pct(0.99), cpu.TotalMicroseconds / latencies.Count,
            Stopwatch.GetElapsedTime(start, delivered).TotalSeconds, Stopwatch.GetElapsedTime(start, converged).TotalSeconds);
    }


    private sealed class Log(TextWriter w)
    {
        public void Say(string what, string message)
        {
            lock (this) w.WriteLine($"[{DateTime.Now:HH:mm:ss}] [scopes deliver {what}] {message}");
        }
    }
}
