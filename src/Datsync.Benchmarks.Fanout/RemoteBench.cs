using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Datsync.Core;
using static Datsync.Benchmarks.Fanout.FanoutBench;

namespace Datsync.Benchmarks.Fanout;

/// <summary>
/// <c>remote</c>: one master behind Akka.Remote on 127.0.0.1 (in-memory journal) and N replicas, each in its own
/// client ActorSystem with its own remote port (all in this process, so every delta is serialized, goes through a
/// loopback TCP socket and is deserialized). Per N: a live stream of small transactions (applied tx/s and datoms/s per
/// replica, commit-to-applied latency), the same kind of stream taken from the log, and in the same run the ceiling: a
/// plain request/response ping-pong between actors of the same systems. Then the bootstrap of a 1M-datom master over
/// the wire into a replica in another ActorSystem.
/// </summary>
public static class RemoteBench
{
    public const string Usage =
        "usage: remote [--replicas 1,10] [--tx N] [--window N] [--submitters N] [--pings N] [--ping-window N]\n" +
        "              [--bootstrap-datoms N] [--config HOCON] [--tls] [--quick]\n" +
        "  --replicas          replica counts to run, one client ActorSystem per replica (default 1,10)\n" +
        "  --tx                transactions per stream (default 20000; --quick 5000)\n" +
        "  --window            at most this many transactions submitted and not yet applied by every replica (default 128)\n" +
        "  --submitters        threads submitting transactions (default 4)\n" +
        "  --pings             round trips per client in the ping-pong ceiling (default 20000; --quick 5000)\n" +
        "  --ping-window       requests in flight per client in the windowed ping-pong (default 128; 1 outstanding always runs too)\n" +
        "  --bootstrap-datoms  size of the master a replica bootstraps from over the wire (default 1000000; 0 skips)\n" +
        "  --config            HOCON applied to every actor system of the run (server and clients), e.g. tuning\n" +
        "                      \"datsync.session.bootstrap-window = 16\"\n" +
        "  --tls               run everything twice in the same run, without and with TLS (mutual: client certificates\n" +
        "                      required, certificates made by DevCertificates in a temp directory), side by side, and\n" +
        "                      measure the cost of a TLS connection setup";

    private sealed record Options(int[] Replicas, int Tx, int Window, int Submitters, int Pings, int PingWindow, int BootstrapDatoms, string Config,
        bool Tls = false);

    /// <summary>TLS of a run: the server's options (mutual) and a client's.</summary>
    private sealed record BenchTls(TlsOptions Server, TlsOptions Client, string Dir);

    private static BenchTls MakeTls()
    {
        var dir = Directory.CreateTempSubdirectory("datsync-bench-tls-").FullName;
        var files = DevCertificates.Write(dir);
        return new BenchTls(
            new TlsOptions { CertificatePath = files.ServerPfx, PasswordFile = files.PasswordFile, ClientCaPath = files.CaCertificate },
            new TlsOptions { CertificatePath = files.ClientPfx, PasswordFile = files.PasswordFile, CaPath = files.CaCertificate }, dir);
    }

    private const string Base = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.loggers = ["Datsync.Benchmarks.Fanout.RemoteBench+BenchLogger, Datsync.Benchmarks.Fanout"]
        akka.remote.log-remote-lifecycle-events = off
        datsync.master.snapshot-every = 0
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter progress) =>
        Progress.Run(args, output, progress, Usage, Parse, Measure);

    private static int Measure(Options o, TextWriter output, Progress log)
    {
        var rows = new List<Row>();
        var logRows = new List<LogRow>();
        var plainPairs = new List<(Row A, Row B)>();
        var tlsPairs = new List<(Row A, Row B)>();
        var plainLogPairs = new List<(LogRow A, LogRow B)>();
        var tlsLogPairs = new List<(LogRow A, LogRow B)>();
        var tls = o.Tls ? MakeTls() : null;
        try
        {
            foreach (var n in o.Replicas)
            {
                if (tls is null)
                {
                    rows.Add(RunLive(n, o, log));
                    logRows.Add(RunFromLog(n, o, log));
                    continue;
                }
                // plain, TLS, TLS, plain (so neither gains from running first or second); both runs of each reported
                var live = new[] { RunLive(n, o, log), RunLive(n, o, log, tls), RunLive(n, o, log, tls), RunLive(n, o, log) };
                rows.Add(live[0]);
                plainPairs.Add((live[0], live[3]));
                tlsPairs.Add((live[1], live[2]));
                var fromLog = new[] { RunFromLog(n, o, log), RunFromLog(n, o, log, tls), RunFromLog(n, o, log, tls), RunFromLog(n, o, log) };
                logRows.Add(fromLog[0]);
                plainLogPairs.Add((fromLog[0], fromLog[3]));
                tlsLogPairs.Add((fromLog[1], fromLog[2]));
            }
        }
        catch { if (tls is not null) Directory.Delete(tls.Dir, true); throw; }
        var wire = WireCost(o, log);
        var boot = o.BootstrapDatoms > 0 ? Bootstrap(o, log) : null;
        var tlsBoot = o.BootstrapDatoms > 0 && tls is not null ? Bootstrap(o, log, tls) : null;
        if (tlsBoot is not null) // plain, TLS, TLS, plain: the mean of each
        {
            var tlsBoot2 = Bootstrap(o, log, tls);
            var boot2 = Bootstrap(o, log);
            tlsBoot = tlsBoot with { ColdMs = (tlsBoot.ColdMs + tlsBoot2.ColdMs) / 2, WarmMs = (tlsBoot.WarmMs + tlsBoot2.WarmMs) / 2 };
            boot = boot! with { ColdMs = (boot.ColdMs + boot2.ColdMs) / 2, WarmMs = (boot.WarmMs + boot2.WarmMs) / 2 };
        }
        (Handshake Plain, Handshake Tls)? handshakes = tls is null ? null : (Handshakes(o, log, null), Handshakes(o, log, tls));
        if (tls is not null) Directory.Delete(tls.Dir, true);

        output.WriteLine();
        output.WriteLine($"> machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}; " +
                         $"{RuntimeInformation.FrameworkDescription}; server GC {System.Runtime.GCSettings.IsServerGC}");
        output.WriteLine("> one master (in-memory journal) on Akka.Remote at 127.0.0.1, N replicas each in its own client ActorSystem with its own " +
                         "remote port, all in this process: every message crosses a loopback TCP connection (DotNetty), serialized with the " +
                         "wire serializer (Hyperion). Deltas travel batched: the log listener sends a session the consecutive deltas ready " +
                         "together (one journal write) as one TxDeltaBatch, and the session forwards it as one remote message.");
        output.WriteLine($"> live stream: {o.Submitters} submitter threads, transactions of 2 datoms (+ :db/txInstant); at most {o.Window} " +
                         "submitted but not applied by every replica. applied tx/s per replica = (tx - 1) / (first applied -> last applied), " +
                         "median / min over the replicas; datoms/s = tx/s x datoms per delta; latency commit (transactor sends TxAccepted) " +
                         "-> applied (replica's Listen callback), percentiles over every (replica, tx). CPU: this process (server, clients, " +
                         "submitters) per (tx, replica).");
        output.WriteLine($"> ping-pong (the ceiling, same run, same actor systems, replicas stopped): per client system a plain actor sends one " +
                         $"delta of the stream (a TxDelta, same serializer) to an echo actor of its own on the server system, which tells it back; " +
                         $"round trips/s per client = replies / (first send -> last reply), median over the N clients running at once. " +
                         $"Once with 1 request outstanding, once with {o.PingWindow} in flight. A round trip is one message each way; a delivered " +
                         "delta is one way, but takes its acknowledgement (every 64 deltas) and the master's TxAccepted on the same host.");
        output.WriteLine($"> ratio = delivered deltas/s per replica (median) / ping-pong round trips/s per client with {o.PingWindow} in flight (median). " +
                         "deltas per message, bytes per delta: the delta messages (TxDeltaBatch, TxDelta, TxRangeResult) the client systems read " +
                         "over the measured stream, counted by their serializer (the wire serializer behind a counter).");
        output.WriteLine();
        output.WriteLine("| replicas | tx | applied tx/s per replica (median / min) | datoms/s per replica | p50 ms | p99 ms | max ms | master tx/s | deltas per message | bytes per delta | ping-pong/s, 1 outstanding | ping-pong/s, window | ratio | CPU us per (tx, replica) | cores busy |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            output.WriteLine($"| {r.N} | {r.Tx:N0}{(r.S.Complete ? "" : " (incomplete)")} | {r.S.MedianRate:N0} / {r.S.MinRate:N0} | {r.S.MedianRate * r.DatomsPerDelta:N0} | " +
                             $"{r.S.P50Ms:F2} | {r.S.P99Ms:F2} | {r.S.MaxMs:F1} | {r.S.MasterRate:N0} | {r.DeltasPerMessage:F1} | {r.BytesPerDelta:N0} | {r.Ping1:N0} | {r.PingW:N0} | {r.S.MedianRate / r.PingW:F2} | " +
                             $"{r.S.CpuUsPerApply:F1} | {r.S.CoresUsed:F2} |");
        output.WriteLine();
        output.WriteLine("> from the log: the stream committed first (no replica connected), then N replicas, each in its own client system (its " +
                         "association with the server made beforehand), start from the value before it (resumeFrom) and take it over the wire " +
                         "from the log listener's memory. applied tx/s per replica = tx / (replicas started -> last transaction applied), " +
                         "which includes the handshake (started -> first applied, median / max, in its own column: Connect, session, " +
                         "first batch of up to 256 deltas); each client system's wire serializer was warmed first (Hyperion compiles a " +
                         "serializer per type on first use, per actor system; the time it took per system is in its own column); streaming tx/s = " +
                         "(tx - 1) / (first applied -> last applied). Ratio: streaming tx/s against the windowed ping-pong of the live run with the same N.");
        output.WriteLine();
        output.WriteLine("| replicas | tx | serializer warmup ms per client system | from the log: applied tx/s per replica (median / min) | started -> first applied ms (median / max) | streaming tx/s per replica (median / min) | streaming datoms/s per replica | deltas per message | bytes per delta | ping-pong/s, window | ratio |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (r, live) in logRows.Zip(rows))
            output.WriteLine($"| {r.N} | {r.Tx:N0} | {r.WarmWireMs:N0} | {r.MedianRate:N0} / {r.MinRate:N0} | {r.HandshakeMs:N0} / {r.HandshakeMaxMs:N0} | {r.StreamRate:N0} / {r.StreamMinRate:N0} | " +
                             $"{r.StreamRate * r.DatomsPerDelta:N0} | {r.DeltasPerMessage:F1} | {r.BytesPerDelta:N0} | {live.PingW:N0} | {r.StreamRate / live.PingW:F2} |");
        output.WriteLine();
        output.WriteLine("> wire cost (one thread, the server system's serializer, no socket): 4,096 deltas of the stream as TxDeltaBatch messages " +
                         "of k deltas, serialized and deserialized, the best of 5 passes; bytes and microseconds per delta.");
        output.WriteLine();
        output.WriteLine("| deltas per message | bytes per message | bytes per delta | serialize us per delta | deserialize us per delta |");
        output.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var w in wire)
            output.WriteLine($"| {w.K}{(w.K == 0 ? " (a bare TxDelta, the ping-pong payload)" : "")} | {w.Bytes:N0} | {w.Bytes / (double)Math.Max(1, w.K):N0} | {w.SerUs:F2} | {w.DeserUs:F2} |");
        if (boot is not null)
        {
            output.WriteLine();
            output.WriteLine($"> bootstrap over the wire: a master of {boot.Datoms:N0} datoms, a replica in a fresh client ActorSystem (association made " +
                             $"beforehand), DatsyncReplica.Connect -> Ready; chunks of {boot.ChunkSize:N0} bytes, {boot.Window} ahead of the replica's " +
                             "acknowledgement. MB/s = encoded image / time.");
            output.WriteLine();
            output.WriteLine("| bootstrap | datoms | image MB | chunks | Connect -> Ready ms | datoms/s | MB/s |");
            output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            output.WriteLine($"| first replica, image encoded on demand | {boot.Datoms:N0} | {boot.ImageMb:F1} | {boot.Chunks:N0} | {boot.ColdMs:N0} | {boot.Datoms / (boot.ColdMs / 1000):N0} | {boot.ImageMb / (boot.ColdMs / 1000):F1} |");
            output.WriteLine($"| second replica, image reused | {boot.Datoms:N0} | {boot.ImageMb:F1} | {boot.Chunks:N0} | {boot.WarmMs:N0} | {boot.Datoms / (boot.WarmMs / 1000):N0} | {boot.ImageMb / (boot.WarmMs / 1000):F1} |");
        }
        if (tls is not null) WriteTls(output, plainPairs, tlsPairs, plainLogPairs, tlsLogPairs, boot, tlsBoot, handshakes!.Value);
        output.WriteLine();
        output.WriteLine("> targets (issue): bootstrap of 1M datoms over loopback < 5 s; delta delivery >= 0.5 of the ping-pong message rate when batched.");
        foreach (var r in rows)
            output.WriteLine($">   {r.N} replica(s), live: {r.S.MedianRate:N0} deltas/s per replica vs ping-pong {r.PingW:N0}/s: ratio {r.S.MedianRate / r.PingW:F2} " +
                             $"({(r.S.MedianRate / r.PingW >= 0.5 ? "met" : "missed")}); vs 1 outstanding {r.S.MedianRate / r.Ping1:F2}");
        foreach (var (r, live) in logRows.Zip(rows))
            output.WriteLine($">   {r.N} replica(s), from the log: streaming {r.StreamRate:N0} deltas/s per replica, ratio {r.StreamRate / live.PingW:F2} " +
                             $"({(r.StreamRate / live.PingW >= 0.5 ? "met" : "missed")}); including the handshake {r.MedianRate / live.PingW:F2}");
        if (boot is not null)
            output.WriteLine($">   bootstrap: {boot.ColdMs / 1000:F2} s ({(boot.ColdMs < 5000 ? "met" : "missed")}), image reused {boot.WarmMs / 1000:F2} s");
        if (o.Config.Length > 0)
            output.WriteLine($"> --config: {o.Config.ReplaceLineEndings(" ")}");
        output.Flush();
        return rows.Concat(tlsPairs.SelectMany(p => new[] { p.A, p.B })).All(r => r.S.Complete) ? 0 : 1;
    }

    private static void WriteTls(TextWriter output, List<(Row A, Row B)> plain, List<(Row A, Row B)> tls,
        List<(LogRow A, LogRow B)> plainLog, List<(LogRow A, LogRow B)> tlsLog, BootResult? boot, BootResult? tlsBoot, (Handshake Plain, Handshake Tls) hs)
    {
        output.WriteLine();
        output.WriteLine("> TLS (--tls): the same runs, in the same process, in the clear and over TLS with mutual authentication (server and " +
                         "client certificates of a development CA made by DevCertificates, ECDSA P-256, TLS as the runtime negotiates it, " +
                         "peers checked against that CA only), in the order plain, TLS, TLS, plain for each measurement, so that neither " +
                         "gains from its place (the plain tables above are the first plain run). Rates: the mean of the two runs (each run's " +
                         "median over the replicas), the two runs in brackets; latency and CPU: the mean of the two runs. TLS / plain = " +
                         "mean delivered deltas per second per replica over TLS / in the clear.");
        output.WriteLine();
        output.WriteLine("| replicas | tx | live tx/s per replica, plain (runs) | live, TLS (runs) | TLS / plain | p50 ms plain / TLS | p99 ms plain / TLS | CPU us per (tx, replica) plain / TLS | from the log streaming tx/s, plain (runs) | from the log, TLS (runs) | TLS / plain |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        static double M(double a, double b) => (a + b) / 2;
        static string Rate(double a, double b) => $"{M(a, b):N0} ({a:N0}, {b:N0})";
        for (var i = 0; i < plain.Count; i++)
        {
            var (p, t, pl, tl) = (plain[i], tls[i], plainLog[i], tlsLog[i]);
            var live = M(t.A.S.MedianRate, t.B.S.MedianRate) / M(p.A.S.MedianRate, p.B.S.MedianRate);
            var fromLog = M(tl.A.StreamRate, tl.B.StreamRate) / M(pl.A.StreamRate, pl.B.StreamRate);
            output.WriteLine($"| {p.A.N} | {p.A.Tx:N0} | {Rate(p.A.S.MedianRate, p.B.S.MedianRate)} | {Rate(t.A.S.MedianRate, t.B.S.MedianRate)}" +
                             $"{(t.A.S.Complete && t.B.S.Complete ? "" : " (incomplete)")} | {live:F2} | " +
                             $"{M(p.A.S.P50Ms, p.B.S.P50Ms):F2} / {M(t.A.S.P50Ms, t.B.S.P50Ms):F2} | {M(p.A.S.P99Ms, p.B.S.P99Ms):F2} / {M(t.A.S.P99Ms, t.B.S.P99Ms):F2} | " +
                             $"{M(p.A.S.CpuUsPerApply, p.B.S.CpuUsPerApply):F1} / {M(t.A.S.CpuUsPerApply, t.B.S.CpuUsPerApply):F1} | " +
                             $"{Rate(pl.A.StreamRate, pl.B.StreamRate)} | {Rate(tl.A.StreamRate, tl.B.StreamRate)} | {fromLog:F2} |");
        }
        if (boot is not null && tlsBoot is not null)
        {
            output.WriteLine();
            output.WriteLine("| bootstrap of " + $"{boot.Datoms:N0} datoms ({boot.ImageMb:F1} MB), mean of two runs each | plain ms | TLS ms | TLS / plain (time) |");
            output.WriteLine("|---|---:|---:|---:|");
            output.WriteLine($"| first replica, image encoded on demand | {boot.ColdMs:N0} | {tlsBoot.ColdMs:N0} | {tlsBoot.ColdMs / boot.ColdMs:F2} |");
            output.WriteLine($"| second replica, image reused | {boot.WarmMs:N0} | {tlsBoot.WarmMs:N0} | {tlsBoot.WarmMs / boot.WarmMs:F2} |");
        }
        output.WriteLine();
        output.WriteLine($"> connection setup: {hs.Plain.Trials} times, a fresh client ActorSystem (its certificates loaded from the files, with TLS) " +
                         "resolves the server actor of a running server: create = ActorSystem.Create; create -> connected = from before the " +
                         "create to the server's answer (TCP connect, TLS handshake, Akka.Remote's association handshake, the Identify round " +
                         "trip); connected alone = that minus create. Median / min.");
        output.WriteLine();
        output.WriteLine("| transport | create ms | create -> connected ms | connected alone ms |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, h) in new[] { ("plain", hs.Plain), ("TLS, mutual", hs.Tls) })
            output.WriteLine($"| {name} | {h.CreateMs:F1} / {h.CreateMinMs:F1} | {h.TotalMs:F1} / {h.TotalMinMs:F1} | {h.ConnectMs:F1} / {h.ConnectMinMs:F1} |");
        output.WriteLine();
        output.WriteLine("> target (TLS): delivery with TLS >= 0.7 of without.");
        for (var i = 0; i < plain.Count; i++)
        {
            var live = M(tls[i].A.S.MedianRate, tls[i].B.S.MedianRate) / M(plain[i].A.S.MedianRate, plain[i].B.S.MedianRate);
            var fromLog = M(tlsLog[i].A.StreamRate, tlsLog[i].B.StreamRate) / M(plainLog[i].A.StreamRate, plainLog[i].B.StreamRate);
            output.WriteLine($">   {plain[i].A.N} replica(s): live {live:F2} ({(live >= 0.7 ? "met" : "missed")}), from the log {fromLog:F2} ({(fromLog >= 0.7 ? "met" : "missed")})");
        }
    }

    // ------------------------------------------------------------------ connection setup

    private sealed record Handshake(int Trials, double CreateMs, double CreateMinMs, double TotalMs, double TotalMinMs, double ConnectMs, double ConnectMinMs);

    private static Handshake Handshakes(Options o, Progress log, BenchTls? tls, int trials = 15)
    {
        var what = tls is null ? "connection setup" : "connection setup tls";
        var ms = StartServer(o, "", tls);
        var clients = new List<ActorSystem>();
        try
        {
            var server = DatsyncRemote.ListeningAt(ms.System);
            var create = new List<double>();
            var total = new List<double>();
            var connect = new List<double>();
            for (var i = 0; i < trials + 2; i++) // the first two warm the process (JIT, the server's first association)
            {
                var start = Stopwatch.GetTimestamp();
                var client = DatsyncRemote.ClientSystem($"hs-{i}", overrides: o.Config + "\n" + Base, tls: tls?.Client);
                clients.Add(client);
                var created = Stopwatch.GetTimestamp();
                Resolve(client, server, "/user/" + MasterRuntime.ServerName);
                var done = Stopwatch.GetTimestamp();
                if (i < 2) continue;
                create.Add(Stopwatch.GetElapsedTime(start, created).TotalMilliseconds);
                total.Add(Stopwatch.GetElapsedTime(start, done).TotalMilliseconds);
                connect.Add(Stopwatch.GetElapsedTime(created, done).TotalMilliseconds);
            }
            static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            var h = new Handshake(trials, Median(create), create.Min(), Median(total), total.Min(), Median(connect), connect.Min());
            log.Say(what, $"create {h.CreateMs:F1} ms, create -> connected {h.TotalMs:F1} ms, connected alone {h.ConnectMs:F1} ms (medians of {trials})");
            return h;
        }
        finally { Shutdown(ms, clients); }
    }

    private static Options Parse(IReadOnlyList<string> args)
    {
        int[] replicas = [1, 10];
        int? tx = null, pings = null;
        int window = 128, submitters = 4, pingWindow = 128, boot = 1_000_000;
        var config = "";
        var quick = false;
        var tls = false;
        var r = new BenchArgs(args);
        while (r.Next(out var option))
        {
            switch (option)
            {
                case "--replicas": replicas = r.Ints(); break;
                case "--tx": tx = r.Int(); break;
                case "--window": window = r.Int(); break;
                case "--submitters": submitters = r.Int(); break;
                case "--pings": pings = r.Int(); break;
                case "--ping-window": pingWindow = r.Int(); break;
                case "--bootstrap-datoms": boot = r.Int(); break;
                case "--config": config = config.Length == 0 ? r.Value() : config + "\n" + r.Value(); break;
                case "--quick": quick = true; break;
                case "--tls": tls = true; break;
                default: throw r.Unknown();
            }
        }
        if (replicas.Length == 0 || replicas.Any(n => n < 1)) throw new ArgumentException("--replicas must list counts >= 1");
        if (window < 1 || submitters < 1 || pingWindow < 1 || boot < 0 || tx < 2 || pings < 2)
            throw new ArgumentException("--window, --submitters and --ping-window must be >= 1, --tx and --pings >= 2, --bootstrap-datoms >= 0");
        return new Options(replicas, tx ?? (quick ? 5_000 : 20_000), window, submitters, pings ?? (quick ? 5_000 : 20_000), pingWindow, boot, config, tls);
    }

    // ------------------------------------------------------------------ systems

    private static MasterSystem StartServer(Options o, string extra = "", BenchTls? tls = null) =>
        DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, o.Config + "\n" + extra + "\n" + Base + "\n" + EchoDoors(o), tls?.Server);

    /// <summary>The master's system lets clients select its server actor only, its transport guard lets messages reach
    /// it alone, and its wire reads only what clients send; for the ping-pong's ceiling the echo actors are let in too
    /// and the wire reads deltas both ways (a benchmark's setting: a served master reads <c>to-server</c> only).</summary>
    private static string EchoDoors(Options o)
    {
        var echoes = string.Join(", ", Enumerable.Range(0, o.Replicas.Max()).Select(i => $"\"/user/bench-echo-{i}\""));
        return $"akka.remote.trusted-selection-paths = [\"/user/{MasterRuntime.ServerName}\", {echoes}]\n" +
               $"datsync.server.allowed-recipients = [\"/user/{MasterRuntime.ServerName}\", \"/system/remote-watcher\", {echoes}]\n" +
               "akka.actor.serialization-settings.datsync-wire.accept = both";
    }

    private static ActorSystem[] StartClients(int n, Options o, string prefix, BenchTls? tls = null) =>
        Enumerable.Range(0, n).Select(i => DatsyncRemote.ClientSystem($"{prefix}-{i}", overrides: o.Config + "\n" + Base + "\n" + Counting, tls: tls?.Client)).ToArray();

    /// <summary>Client systems read the protocol with <see cref="CountingWireSerializer"/>: the wire serializer, counting
    /// the delta messages it reads.</summary>
    private const string Counting = """
        akka.actor.serializers.datsync-wire = "Datsync.Benchmarks.Fanout.RemoteBench+CountingWireSerializer, Datsync.Benchmarks.Fanout"
        akka.actor.serialization-identifiers { "Datsync.Benchmarks.Fanout.RemoteBench+CountingWireSerializer, Datsync.Benchmarks.Fanout" = 4732 }
        """;

    /// <summary>The wire serializer (<see cref="DatsyncWireSerializer"/>, same identifier and settings), counting the
    /// delta messages client systems read: messages, deltas and bytes, over all client systems of the process.</summary>
    public sealed class CountingWireSerializer(ExtendedActorSystem system, Akka.Configuration.Config config) : Akka.Serialization.Serializer(system)
    {
        private readonly DatsyncWireSerializer _inner = new(system, config);
        internal static long Messages, Deltas, Bytes;

        public override int Identifier => _inner.Identifier;
        public override bool IncludeManifest => _inner.IncludeManifest;
        public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

        public override object FromBinary(byte[] bytes, Type type)
        {
            var read = _inner.FromBinary(bytes, type);
            var o = read is FromSession f ? f.Message : read; // what a session sends comes in its envelope
            var deltas = o switch { TxDeltaBatch b => b.Deltas.Count, TxDelta => 1, TxRangeResult r => r.Deltas.Count, _ => 0 };
            if (deltas > 0)
            {
                Interlocked.Increment(ref Messages);
                Interlocked.Add(ref Deltas, deltas);
                Interlocked.Add(ref Bytes, bytes.Length);
            }
            return read;
        }

        internal static (long Messages, long Deltas, long Bytes) Read() =>
            (Interlocked.Read(ref Messages), Interlocked.Read(ref Deltas), Interlocked.Read(ref Bytes));
    }

    /// <summary>Resolves <paramref name="path"/> on the server from <paramref name="client"/>: this makes the association
    /// (TCP connection and handshake) before anything is timed.</summary>
    private static IActorRef Resolve(ActorSystem client, string server, string path) =>
        client.ActorSelection($"{(DatsyncRemote.UsesTls(client) ? "akka.ssl.tcp" : "akka.tcp")}://{DatsyncRemote.SystemName}@{server}{path}")
            .ResolveOne(FanoutBench.Timeout).GetAwaiter().GetResult();

    /// <summary>Terminates the clients, then the server, without logging: every association that ends logs a warning and
    /// an error (Disassociated), which says nothing about the run.</summary>
    private static void Shutdown(MasterSystem ms, IEnumerable<ActorSystem> clients)
    {
        BenchLogger.Quiet = true;
        Task.WhenAll(clients.Select(c => c.Terminate())).Wait(TimeSpan.FromSeconds(30));
        ms.System.Terminate().Wait(TimeSpan.FromSeconds(30));
        BenchLogger.Quiet = false;
    }

    /// <summary>The run's logger: Akka's warnings and errors to stderr (stdout holds the tables), nothing while the
    /// systems shut down.</summary>
    public sealed class BenchLogger : ReceiveActor
    {
        internal static volatile bool Quiet;

        public BenchLogger()
        {
            Receive<Akka.Event.InitializeLogger>(_ => Sender.Tell(new Akka.Event.LoggerInitialized()));
            Receive<Akka.Event.LogEvent>(e =>
            {
                if (!Quiet) Console.Error.WriteLine(e);
            });
        }
    }

    // ------------------------------------------------------------------ live stream + ping-pong

    private sealed record Row(int N, int Tx, StreamResult S, double DatomsPerDelta, double Ping1, double PingW, double DeltasPerMessage, double BytesPerDelta);

    private static Row RunLive(int n, Options o, Progress log, BenchTls? tls = null)
    {
        var what = $"remote {n}{(tls is null ? "" : " tls")}";
        log.Say(what, $"starting a server and {n} client systems with a replica each");
        var ms = StartServer(o, "", tls);
        var clients = Array.Empty<ActorSystem>();
        try
        {
            var server = DatsyncRemote.ListeningAt(ms.System);
            var schema = Commit(ms.Master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(FanoutBench.Schema)!).GetAwaiter().GetResult();
            clients = StartClients(n, o, $"remote{n}-client", tls);
            var replicas = new DatsyncReplica[n];
            var sinks = new StreamSink?[1];
            for (var r = 0; r < n; r++)
            {
                replicas[r] = DatsyncReplica.Connect(clients[r], server, "r" + r);
                var index = r;
                replicas[r].Listen(report =>
                {
                    if (!report.Pending) Volatile.Read(ref sinks[0])?.Applied(index, report.T);
                });
            }
            if (!Task.WhenAll(replicas.Select(x => x.Ready)).Wait(FanoutBench.Timeout)) throw new TimeoutException("replicas not ready");
            log.Say(what, $"{n} replicas ready at t={schema.T}, server at {server}");

            var warm = Stream(ms, replicas, n, Math.Min(2_000, o.Tx / 4 + 2), o.Window, o.Submitters, sinks, "w", log);
            log.Say(what, $"warmup: {warm.MedianRate:N0} tx/s per replica; now {o.Tx:N0} transactions");
            var wireBefore = CountingWireSerializer.Read();
            var s = Stream(ms, replicas, n, o.Tx, o.Window, o.Submitters, sinks, "m", log);
            var wireAfter = CountingWireSerializer.Read();
            var wire = (Messages: wireAfter.Messages - wireBefore.Messages, Deltas: wireAfter.Deltas - wireBefore.Deltas, Bytes: wireAfter.Bytes - wireBefore.Bytes);
            var deltasPerMessage = wire.Deltas / (double)Math.Max(1, wire.Messages);
            var bytesPerDelta = wire.Bytes / (double)Math.Max(1, wire.Deltas);
            var accepted = s.Accepted.Where(a => a is not null).ToArray();
            var datomsPerDelta = accepted.Average(a => a!.TxData.Count);
            log.Say(what, $"{wire.Messages:N0} delta messages read by the clients, {deltasPerMessage:F1} deltas per message, {bytesPerDelta:N0} bytes per delta");
            log.Say(what, $"{s.MedianRate:N0} tx/s per replica (min {s.MinRate:N0}), {s.MedianRate * datomsPerDelta:N0} datoms/s, p50 {s.P50Ms:F2} ms, " +
                          $"p99 {s.P99Ms:F2} ms, master {s.MasterRate:N0} tx/s; CPU {s.CpuUsPerApply:F1} us per (tx, replica), {s.CoresUsed:F2} cores busy" +
                          $"{(s.Complete ? "" : ", INCOMPLETE")}");

            // the ceiling, in the same systems: the replicas stop, plain actors ping-pong one delta of the stream
            foreach (var (x, c) in replicas.Zip(clients)) c.Stop(x.Actor);
            var db = CurrentValue(ms);
            var a0 = accepted[^1]!;
            var payload = TxDelta.From(db, a0.T, a0.TxData, a0.RequestId, a0.Tempids).ForWire();
            var echoes = Enumerable.Range(0, n).Select(i => ms.System.ActorOf(Props.Create(() => new Echo()), $"bench-echo-{i}")).ToArray();
            var echoRefs = clients.Select((c, i) => Resolve(c, server, $"/user/bench-echo-{i}")).ToArray();
            PingPong(clients, echoRefs, payload, Math.Min(2_000, o.Pings), o.PingWindow); // warmup
            var ping1 = PingPong(clients, echoRefs, payload, o.Pings, 1);
            var pingW = PingPong(clients, echoRefs, payload, o.Pings, o.PingWindow);
            log.Say(what, $"ping-pong per client: {ping1:N0} round trips/s with 1 outstanding, {pingW:N0}/s with {o.PingWindow} in flight; " +
                          $"ratio {s.MedianRate / pingW:F2}");
            foreach (var e in echoes) ms.System.Stop(e);
            return new Row(n, o.Tx, s, datomsPerDelta, ping1, pingW, deltasPerMessage, bytesPerDelta);
        }
        finally { Shutdown(ms, clients); }
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    /// <summary>Sends <c>window</c> requests, then one more per reply, until <c>count</c> replies came back.</summary>
    private sealed class Pinger : ReceiveActor
    {
        public Pinger(IActorRef echo, object payload, int count, int window, TaskCompletionSource<double> done)
        {
            var sent = 0;
            var replies = 0;
            var start = 0L;
            ReceiveAny(_ =>
            {
                if (++replies == count)
                {
                    done.TrySetResult(count / Stopwatch.GetElapsedTime(start).TotalSeconds);
                    Context.Stop(Self);
                }
                else if (sent < count) { echo.Tell(payload, Self); sent++; }
            });
            start = Stopwatch.GetTimestamp();
            for (; sent < Math.Min(window, count); sent++) echo.Tell(payload, Self);
        }
    }

    /// <summary>Round trips per second per client (median), all clients at once.</summary>
    private static double PingPong(ActorSystem[] clients, IActorRef[] echoes, object payload, int count, int window)
    {
        var done = clients.Select(_ => new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        for (var i = 0; i < clients.Length; i++)
        {
            var (echo, d) = (echoes[i], done[i]);
            clients[i].ActorOf(Props.Create(() => new Pinger(echo, payload, count, window, d)));
        }
        if (!Task.WhenAll(done.Select(d => d.Task)).Wait(FanoutBench.Timeout)) throw new TimeoutException("ping-pong did not finish");
        var rates = done.Select(d => d.Task.Result).Order().ToArray();
        return rates[rates.Length / 2];
    }

    // ------------------------------------------------------------------ from the log

    private sealed record LogRow(int N, int Tx, double MedianRate, double MinRate, double DatomsPerDelta,
        double StreamRate, double StreamMinRate, double HandshakeMs, double HandshakeMaxMs, double WarmWireMs,
        double DeltasPerMessage, double BytesPerDelta);

    /// <summary>Serializes and reads back, with <paramref name="system"/>'s serializer, one of each message a replica
    /// receives and sends: Hyperion builds (compiles) its serializer of a type on first use, per serializer instance, so
    /// per actor system.</summary>
    private static void WarmWire(ActorSystem system, TxDelta[] deltas)
    {
        var sample = deltas.Take(2).Select(d => d.ForWire()).ToList();
        // what it reads (under its channel key) is written and read back; what it sends is written only: a client's
        // wire takes nothing that a client sends
        object[] reads =
        [
            new FromSession("k", new Connected(1, 1, 0, 1)), new FromSession("k", new TxDeltaBatch(sample)),
            new FromSession("k", sample[0]), new FromSession("k", new SessionHeartbeat(1)),
            new FromSession("k", new TxRangeResult(1, 2, sample)),
        ];
        object[] writes =
        [
            new Connect("warm", 1, 1, null, "k"), new ToSession("k", new DeltasApplied(1)), new ToSession("k", new DeltasWanted(1, 2)),
            new ToSession("k", new BootstrapAck(1, 1)),
        ];
        foreach (var m in reads)
        {
            var serializer = system.Serialization.FindSerializerFor(m);
            serializer.FromBinary(serializer.ToBinary(m), m.GetType());
        }
        foreach (var m in writes) system.Serialization.FindSerializerFor(m).ToBinary(m);
    }

    private static LogRow RunFromLog(int n, Options o, Progress log, BenchTls? tls = null)
    {
        var what = $"remote from the log {n}{(tls is null ? "" : " tls")}";
        var ms = StartServer(o, $"datsync.listener.recent-in-memory = {o.Tx + 16}", tls);
        var clients = Array.Empty<ActorSystem>();
        try
        {
            var server = DatsyncRemote.ListeningAt(ms.System);
            var (before, deltas) = CommitLog(ms, o.Tx);
            var lastT = before.BasisT + o.Tx;
            var datomsPerDelta = deltas.Average(d => d.Datoms.Count);
            clients = StartClients(n, o, $"remotelog{n}-client", tls);
            foreach (var c in clients) Resolve(c, server, "/user/" + MasterRuntime.ServerName);
            var warmWire = Stopwatch.StartNew();
            foreach (var c in clients) WarmWire(c, deltas);
            var warmWireMs = warmWire.Elapsed.TotalMilliseconds / n;
            log.Say(what, $"{o.Tx:N0} transactions committed; wire serializer warmed in {warmWireMs:N0} ms per client system; starting {n} replicas at t={before.BasisT}");
            GC.Collect();

            var doneAt = new long[n];
            var firstAt = new long[n];
            using var all = new CountdownEvent(n);
            var wireBefore = CountingWireSerializer.Read();
            var start = Stopwatch.GetTimestamp();
            var replicas = new DatsyncReplica[n];
            for (var r = 0; r < n; r++)
            {
                var index = r;
                replicas[r] = DatsyncReplica.Connect(clients[r], server, "log" + r, resumeFrom: before);
                replicas[r].Listen(report =>
                {
                    if (report.Pending) return;
                    if (firstAt[index] == 0) firstAt[index] = Stopwatch.GetTimestamp();
                    if (report.T != lastT) return;
                    doneAt[index] = Stopwatch.GetTimestamp();
                    all.Signal();
                });
            }
            var waited = Stopwatch.StartNew();
            while (!all.Wait(TimeSpan.FromSeconds(2)))
            {
                if (waited.Elapsed > FanoutBench.Timeout) throw new TimeoutException("replicas did not take the whole log");
                var st = replicas.Select(x => x.Status).ToArray();
                log.Say(what, $"after {waited.Elapsed.TotalSeconds:F0} s: replica t min {st.Min(x => x.BasisT) - before.BasisT:N0} max {st.Max(x => x.BasisT) - before.BasisT:N0} of {o.Tx:N0}; " +
                              $"connections {string.Join(", ", st.GroupBy(x => x.Connection).Select(g => $"{g.Key} {g.Count()}"))}");
            }
            var wireAfter = CountingWireSerializer.Read();
            var deltasPerMessage = (wireAfter.Deltas - wireBefore.Deltas) / (double)Math.Max(1, wireAfter.Messages - wireBefore.Messages);
            var bytesPerDelta = (wireAfter.Bytes - wireBefore.Bytes) / (double)Math.Max(1, wireAfter.Deltas - wireBefore.Deltas);
            var rates = doneAt.Select(t => o.Tx / Stopwatch.GetElapsedTime(start, t).TotalSeconds).Order().ToArray();
            var streaming = Enumerable.Range(0, n).Select(i => (o.Tx - 1) / Stopwatch.GetElapsedTime(firstAt[i], doneAt[i]).TotalSeconds).Order().ToArray();
            var handshake = firstAt.Select(t => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds).Order().ToArray();
            log.Say(what, $"{rates[n / 2]:N0} tx/s per replica (min {rates[0]:N0}), {rates[n / 2] * datomsPerDelta:N0} datoms/s; " +
                          $"first applied -> last {streaming[n / 2]:N0} tx/s (min {streaming[0]:N0}); started -> first applied {handshake[n / 2]:N0} ms (max {handshake[^1]:N0})");
            return new LogRow(n, o.Tx, rates[n / 2], rates[0], datomsPerDelta, streaming[n / 2], streaming[0], handshake[n / 2], handshake[^1], warmWireMs, deltasPerMessage, bytesPerDelta);
        }
        finally { Shutdown(ms, clients); }
    }

    // ------------------------------------------------------------------ wire cost

    private sealed record WireRow(int K, int Bytes, double SerUs, double DeserUs);

    private static List<WireRow> WireCost(Options o, Progress log)
    {
        var ms = StartServer(o);
        try
        {
            var (_, deltas) = CommitLog(ms, 4_096);
            var wire = deltas.Select(d => d.ForWire()).ToArray();
            var serialization = ms.System.Serialization;
            var rows = new List<WireRow>();
            foreach (var k in new[] { 0, 1, 16, 256 })
            {
                var messages = k == 0
                    ? wire.Cast<object>().ToArray()
                    : wire.Chunk(k).Where(c => c.Length == k).Select(c => (object)new TxDeltaBatch(c)).ToArray();
                var serializer = serialization.FindSerializerFor(messages[0]);
                var type = messages[0].GetType();
                var bytes = new byte[messages.Length][];
                for (var i = 0; i < Math.Min(64, messages.Length); i++) serializer.FromBinary(serializer.ToBinary(messages[i]), type); // warmup
                double ser = double.MaxValue, deser = double.MaxValue;
                for (var round = 0; round < 5; round++) // the best of 5 passes over the 4,096 deltas
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < messages.Length; i++) bytes[i] = serializer.ToBinary(messages[i]);
                    ser = Math.Min(ser, sw.Elapsed.TotalMicroseconds);
                    sw.Restart();
                    for (var i = 0; i < messages.Length; i++) serializer.FromBinary(bytes[i], type);
                    deser = Math.Min(deser, sw.Elapsed.TotalMicroseconds);
                }
                var perDelta = messages.Length * (double)Math.Max(1, k);
                rows.Add(new WireRow(k, (int)bytes.Average(b => b.Length), ser / perDelta, deser / perDelta));
            }
            log.Say("wire cost", string.Join("; ", rows.Select(r => $"{r.K} per message: {r.Bytes:N0} bytes, {r.SerUs:F2} + {r.DeserUs:F2} us per delta")));
            return rows;
        }
        finally { ms.System.Terminate().Wait(); }
    }

    // ------------------------------------------------------------------ bootstrap

    private sealed record BootResult(long Datoms, double ImageMb, int Chunks, int ChunkSize, int Window, double ColdMs, double WarmMs);

    private static BootResult Bootstrap(Options o, Progress log, BenchTls? tls = null)
    {
        var ms = StartServer(o, "", tls);
        var clients = new List<ActorSystem>();
        try
        {
            var server = DatsyncRemote.ListeningAt(ms.System);
            var settings = SessionSettings.From(ms.Config);
            var db = BuildLarge(ms, o.BootstrapDatoms, log);
            GC.Collect();

            double Boot(string id)
            {
                var client = DatsyncRemote.ClientSystem($"boot-{id}", overrides: o.Config + "\n" + Base, tls: tls?.Client);
                clients.Add(client);
                Resolve(client, server, "/user/" + MasterRuntime.ServerName);
                var start = Stopwatch.GetTimestamp();
                var replica = DatsyncReplica.Connect(client, server, id);
                if (!replica.Ready.Wait(FanoutBench.Timeout)) throw new TimeoutException($"replica {id} did not bootstrap");
                var ms_ = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (replica.SyncedDb.Count != db.Count) throw new InvalidOperationException($"replica {id} holds {replica.SyncedDb.Count} datoms, the master {db.Count}");
                log.Say(tls is null ? "bootstrap" : "bootstrap tls", $"{id}: {replica.SyncedDb.Count:N0} datoms over the wire, Connect -> Ready in {ms_:N0} ms");
                client.Stop(replica.Actor);
                return ms_;
            }
            var cold = Boot("boot-1");
            GC.Collect();
            var warm = Boot("boot-2");
            var image = BootstrapImage.Of(db, settings.ChunkSize);
            return new BootResult(db.Count, image.Bytes / 1048576.0, image.Chunks.Count, settings.ChunkSize, settings.BootstrapWindow, cold, warm);
        }
        finally { Shutdown(ms, clients); }
    }
}
