using System.Diagnostics;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// `connection`: what the connection API costs, each against its reference in the same run, on an in-memory master:
/// writes through <see cref="DatsyncMaster.TransactAsync(IReadOnlyList{object}, CancellationToken)"/> against asking
/// the transactor directly (the way in before the API); a replica's writes as EDN forms (handed to its session as they
/// are) against the same writes as .NET lists (printed to EDN text and read back, the path every in-process write took
/// before); and commits with one <c>Reports</c> reader against none.
/// </summary>
internal static class ConnectionBench
{
    private static readonly Keyword Add = Keyword.Intern("db/add"), Key = Keyword.Intern("item/key"), N = Keyword.Intern("item/n");

    public static int Run(string[] args)
    {
        var count = args.Contains("--quick") ? 5_000 : 20_000;
        var rounds = Array.IndexOf(args, "--rounds");
        if (rounds >= 0 && rounds + 1 < args.Length) Rounds = Math.Max(2, int.Parse(args[rounds + 1], System.Globalization.CultureInfo.InvariantCulture));
        const int writers = 16;
        return RunAsync(count, writers).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int count, int writers)
    {
        var rows = new List<string>();
        await using (var master = await Master("bench-conn-a"))
        {
            await Warm(master);
            var (api, raw) = await Pair(count, writers, (i, run) => master.TransactAsync([Form(i, "api" + run)]), (i, run) => RawAsk(master, Form(i, "raw" + run)));
            rows.Add(Row($"master writes/s, {writers} writers: TransactAsync vs the transactor's Ask", api, raw));
        }
        await using (var master = await Master("bench-conn-b"))
        {
            await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "bench", ServerSystemName = "bench-conn-b" });
            await Warm(replica);
            var (forms, text) = await Pair(count / 2, writers, (i, run) => replica.TransactAsync([Form(i, "forms" + run)]),
                (i, run) => replica.TransactAsync([AsList(Form(i, "text" + run))]));
            rows.Add(Row($"in-process replica writes/s, {writers} writers: EDN forms vs .NET lists (text)", forms, text));
        }
        await using (var master = await Master("bench-conn-c"))
        {
            await Warm(master);
            var read = 0L;
            var (one, none) = await Pair(count, writers, (i, run) => master.TransactAsync([Form(i, "read" + run)]),
                (i, run) => master.TransactAsync([Form(i, "quiet" + run)]),
                before: () => ReadReports(master, c => Interlocked.Add(ref read, c)), after: StopReading);
            rows.Add(Row($"master writes/s with one Reports reader ({read:N0} read, {_overflows} overflows) vs none", one, none));
        }

        Console.WriteLine();
        Console.WriteLine($"> machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; in-memory journal; {count:N0} single-entity " +
                          $"transactions per case and round, medians of {Rounds} rounds taken in turn");
        Console.WriteLine();
        Console.WriteLine("| case | measured | reference | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var r in rows) Console.WriteLine(r);
        return 0;
    }

    private static string Row(string what, double measured, double reference) =>
        $"| {what} | {measured:N0} | {reference:N0} | {measured / reference:F2} |";

    private static async Task<DatsyncMaster> Master(string name)
    {
        var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Storage = { Kind = "memory" }, SnapshotEvery = 0, Hocon = "akka.loglevel = WARNING",
        });
        await master.TransactAsync([Tx.Attribute(":item/key", "string", unique: "identity"), Tx.Attribute(":item/n", "long")]);
        return master;
    }

    private static async Task Warm(IDatsyncConnection connection)
    {
        await connection.SyncAsync(1);
        for (var i = 0; i < 500; i++) await connection.TransactAsync([Form(i, "warm")]);
    }

    private static EdnVector Form(int i, string run) => new(Add, "e", Key, $"{run}-{i}");

    private static List<object?> AsList(EdnVector form) => [.. form];

    private static async Task RawAsk(DatsyncMaster master, object form)
    {
        var reply = await master.Handle.Transactor.Ask(new Transact(Guid.NewGuid().ToString("N"), [form]), TimeSpan.FromMinutes(1));
        if (reply is not TxAccepted) throw new InvalidOperationException($"benchmark transaction refused: {reply}");
    }

    private static int Rounds = 4;

    /// <summary>The median rates of <paramref name="measured"/> and <paramref name="reference"/> over rounds run in turn,
    /// each first in half of them (the database and the heap grow with every round: the order must not favour one).</summary>
    private static async Task<(double Measured, double Reference)> Pair(int count, int writers, Func<int, int, Task> measured,
        Func<int, int, Task> reference, Func<Task>? before = null, Func<Task>? after = null)
    {
        var (m, r) = (new List<double>(), new List<double>());
        for (var round = 0; round < Rounds; round++)
        {
            var run = round;
            if (round % 2 == 0) r.Add(await Rate(count, writers, i => reference(i, run)));
            if (before is not null) await before();
            m.Add(await Rate(count, writers, i => measured(i, run)));
            if (after is not null) await after();
            if (round % 2 == 1) r.Add(await Rate(count, writers, i => reference(i, run)));
        }
        return (Median(m), Median(r));
    }

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static CancellationTokenSource? _reading;
    private static long _overflows;
    private static Task _reader = Task.CompletedTask;

    /// <summary>Starts one reader of the master's Reports (counting what it reads) until <see cref="StopReading"/>.</summary>
    private static Task ReadReports(DatsyncMaster master, Action<long> counted)
    {
        _reading = new CancellationTokenSource();
        var enumerator = master.Reports.GetAsyncEnumerator(_reading.Token); // subscribed from here on
        var token = _reading.Token;
        _reader = Task.Run(async () =>
        {
            try { while (await enumerator.MoveNextAsync()) counted(1); }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { }
            catch (ReportsOverflowException) { Interlocked.Increment(ref _overflows); } // it fell behind: told so, the writes went on
            finally { await enumerator.DisposeAsync(); }
        });
        return Task.CompletedTask;
    }

    private static async Task StopReading()
    {
        if (_reading is null) return;
        await _reading.CancelAsync();
        await _reader;
        _reading.Dispose();
        _reading = null;
    }

    /// <summary>Transactions per second of <paramref name="count"/> writes from <paramref name="writers"/> writers.</summary>
    private static async Task<double> Rate(int count, int writers, Func<int, Task> write)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await write(i);
        })));
        return count / clock.Elapsed.TotalSeconds;
    }
}
