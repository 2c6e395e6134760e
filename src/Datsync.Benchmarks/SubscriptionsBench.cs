using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// `subscriptions`: an in-process replica of the people workload (100k datoms) with N live subscriptions of mixed shapes
/// (a pull of one person, a three-pattern query by :id, a one-pattern query on one entity), and a stream of transactions
/// each changing the age and salary of a few subscribed people. Per transaction: the subscriptions the topic index
/// examined, re-evaluated and emitted, the time to route and re-evaluate, and the time from the master's TransactAsync to
/// the replica's emitted results; beside it, in the same run, the naive way: every subscription re-run after every
/// transaction.
/// </summary>
internal static class SubscriptionsBench
{
    private static readonly Keyword Id = Keyword.Intern("id"), Age = Keyword.Intern("age"), Salary = Keyword.Intern("salary");

    private const string ById = "[:find ?n ?a ?s :in $ ?id :where [?e :id ?id] [?e :name ?n] [?e :age ?a] [?e :salary ?s]]";
    private const string PullPattern = "[:name :last-name :age]";

    public static int Run(string[] args)
    {
        var sizes = new[] { 1_000, 10_000, 100_000 };
        var txs = 300;
        var naiveTxs = 5;
        for (var i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--sizes": sizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--txs": txs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--naive-txs": naiveTxs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--quick": sizes = [1_000, 10_000]; txs = 100; naiveTxs = 3; break;
                default:
                    Console.Error.WriteLine("usage: Datsync.Benchmarks subscriptions [--sizes 1000,10000,100000] [--txs N] [--naive-txs N] [--quick]");
                    return 2;
            }
        }
        var rows = new List<string>();
        foreach (var n in sizes) rows.Add(RunAsync(n, txs, naiveTxs).GetAwaiter().GetResult());
        Console.WriteLine();
        Console.WriteLine($"> machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; in-memory master, one in-process replica; " +
                          $"people workload (20,000 people, 100k datoms); subscriptions: 40% pull {PullPattern} of [:id k], 40% {ById}, " +
                          "20% [:find ?a :where [e :age ?a]]; each transaction sets :age and :salary of 4 subscribed people");
        Console.WriteLine();
        Console.WriteLine("| subscriptions | examined/tx | re-evaluated/tx | emitted/tx | route+re-evaluate µs/tx (p50) | transact→result ms p50 | p99 | naive re-run all ms/tx | naive/routed |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows) Console.WriteLine(r);
        return 0;
    }

    private static async Task<string> RunAsync(int n, int txCount, int naiveTxs)
    {
        var workload = Workload.Generate(Workload.DefaultSeed);
        var name = "bench-subs-" + n;
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Storage = { Kind = "memory" }, SnapshotEvery = 0, Hocon = "akka.loglevel = WARNING",
        });
        await master.TransactAsync(Cases.SchemaTx());
        await master.TransactAsync(Cases.PersonMapsOf(workload));
        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "bench", ServerSystemName = name });
        await replica.SyncAsync(master.Db.BasisT);
        Console.Error.WriteLine($"subscriptions={n}: replica at t={replica.Db.BasisT}, subscribing");

        var rng = new Random(42);
        var subs = new List<QuerySubscription>(n);
        var subscribed = new List<long>(); // person :id values with a subscription
        var db = replica.Db;
        for (var i = 0; i < n; i++)
        {
            var person = workload.People[rng.Next(workload.People.Length)].Id;
            subscribed.Add(person);
            var kind = i % 5;
            subs.Add(kind switch
            {
                0 or 1 => replica.SubscribePull(PullPattern, new object?[] { Id, person }),
                2 or 3 => replica.Subscribe(ById, person),
                _ => replica.Subscribe($"[:find ?a :where [{db.EntId(new object?[] { Id, person })} :age ?a]]"),
            });
        }
        var started = Stopwatch.StartNew();
        while (subs.Any(s => s.Current is null))
        {
            if (started.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("the first results took over 5 minutes");
            await Task.Delay(50);
        }
        Console.Error.WriteLine($"subscriptions={n}: first results in {started.Elapsed.TotalSeconds:F1} s; {txCount} transactions");

        var steps = new ConcurrentDictionary<long, LiveStep>();
        var done = new ConcurrentDictionary<long, TaskCompletionSource<long>>();
        replica.Live.Stepped = s =>
        {
            steps[s.T] = s;
            done.GetOrAdd(s.T, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(Stopwatch.GetTimestamp());
        };

        var latencies = new List<double>();
        var ts = new List<long>();
        var version = 0;
        for (var i = 0; i < txCount + 20; i++)
        {
            var forms = new List<object?>();
            version++;
            var people = new HashSet<long>();
            while (people.Count < 4) people.Add(subscribed[rng.Next(subscribed.Count)]);
            var k = 0;
            foreach (var person in people)
            {
                k++;
                forms.Add(new EdnVector(Keyword.Intern("db/add"), new EdnVector(Id, person), Age, 20L + (version + k) % 60));
                forms.Add(new EdnVector(Keyword.Intern("db/add"), new EdnVector(Id, person), Salary, 1000L * version + k));
            }
            var t0 = Stopwatch.GetTimestamp();
            var t = (await master.TransactAsync(forms)).T;
            var emitted = await done.GetOrAdd(t, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task
                .WaitAsync(TimeSpan.FromMinutes(1));
            if (i < 20) continue; // warmup
            latencies.Add(Stopwatch.GetElapsedTime(t0, emitted).TotalMilliseconds);
            ts.Add(t);
        }
        var measured = ts.Select(t => steps[t]).ToList();

        // the naive way, on the same values: every subscription run again after a transaction
        var naive = new List<double>();
        var now = replica.SyncedDb;
        var queries = Enumerable.Range(0, n).Select(i => (Kind: i % 5, Person: subscribed[i])).ToList();
        for (var r = 0; r < naiveTxs; r++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var (kind, person) in queries)
            {
                _ = kind switch
                {
                    0 or 1 => now.Pull(EdnReader.Read(PullPattern)!, now.EntId(new object?[] { Id, person })!),
                    2 or 3 => now.Q(ById, person),
                    _ => now.Q($"[:find ?a :where [{now.EntId(new object?[] { Id, person })} :age ?a]]"),
                };
            }
            naive.Add(sw.Elapsed.TotalMilliseconds);
        }
        foreach (var s in subs) s.Dispose();

        double P(List<double> xs, double p)
        {
            var sorted = xs.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        }
        var route = P(measured.Select(s => s.Elapsed.TotalMicroseconds).ToList(), 0.5);
        var naiveMs = P(naive, 0.5);
        return $"| {n:N0} | {measured.Average(s => s.Examined):F1} | {measured.Average(s => s.Evaluated):F1} | {measured.Average(s => s.Emitted):F1} | " +
               $"{route:F0} | {P(latencies, 0.5):F2} | {P(latencies, 0.99):F2} | {naiveMs:F1} | {naiveMs * 1000 / route:N0}x |";
    }
}
