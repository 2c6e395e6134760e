using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// `scopes`: N scoped clients on one master value, each a user owning two documents (its own small scope), and a stream
/// of transactions each retitling one document of ~1% of the clients. Measured on the routing itself, in process and
/// without actors (the work a per-master scope router does per transaction): <see cref="ScopeRouter{TClient}"/>'s
/// route, the index entries it examined, the clients concerned, and route + <see cref="ScopeDelta.Of"/> for the
/// concerned clients only; beside it, the way the sessions do it today: <see cref="ScopeDelta.Of"/> for every client.
/// Then the bootstrap of one client's scope of ~10k datoms out of a 1M-datom master (the scope's evaluation, its
/// bootstrap datoms, the filtered value and the session's image of it). Then the delivery through the actors
/// (<see cref="ScopesDeliveryBench"/>; <c>--no-deliver</c> skips it).
/// </summary>
internal static class ScopesBench
{
    internal const string SchemaEdn = """
        [{:db/ident :user/id   :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key   :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}]
        """;

    internal const string Rules = """
        [[(me ?client ?u) [?u :user/id ?client]]
         [(visible ?client ?roles ?u) (me ?client ?u)]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]]
        """;

    private sealed class Client(ClientIdentity id)
    {
        public readonly ClientIdentity Id = id;
        public ScopeState State = null!;
    }

    public static int Run(string[] args)
    {
        var sizes = new[] { 1_000, 10_000, 100_000 };
        var txs = 200;
        var naiveTxs = 5;
        var bootstrap = true;
        var routing = true;
        var deliver = true;
        var deliverClients = new[] { 1_000, 10_000 };
        var deliverTxs = 200;
        var deliverWindow = 4;
        for (var i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--clients": sizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--txs": txs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--naive-txs": naiveTxs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--no-bootstrap": bootstrap = false; break;
                case "--no-routing": routing = false; break;
                case "--no-deliver": deliver = false; break;
                case "--deliver-clients": deliverClients = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--deliver-txs": deliverTxs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--deliver-window": deliverWindow = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--quick": sizes = [1_000, 10_000]; txs = 50; naiveTxs = 2; deliverClients = [1_000]; deliverTxs = 50; break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (deliverClients.Length == 0 || deliverClients.Any(n => n < 1) || deliverTxs < 1 || deliverWindow < 1)
        {
            Console.Error.WriteLine("--deliver-clients must list counts >= 1, --deliver-txs and --deliver-window must be >= 1\n" + Usage);
            return 2;
        }
        var policy = ScopePolicy.Create(Rules);
        var rows = new List<string>();
        foreach (var n in routing ? sizes : [])
        {
            rows.Add(Routing(policy, n, txs, naiveTxs));
            GC.Collect();
        }
        var boot = bootstrap ? Bootstrap(policy) : null;

        if (rows.Count > 0) RoutingTable(rows);
        if (boot is not null)
        {
            Console.WriteLine();
            Console.WriteLine(boot);
        }
        if (deliver)
        {
            Console.Out.Flush();
            ScopesDeliveryBench.Run(new ScopesDeliveryBench.Options(deliverClients, deliverTxs, deliverWindow), Console.Out, Console.Error);
        }
        return 0;
    }

    internal const string Usage =
        "usage: Datsync.Benchmarks scopes [--clients 1000,10000,100000] [--txs N] [--naive-txs N] [--no-routing] [--no-bootstrap]\n" +
        "                                 [--no-deliver] [--deliver-clients 1000,10000] [--deliver-txs N] [--deliver-window N] [--quick]\n" +
        "  --clients          client counts of the routing table (in process, no actors; default 1000,10000,100000)\n" +
        "  --txs, --naive-txs transactions measured per routing row (200), and filtered by every scope (5)\n" +
        "  --no-routing       skip the routing table; --no-bootstrap: the scoped bootstrap of 10k of 1M datoms\n" +
        "  --no-deliver       skip the delivery through the actors (real master, N scoped replicas, unscoped fan-out beside it)\n" +
        "  --deliver-clients  scoped replicas per delivery run (default 1000,10000; unscoped runs take N/100 replicas)\n" +
        "  --deliver-txs      transactions measured per delivery run (default 200)\n" +
        "  --deliver-window   at most this many transactions committed and not applied by every replica they concern (default 4)\n" +
        "  --quick            routing at 1000,10000 with 50 transactions; delivery at 1000 clients, 50 transactions";

    private static void RoutingTable(List<string> rows)
    {
        Console.WriteLine();
        Console.WriteLine($"> machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; in process, no actors: one ScopeRouter " +
                          "over N client scopes (each a user owning 2 documents; rule: a user sees itself and the documents it owns); each " +
                          "transaction retitles one document of each of max(1, N/100) random clients. \"routed\": ScopeRouter.Route, then " +
                          "ScopeDelta.Of (on the client's own datoms of the transaction, ScopeRouting.TxDataFor) and ScopeRouter.Set for the concerned clients only. \"every scope\": ScopeDelta.Of for all N clients " +
                          "(what the scoped sessions do today, each on its own copy of every delta).");
        Console.WriteLine();
        Console.WriteLine("| clients | concerned/tx | index entries examined/tx | non-empty deltas/tx | route µs/tx p50 | ScopeRouter.Set µs/tx p50 (in route+filter) | route+filter µs/tx p50 | p99 | every scope ms/tx | every scope/routed |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows) Console.WriteLine(r);
    }

    private static Db Schema() => Db.Empty.Transact(Forms(SchemaEdn)).DbAfter;

    private static IReadOnlyList<object?> Forms(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    /// <summary>Users u{i}, each owning documents d{i}-{j} (j &lt; docs(i)), transacted a batch of users at a time.</summary>
    private static Db Build(int users, Func<int, int> docs, int batch = 500)
    {
        var db = Schema();
        for (var from = 0; from < users; from += batch)
        {
            var tx = new StringBuilder("[");
            for (var i = from; i < Math.Min(users, from + batch); i++)
            {
                tx.Append(CultureInfo.InvariantCulture, $"{{:db/id \"u{i}\" :user/id \"u{i}\"}}");
                for (var j = 0; j < docs(i); j++)
                    tx.Append(CultureInfo.InvariantCulture, $"{{:doc/key \"d{i}-{j}\" :doc/title \"t\" :doc/owner \"u{i}\"}}");
            }
            db = db.Transact(Forms(tx.Append(']').ToString())).DbAfter;
        }
        return db;
    }

    private static string Routing(ScopePolicy policy, int n, int txCount, int naiveTxs)
    {
        var setup = Stopwatch.StartNew();
        var db = Build(n, _ => 2);
        var router = new ScopeRouter<Client>();
        var clients = new Client[n];
        for (var i = 0; i < n; i++)
        {
            var c = clients[i] = new Client(ClientIdentity.Of("u" + i));
            c.State = ScopeState.Of(policy, c.Id, db);
            router.Set(c, c.State);
        }
        Console.Error.WriteLine($"scopes: {n} clients set up in {setup.Elapsed.TotalSeconds:F1}s ({db.Datoms(IndexType.Eavt).Count()} datoms)");

        var rng = new Random(42);
        var perTx = Math.Max(1, n / 100);
        var route = new List<double>();
        var sets = new List<double>();
        var total = new List<double>();
        long concerned = 0, examined = 0, delivered = 0;
        var warmup = Math.Min(10, txCount / 5);
        for (var k = 0; k < warmup + txCount; k++)
        {
            var report = db.Transact(Forms(NextTx(rng, n, perTx, k)));
            db = report.DbAfter;
            var sw = Stopwatch.StartNew();
            var routing = router.Route(db, report.TxData);
            var routed = sw.Elapsed.TotalMicroseconds;
            var c0 = 0;
            var d0 = 0;
            var set = 0.0;
            foreach (var c in routing.Concerned)
            {
                var delta = ScopeDelta.Of(c.State, db, routing.TxDataFor(c, report.TxData));
                c.State = delta.Next;
                var s0 = sw.Elapsed.TotalMicroseconds;
                router.Set(c, c.State);
                set += sw.Elapsed.TotalMicroseconds - s0;
                c0++;
                if (!delta.IsEmpty) d0++;
            }
            var all = sw.Elapsed.TotalMicroseconds;
            if (k < warmup) continue;
            route.Add(routed);
            sets.Add(set);
            total.Add(all);
            concerned += c0;
            examined += routing.Examined;
            delivered += d0;
        }

        // the way of today: every client's scope filters every delta
        var naive = new List<double>();
        for (var k = 0; k < naiveTxs; k++)
        {
            var report = db.Transact(Forms(NextTx(rng, n, perTx, txCount + warmup + k)));
            db = report.DbAfter;
            var next = new ScopeState[n];
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) next[i] = ScopeDelta.Of(clients[i].State, db, report.TxData).Next;
            naive.Add(sw.Elapsed.TotalMilliseconds);
            for (var i = 0; i < n; i++)
            {
                clients[i].State = next[i];
                router.Set(clients[i], next[i]);
            }
        }

        var routeP50 = Percentile(route, 50);
        var totalP50 = Percentile(total, 50);
        var naiveMs = naive.Count > 0 ? naive.Average() : double.NaN;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {n:N0} | {(double)concerned / txCount:F1} | {(double)examined / txCount:F1} | {(double)delivered / txCount:F1} | " +
            $"{routeP50:F1} | {Percentile(sets, 50):F1} | {totalP50:F1} | {Percentile(total, 99):F1} | {naiveMs:F2} | {naiveMs * 1000 / totalP50:F0}x |");
    }

    private static string NextTx(Random rng, int n, int perTx, int k)
    {
        var tx = new StringBuilder("[");
        foreach (var i in Enumerable.Range(0, perTx).Select(_ => rng.Next(n)).Distinct())
            tx.Append(CultureInfo.InvariantCulture, $"[:db/add [:doc/key \"d{i}-{rng.Next(2)}\"] :doc/title \"t{k}\"]");
        return tx.Append(']').ToString();
    }

    /// <summary>One client's scope of ~10k datoms (3,333 documents of 3 datoms, and its user) out of a master of ~1M
    /// datoms (999 other users with 333 documents each).</summary>
    private static string Bootstrap(ScopePolicy policy)
    {
        var setup = Stopwatch.StartNew();
        var db = Build(1_000, i => i == 0 ? 3_333 : 333, batch: 20);
        var total = db.Datoms(IndexType.Eavt).Count();
        Console.Error.WriteLine($"scopes: bootstrap master of {total:N0} datoms built in {setup.Elapsed.TotalSeconds:F1}s");
        var me = ClientIdentity.Of("u0");
        var evaluate = new List<double>();
        var datoms = new List<double>();
        var filter = new List<double>();
        var image = new List<double>();
        var count = 0;
        for (var k = 0; k < 7; k++)
        {
            var sw = Stopwatch.StartNew();
            var view = ScopeView.Of(policy, me, db);
            evaluate.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            count = view.BootstrapDatoms().Count();
            datoms.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            var (img, _) = SessionScope.ImageOf(new ServerScopes(policy), me, db, 2_000);
            image.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            _ = view.Filter();
            filter.Add(sw.Elapsed.TotalMilliseconds);
            _ = img;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"| scoped bootstrap (median of 7, first run included) | master datoms | scope datoms | evaluate scope ms | bootstrap datoms ms | filtered value ms | session image (evaluate + filter + encode) ms |\n" +
            $"|---|---:|---:|---:|---:|---:|---:|\n" +
            $"| one client | {total:N0} | {count:N0} | {Percentile(evaluate, 50):F1} | {Percentile(datoms, 50):F1} | {Percentile(filter, 50):F1} | {Percentile(image, 50):F1} |");
    }

    private static double Percentile(List<double> xs, int p)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.Order().ToList();
        return s[Math.Clamp((int)Math.Ceiling(p / 100.0 * s.Count) - 1, 0, s.Count - 1)];
    }
}
