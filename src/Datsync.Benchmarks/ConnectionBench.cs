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
        const int writers = 16;
        return RunAsync(count, writers).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int count, int writers)
    {
        var rows = new List<string>();
        await using (var master = await Master("bench-conn-a"))
        {
            await Warm(master);
            var raw = await Rate(count, writers, i => RawAsk(master, Form(i, "raw")));
            var api = await Rate(count, writers, i => master.TransactAsync([Form(i, "api")]));
            rows.Add(Row($"master writes/s, {writers} writers: TransactAsync vs the transactor's Ask", api, raw));
        }
        await using (var master = await Master("bench-conn-b"))
        {
            await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "bench", ServerSystemName = "bench-conn-b" });
            await Warm(replica);
            var text = await Rate(count / 2, writers, i => replica.TransactAsync([AsList(Form(i, "text"))]));
            var forms = await Rate(count / 2, writers, i => replica.TransactAsync([Form(i, "forms")]));
            rows.Add(Row($"in-process replica writes/s, {writers} writers: EDN forms vs .NET lists (text)", forms, text));
        }
        await using (var master = await Master("bench-conn-c"))
        {
            await Warm(master);
            var none = await Rate(count, writers, i => master.TransactAsync([Form(i, "quiet")]));
            using var stop = new CancellationTokenSource();
            var read = 0L;
            var reader = Task.Run(async () =>
            {
                try { await foreach (var _ in master.Reports.WithCancellation(stop.Token)) read++; }
                catch (OperationCanceledException) { }
            });
            var one = await Rate(count, writers, i => master.TransactAsync([Form(i, "read")]));
            await stop.CancelAsync();
            await reader;
            rows.Add(Row($"master writes/s with one Reports reader ({read:N0} read) vs none", one, none));
        }

        Console.WriteLine();
        Console.WriteLine($"> machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; in-memory journal; {count:N0} single-entity transactions per case");
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
