using System.CommandLine;
using System.Diagnostics;
using Datsync.Actors;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Core;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync replica --server HOST:PORT</c>: a replica in this process that bootstraps from a served master
/// (progress on standard error) and prints <c>t=T datoms=N</c> for every transaction it applies; with
/// <c>--query</c>, it syncs to the master's t, prints the query's result as EDN and exits.</summary>
internal static class ReplicaCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "HOST:PORT of a master started with `datsync serve`, or of several gateways of one cluster, comma-separated (required unless --offline)" };
        var store = new Option<string>("--store")
        {
            Description = "Keep the replica's state in DIR (DIR/replica.db; needs --client-id): it starts from what it holds there, before any network call, and resumes from its t",
        };
        var transactLines = new Option<bool>("--transact-lines")
        {
            Description = "Read transactions from standard input, one EDN vector per line, and make each a local write of the replica (with --store: queued in its outbox, offline too); print `queued REQUEST-ID`, then `committed REQUEST-ID t=T` or `rejected REQUEST-ID CATEGORY: MESSAGE`; exit once standard input ends and every write is answered",
        };
        var offline = new Option<bool>("--offline")
        {
            Description = "With --store: never connect; serve what the store holds (--dump prints its datoms, --query runs a query on it) and exit",
        };
        var clientId = CliSupport.ClientIdOption("replica");
        var token = CliSupport.TokenOption();
        var untilT = new Option<long?>("--until-t") { Description = "Exit 0 once the replica has applied the master's transaction T" };
        var dump = new Option<bool>("--dump")
        {
            Description = "With --until-t: then print the replica's datoms as {:replica [[e :attr v] ...]}, the only output on standard output (the t= lines go to standard error)",
        };
        var query = new Option<string>("--query")
        {
            Description = "Once the replica holds the master's t (or --until-t T), run this Datalog query on it, print the result as EDN (the only output on standard output) and exit 0",
        };
        var watch = new Option<string>("--watch")
        {
            Description = "Once bootstrapped, keep this Datalog query live: print t=T and its result as EDN first, then again each time a master transaction changes it (the only output on standard output); with --until-t T, exit 0 once the replica holds T",
        };
        var inputs = new Option<string[]>("--input")
        {
            Description = "With --query or --watch: an input after $, in :in order, as EDN (repeat for each)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var explain = QueryOutput.ExplainOption();
        var timeout = CliSupport.TimeoutOption();
        var config = CliSupport.ConfigOption("e.g. hocon/client.conf: the client's remote transport, datsync.replica retry and timeouts");
        var tls = TlsFlags.Client();
        var cmd = new Command("replica",
            "Run a replica of a served master: bootstrap (progress on standard error), then print t=T datoms=N for each transaction it applies; " +
            "with --query, sync to the master's t, print the query's result as EDN and exit; with --watch, print a live query's result each time it changes");
        cmd.Options.Add(server);
        cmd.Options.Add(store);
        cmd.Options.Add(offline);
        cmd.Options.Add(transactLines);
        cmd.Options.Add(clientId);
        cmd.Options.Add(token);
        cmd.Options.Add(untilT);
        cmd.Options.Add(dump);
        cmd.Options.Add(query);
        cmd.Options.Add(watch);
        cmd.Options.Add(inputs);
        cmd.Options.Add(explain);
        cmd.Options.Add(timeout);
        cmd.Options.Add(config);
        tls.AddTo(cmd);
        cmd.SetAction((parse, stop) =>
        {
            var verbose = parse.GetValue(CliSupport.Verbose);
            return CliSupport.Guarded("replica", verbose, () =>
            {
                var storeDir = parse.GetValue(store);
                var id = parse.GetValue(clientId);
                if (storeDir is not null && id is null) throw new CliException("--store needs --client-id: a store belongs to one client id");
                var q = Query(parse.GetValue(query), parse.GetValue(watch), parse.GetValue(inputs), parse.GetValue(explain), parse.GetValue(dump));
                if (parse.GetValue(offline))
                {
                    if (storeDir is null) throw new CliException("--offline needs --store DIR");
                    if (parse.GetValue(server) is not null) throw new CliException("--offline never connects: leave out --server");
                    return Task.FromResult(Offline(storeDir, id!, parse.GetValue(dump), q));
                }
                var at = parse.GetValue(server) ?? throw new CliException("--server HOST:PORT is required (or --offline --store DIR)");
                var writes = parse.GetValue(transactLines);
                if (writes && (q is not null || parse.GetValue(dump) || parse.GetValue(untilT) is not null))
                    throw new CliException("--transact-lines cannot be combined with --query, --watch, --dump or --until-t");
                return Run(at, id ?? CliSupport.DefaultClientId("replica"), parse.GetValue(token), parse.GetValue(untilT),
                    parse.GetValue(dump), q, TimeSpan.FromSeconds(parse.GetValue(timeout)), CliSupport.LoadConfig(parse.GetValue(config)), tls.Read(parse),
                    verbose, storeDir, stop, writes);
            });
        });
        return cmd;
    }

    /// <summary>The <c>--query</c> or <c>--watch</c>, read and parsed before the replica starts; null without one.</summary>
    private static (QueryOutput Output, bool Explain, bool Watch)? Query(string? query, string? watch, string[]? inputs, bool explain, bool dump)
    {
        if (query is not null && watch is not null) throw new CliException("--query and --watch cannot be combined");
        var text = query ?? watch;
        if (text is null)
        {
            if (explain || inputs is { Length: > 0 }) throw new CliException($"{(explain ? "--explain" : "--input")} needs --query 'QUERY'");
            return null;
        }
        if (dump) throw new CliException($"--dump and {(watch is null ? "--query" : "--watch")} cannot be combined");
        if (explain && watch is not null) throw new CliException("--explain needs --query 'QUERY' (not --watch)");
        return (QueryOutput.Read("replica", text, inputs), explain, watch is not null);
    }

    /// <summary><c>--offline --store DIR</c>: what the store holds, read without a network call: <c>--dump</c> prints its
    /// datoms, <c>--query</c> the query's result on it; otherwise one line says what it holds.</summary>
    private static int Offline(string storeDir, string clientId, bool dump, (QueryOutput Output, bool Explain, bool Watch)? query)
    {
        if (query is { Watch: true }) throw new CliException("--watch needs a master: --offline serves what the store holds as it is");
        StoredState? stored;
        try
        {
            using var store = ReplicaStore.Open(storeDir, clientId);
            stored = store.Load();
        }
        catch (DatsyncStorageException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
        if (stored is null) throw new CliException($"the store {storeDir} holds no value yet (the replica never synced with a master)");
        // the replica's view: the stored value with its outbox's transactions on top, as a replica starting from it holds
        var (state, unreadable) = OutboxTakeBack.Apply(ReplicaState.Bootstrapped(stored.Value), stored.Outbox);
        foreach (var (_, x) in unreadable) Console.Error.WriteLine($"datsync replica: {x.Category}: {x.Message}");
        Console.Error.WriteLine($"datsync replica: offline, from the store {storeDir} at t={stored.BasisT} ({stored.Value.Count:N0} datoms, {stored.Outbox.Count} pending in its outbox)");
        if (query is { } q) return q.Output.Print(state.View, q.Explain);
        if (dump)
        {
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            DatomListing.Write(stdout, "replica", state.View);
        }
        return 0;
    }

    private static async Task<int> Run(string server, string clientId, string? token, long? untilT, bool dump,
        (QueryOutput Output, bool Explain, bool Watch)? query, TimeSpan timeout, Akka.Configuration.Config files, Datsync.Actors.TlsOptions? tls,
        bool verbose, string? storeDir, CancellationToken stop, bool transactLines = false)
    {
        if (dump && untilT is null) throw new CliException("--dump needs --until-t T");
        // a cluster's gateways, comma-separated: the replica moves to the next when one goes quiet; the first one
        // decides the client's transport and is the one named when nothing answers
        IReadOnlyList<string> servers;
        try { servers = DatsyncRemote.ParseServers(server); }
        catch (FormatException e) { throw new CliException("--server: " + e.Message); }
        var (host, port) = RemoteTransact.Parse(servers[0]);
        var lines = dump || query is not null ? Console.Error : Console.Out;
        var system = CliSupport.ClientSystem(files, verbose, host, tls);
        var tlsFailure = CliSupport.TlsFailure(tls, host, port, timeout);
        try
        {
            DatsyncReplica replica;
            try
            {
                // the store as if configured (datsync.replica.store), so that offline-writes reads as it would with one
                replica = DatsyncReplica.Connect(system, server, clientId, token, storeDir is null ? null
                    : ReplicaSettings.From(Akka.Configuration.ConfigurationFactory.ParseString($"datsync.replica.store = {Datsync.Actors.Storage.StorageOptions.Quote(storeDir)}")
                        .WithFallback(system.Settings.Config)));
            }
            catch (DatsyncStorageException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
            if (replica.StartedFromStore)
                Console.Error.WriteLine($"datsync replica: started from the store {storeDir} at t={replica.SyncedDb.BasisT}; resuming from it once the master answers");
            // writes from standard input: at once from a stored value (queued while the master does not answer)
            if (transactLines && replica.StartedFromStore) return await TransactLines(replica, stop);
            // read from here on, on a thread of this command's (a slow terminal never holds the replica back)
            using var stopPrinting = new CancellationTokenSource();
            var printer = new ReportPrinter(replica, lines, untilT, stopPrinting.Token);

            var progress = new BootstrapBar(Console.Error);
            var started = Stopwatch.StartNew();
            while (!replica.Ready.IsCompleted)
            {
                try { await Task.WhenAny(replica.Ready, Task.Delay(200, stop)); }
                catch (OperationCanceledException) { }
                if (stop.IsCancellationRequested)
                    return query is not null ? CliSupport.Error("replica", "stopped before the query ran")
                        : untilT is null ? 0 : CliSupport.Error("replica", $"stopped before t={untilT}");
                if (tlsFailure.IsCompleted) throw new CliException(tlsFailure.Result, CliSupport.Unreachable);
                if (system.WhenTerminated.IsCompleted)
                {
                    // Akka.Remote stops a client whose side of the TLS handshake failed (the server's certificate)
                    await Task.WhenAny(tlsFailure, Task.Delay(timeout, stop));
                    throw new CliException(tlsFailure.IsCompleted ? tlsFailure.Result : $"the client stopped: the TLS handshake with {server} failed",
                        CliSupport.Unreachable);
                }
                var boot = replica.BootstrapProgress;
                progress.Show(boot, started.Elapsed);
                if (boot is null && !replica.Ready.IsCompleted && replica.Status.Connection is ConnectionState.Connecting or ConnectionState.Disconnected
                    && started.Elapsed >= timeout)
                    throw new CliException(await CliSupport.NoAnswer(server, host, port, timeout, tls), CliSupport.Unreachable);
            }
            try { await replica.Ready; }
            catch (TxRejectedException e) { throw new CliException($"{e.Category}: {e.Message}", CliSupport.Unreachable); }
            catch (InvalidOperationException) when (!stop.IsCancellationRequested)
            {
                // the replica stopped before it was bootstrapped, unasked: its actor system is going down (Akka.Remote
                // stops a client whose side of the TLS handshake failed) — the same as the loop's check, reached first
                await Task.WhenAny(tlsFailure, Task.Delay(timeout, stop));
                throw new CliException(tlsFailure.IsCompleted ? tlsFailure.Result : $"the client stopped before it was bootstrapped by {server}",
                    CliSupport.Unreachable);
            }
            progress.Done(replica.BootstrapProgress, replica.SyncedDb, started.Elapsed);

            if (query is { Watch: true } w) return await Watch(replica, w.Output, untilT, stopPrinting, printer, stop);
            if (transactLines) return await TransactLines(replica, stop);

            if (query is { } q)
            {
                // the writes its outbox held go first: the result holds them once the master has answered each
                while (storeDir is not null && replica.Status.PendingLocal > 0 && !stop.IsCancellationRequested)
                    try { await Task.Delay(10, stop); } catch (OperationCanceledException) { }
                // the master's t as last heard (the bootstrap's, or a later commit's), unless --until-t names one
                var target = untilT ?? Math.Max(replica.Status.MasterT, replica.SyncedDb.BasisT);
                try { await replica.SyncAsync(target, stop); }
                catch (OperationCanceledException) { return CliSupport.Error("replica", $"stopped before t={target}"); }
                catch (TxRejectedException e) { throw new CliException($"{e.Category}: {e.Message}", CliSupport.Unreachable); }
                await stopPrinting.CancelAsync();
                await printer.Done;
                return q.Output.Print(replica.SyncedDb, q.Explain);
            }

            if (untilT is not { } t)
            {
                // until Ctrl-C, or until the server ends this client's session and refuses it (taken off its list)
                try { await replica.WhenRefused.WaitAsync(stop); }
                catch (OperationCanceledException) { }
                if (replica.Refusal is TxRejectedException refused) throw new CliException($"{refused.Category}: {refused.Message}", CliSupport.Unreachable);
                return 0;
            }
            try { await replica.SyncAsync(t, stop); }
            catch (OperationCanceledException) { return CliSupport.Error("replica", $"stopped before t={t}"); }
            catch (TxRejectedException e) { throw new CliException($"{e.Category}: {e.Message}", CliSupport.Unreachable); }
            // every transaction after the bootstrap up to t was reported before the sync completed: print them all
            if ((replica.BootstrapProgress?.BasisT ?? -1) < t)
            {
                try { await printer.Reached(t).WaitAsync(timeout, stop); }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
            }
            await stopPrinting.CancelAsync();
            await printer.Done;
            if (dump)
            {
                await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
                DatomListing.Write(stdout, "replica", replica.SyncedDb);
            }
            return 0;
        }
        finally
        {
            await CliSupport.Shutdown(system);
        }
    }

    /// <summary><c>--transact-lines</c>: each line of standard input a local write; <c>queued ID</c> once it is in the
    /// replica's view (and, with a store, its outbox), then its outcome. Exit 0 once input ends and all are answered.</summary>
    private static async Task<int> TransactLines(DatsyncReplica replica, CancellationToken stop)
    {
        var answers = new List<Task>();
        var gate = new object();
        void Say(string line)
        {
            lock (gate)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }
        string? text;
        var n = 0;
        while ((text = await Console.In.ReadLineAsync(stop)) is not null)
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            IReadOnlyList<object?> forms;
            try { forms = Tx.Parse(text); }
            catch (TxRejectedException e)
            {
                Say($"rejected line {n + 1} {e.Category}: {e.Message}");
                continue;
            }
            var before = replica.Status.PendingLocal;
            var write = replica.TransactAsync(forms, stop);
            // queued once the replica's view holds it (its outbox first, with a store), or answered already
            while (!write.IsCompleted && replica.Status.PendingLocal <= before) await Task.Delay(1, stop);
            var label = $"line {++n}";
            if (!write.IsCompleted || write.IsCompletedSuccessfully) Say($"queued {label}");
            answers.Add(write.ContinueWith(t => Say(t.IsCompletedSuccessfully ? $"committed {label} t={t.Result.T}"
                : t.Exception?.InnerException is TxRejectedException r ? $"rejected {label} {r.Category}: {r.Message}"
                : $"stopped {label}"), TaskScheduler.Default));
        }
        await Task.WhenAll(answers).WaitAsync(stop);
        return 0;
    }

    /// <summary><c>--watch</c>: prints <c>t=T result</c> for the live query's current result and each change, until
    /// Ctrl-C, a refusal, or (with <c>--until-t</c>) the replica's live queries are at T.</summary>
    private static async Task<int> Watch(DatsyncReplica replica, QueryOutput query, long? untilT, CancellationTokenSource stopPrinting,
        ReportPrinter printer, CancellationToken stop)
    {
        await using var sub = replica.Subscribe(query.Text, query.Inputs);
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var printed = -1L;
        void Print(QueryUpdate u)
        {
            Console.Out.WriteLine(u.Error is null ? $"t={u.T} {EdnPrinter.Print(u.Result)}" : $"t={u.T} error: {u.Error}");
            Console.Out.Flush();
            printed = u.T;
        }
        var watching = Task.Run(async () =>
        {
            try { await foreach (var u in sub.WithCancellation(stopWatching.Token)) Print(u); }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
        try
        {
            if (untilT is not { } t)
            {
                // until Ctrl-C, or until the server ends this client's session and refuses it
                await replica.WhenRefused.WaitAsync(stop);
                if (replica.Refusal is TxRejectedException refused) throw new CliException($"{refused.Category}: {refused.Message}", CliSupport.Unreachable);
                return 0;
            }
            await replica.SyncAsync(t, stop);
            await replica.Live.WhenAt(t).WaitAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return untilT is { } t ? CliSupport.Error("replica", $"stopped before t={t}") : 0;
        }
        catch (TxRejectedException e) { throw new CliException($"{e.Category}: {e.Message}", CliSupport.Unreachable); }
        finally
        {
            await stopWatching.CancelAsync();
            await watching;
            await stopPrinting.CancelAsync();
            await printer.Done;
        }
        // the result that holds T, if the reader had not printed it yet
        if (sub.Current is { } last && last.T != printed) Print(last);
        return 0;
    }

    /// <summary>Prints <c>t=T datoms=N</c> for every master transaction the replica applies (up to
    /// <c>--until-t</c>), reading its <see cref="DatsyncReplica.Reports"/>; a reader that fell behind says so on
    /// standard error and reads on from the next change.</summary>
    private sealed class ReportPrinter
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _lastT = -1, _waitFor = long.MaxValue;

        public ReportPrinter(DatsyncReplica replica, TextWriter lines, long? untilT, CancellationToken stop)
        {
            var reports = replica.Reports.GetAsyncEnumerator(stop); // subscribed now, before the first delta
            Done = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        while (await reports.MoveNextAsync())
                        {
                            var r = reports.Current;
                            if (r.Pending) continue;
                            if (untilT is null || r.T <= untilT) lines.WriteLine($"t={r.T} datoms={r.TxData.Count}");
                            Volatile.Write(ref _lastT, r.T);
                            if (r.T >= Volatile.Read(ref _waitFor)) _reached.TrySetResult();
                        }
                        return; // the replica stopped
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
                    catch (ReportsOverflowException e)
                    {
                        Console.Error.WriteLine($"datsync replica: the output fell behind: the transactions after t={e.LastT} up to now are not listed");
                        await reports.DisposeAsync();
                        reports = replica.Reports.GetAsyncEnumerator(stop);
                    }
                }
            }, CancellationToken.None);
        }

        /// <summary>Ends when the printing stops.</summary>
        public Task Done { get; }

        /// <summary>Completes once the transaction <paramref name="t"/> (or a later one) was printed.</summary>
        public Task Reached(long t)
        {
            Volatile.Write(ref _waitFor, t);
            if (Volatile.Read(ref _lastT) >= t) _reached.TrySetResult();
            return _reached.Task;
        }
    }

    /// <summary>The bootstrap's progress on standard error: a bar redrawn in place on a terminal, one summary line
    /// once the replica holds the master's value.</summary>
    private sealed class BootstrapBar(TextWriter stderr)
    {
        private readonly bool _live = !Console.IsErrorRedirected;
        private bool _drawn;

        public void Show(BootstrapProgress? p, TimeSpan elapsed)
        {
            if (!_live || p is null || p.ChunkCount == 0) return;
            const int width = 30;
            var filled = (int)((long)width * p.ChunksReceived / p.ChunkCount);
            stderr.Write($"\rbootstrap t={p.BasisT} [{new string('#', filled)}{new string('.', width - filled)}] " +
                         $"{p.ChunksReceived}/{p.ChunkCount} chunks {p.DatomsReceived:N0} datoms {p.DatomsReceived / Seconds(elapsed):N0} datoms/s " +
                         $"{Mb(p.Bytes):F1} MB {Mb(p.Bytes) / Seconds(elapsed):F1} MB/s   ");
            _drawn = true;
        }

        public void Done(BootstrapProgress? p, Db db, TimeSpan elapsed)
        {
            if (_drawn) stderr.Write('\r' + new string(' ', 100) + '\r');
            var s = Seconds(elapsed);
            var bytes = p?.Bytes ?? 0;
            stderr.WriteLine(p is null
                ? $"resumed at t={db.BasisT}"
                : $"bootstrapped t={p.BasisT}: {db.Count} datoms, {Mb(bytes):F1} MB in {s:F1}s ({db.Count / s:F0} datoms/s, {Mb(bytes) / s:F1} MB/s)");
        }

        private static double Mb(long bytes) => bytes / 1_000_000.0;

        private static double Seconds(TimeSpan t) => Math.Max(t.TotalSeconds, 0.001);
    }
}
