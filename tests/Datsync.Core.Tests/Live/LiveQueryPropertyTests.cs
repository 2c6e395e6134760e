using CsCheck;
using Datsync.Core;
using Datsync.Core.Tests.Properties;

namespace Datsync.Core.Tests.Live;

/// <summary>
/// Live queries against the naive rule "re-run after every transaction, emit when different": over random
/// transaction streams, what <see cref="LiveQuery.Next"/> keeps equals a fresh run, it says changed exactly when the
/// fresh result differs, and the topic index names every subscription whose result changed.
/// </summary>
public class LiveQueryPropertyTests
{
    private const string Ancestors = """
        [[(anc ?x ?y) [?x :w/parent ?y]]
         [(anc ?x ?y) [?x :w/parent ?z] (anc ?z ?y)]]
        """;

    /// <summary>Queries of every shape the topics handle: joins, constants, not, or, rules, predicates, functions
    /// reading the database, aggregates, pulls, lookup refs, attribute variables and inputs.</summary>
    public static readonly (string Query, object?[] Inputs)[] Queries =
    [
        ("[:find ?k ?a :where [?e :w/key ?k] [?e :w/age ?a]]", []),
        ("[:find ?e ?a :where [?e :w/age ?a]]", []),
        ("[:find ?e :where [?e :w/tags :tag/t1]]", []),
        ("[:find ?k :where [?e :w/key ?k] [?e :w/tags :tag/t1]]", []),
        ("[:find ?k ?fk :where [?e :w/key ?k] [?e :w/friend ?f] [?f :w/key ?fk]]", []),
        ("[:find ?fa :where [?e :w/key \"k3\"] [?e :w/friend ?f] [?f :w/age ?fa]]", []),
        ("[:find ?k :where [?e :w/key ?k] (not [?e :w/age 2])]", []),
        ("[:find ?k :where [?e :w/key ?k] (not-join [?e] [?e :w/friend ?f] [?f :w/age 1])]", []),
        ("[:find ?k :where [?e :w/key ?k] (or [?e :w/age 1] [?e :w/rank 3])]", []),
        ("[:find (count ?e) . :where [?e :w/key]]", []),
        ("[:find ?k (max ?a) :where [?e :w/key ?k] [?e :w/part ?p] [?p :w/age ?a]]", []),
        ("[:find ?k ?ag :where [?e :w/key ?k] [(get-else $ ?e :w/age -1) ?ag]]", []),
        ("[:find ?k :where [?e :w/key ?k] [(missing? $ ?e :w/parent)]]", []),
        ("[:find ?k :where [?e :w/key ?k] [(missing? $ ?e :w/_parent)]]", []),
        ("[:find (pull ?e [:w/key :w/age {:w/friend [:w/key]}]) :where [?e :w/rank ?r] [(> ?r 1)]]", []),
        ("[:find ?k ?ak :in $ % :where [?e :w/key ?k] (anc ?e ?a) [?a :w/key ?ak]]", [Ancestors]),
        ("[:find ?v :where [[:w/key \"k1\"] :w/age ?v]]", []),
        ("[:find ?k :in $ ?min :where [?e :w/key ?k] [?e :w/score ?s] [(>= ?s ?min)]]", [1.0]),
        ("[:find ?k :in $ [?x ...] :where [?e :w/key ?x] [?e :w/email ?k]]", [new object?[] { "k1", "k2" }]),
        ("[:find ?a ?v :where [?e :w/key \"k2\"] [?e ?a ?v]]", []),
        ("[:find ?e . :where [?e :w/email \"e1@x\"]]", []),
        ("[:find [?k ...] :where [?e :w/key ?k] [?e :w/tags ?t] [(= ?t :tag/t2)]]", []),
        ("[:find ?k ?pk :where [?e :w/key ?k] [?e :w/parent [:w/key \"k0\"]] [?e :w/parent ?p] [?p :w/key ?pk]]", []),
        ("[:find ?r (count ?e) :where [?e :w/rank ?r] [(< ?r 3)]]", []),
    ];

    private static readonly (string Pattern, object Entity)[] Pulls =
    [
        ("[:w/key :w/age {:w/part [:w/age]} :w/_friend]", new object?[] { RandomWorkload.K(":w/key"), "k1" }),
        ("[:w/key {:w/parent ...}]", new object?[] { RandomWorkload.K(":w/key"), "k2" }),
        ("[*]", new object?[] { RandomWorkload.K(":w/key"), "k3" }),
    ];

    /// <summary>A fresh result, or the message of the error the query fails with on this value.</summary>
    private static (object? Result, string? Error) Fresh(Func<object?> run)
    {
        try { return (run(), null); }
        catch (QueryException e) { return (null, e.Message); }
    }

    private static IEnumerable<(string Name, LiveQuery Live, Func<Db, object?> Fresh)> Subscriptions()
    {
        foreach (var (q, inputs) in Queries)
            yield return (q, LiveQuery.Of(q, inputs), db => db.Q(q, inputs));
        foreach (var (p, e) in Pulls)
        {
            var pattern = EdnReader.Read(p)!;
            yield return ($"pull {p}", LiveQuery.OfPull(pattern, e), db => db.EntId(e) is { } id ? db.Pull(pattern, id) : null);
        }
    }

    /// <summary>Clauses over the workload's schema to draw random queries from: joins through refs, constants,
    /// predicates, functions, not, or, and a free attribute.</summary>
    private static readonly string[] Pool =
    [
        "[?e :w/key ?k]", "[?e :w/age ?a]", "[?e :w/rank ?r]", "[?e :w/tags ?t]", "[?e :w/friend ?f]", "[?f :w/key ?fk]",
        "[?e :w/parent ?p]", "[?p :w/age ?pa]", "[?e :w/part ?c]", "[?c :w/age ?ca]", "[?e :w/score ?s]", "[?e :w/email ?m]",
        "[?e :w/tags :tag/t3]", "[?e :w/age 2]", "[(> ?a 1)]", "[(<= ?r ?a)]", "[(str ?k \"!\") ?ks]",
        "(not [?e :w/rank 1])", "(or [?e :w/age 0] [?e :w/rank 4])", "[?f ?fa ?fv]", "[(get-else $ ?e :w/rank 0) ?gr]",
    ];

    private static readonly Gen<string> RandomQuery =
        Gen.Int[0, Pool.Length - 1].Array[1, 4].Select(picks =>
        {
            var clauses = picks.Distinct().Select(i => Pool[i]).ToList();
            var vars = clauses.SelectMany(c => System.Text.RegularExpressions.Regex.Matches(c, @"\?\w+").Select(m => m.Value)).Distinct().ToList();
            return $"[:find {string.Join(" ", vars.Take(3))} :where {string.Join(" ", clauses)}]";
        });

    [Fact]
    public void Random_subscriptions_over_random_streams_keep_what_a_fresh_run_finds()
    {
        Gen.Select(RandomWorkload.Stream, RandomQuery.Array[1, 6]).Sample((stream, queries) =>
        {
            var subs = new List<(string, LiveQuery, Func<Db, object?>)>();
            foreach (var q in queries)
            {
                LiveQuery live;
                try { live = LiveQuery.Of(q, []); }
                catch (QueryException) { continue; } // a query the parser refuses (a predicate of variables nothing binds)
                subs.Add((q, live, db => db.Q(q)));
            }
            Check(stream, subs);
        }, iter: 150);
    }

    [Fact]
    public void A_live_query_keeps_what_a_fresh_run_finds_and_changes_exactly_when_it_does()
    {
        RandomWorkload.Stream.Sample(stream => Check(stream, Subscriptions().ToList()), iter: 150);
    }

    private static void Check(RandomWorkload.OpSpec[][] stream, List<(string Name, LiveQuery Live, Func<Db, object?> Fresh)> subs)
    {
        {
            var db = RandomWorkload.Installed();
            var last = subs.Select(s => s.Live.Run(db)).ToArray();
            var index = new TopicIndex<object>();
            var keys = subs.Select(_ => new object()).ToArray();
            for (var i = 0; i < subs.Count; i++) index.Set(keys[i], last[i].Topics);
            foreach (var ops in stream)
            {
                TxReport report;
                try { report = db.Transact(RandomWorkload.Forms(ops)); }
                catch (TxRejectedException) { continue; }
                var affected = index.Affected(report.TxData, out _);
                for (var i = 0; i < subs.Count; i++)
                {
                    var (name, live, fresh) = subs[i];
                    var (expected, error) = Fresh(() => ResultValues.Canonical(fresh(report.DbAfter)));
                    var changedForReal = !EdnEquality.Instance.Equals(expected, last[i].Result) || error != last[i].Error?.Message;
                    var (next, changed, _) = live.Next(last[i], report.DbAfter, report.TxData);
                    var where = $"{name} after {EdnPrinter.Print(RandomWorkload.Forms(ops))}";
                    Assert.Equal(error, next.Error?.Message);
                    Assert.True(EdnEquality.Instance.Equals(expected, next.Result),
                        $"{where}: kept {EdnPrinter.Print(next.Result)}, a fresh run finds {EdnPrinter.Print(expected)}");
                    Assert.True(changed == changedForReal, $"{where}: changed={changed}, but the result {(changedForReal ? "changed" : "did not change")}");
                    Assert.True(!changedForReal || affected.Contains(keys[i]), $"{where}: the index missed a changed subscription");
                    Assert.Equal(report.DbAfter.BasisT, next.T);
                    if (!ReferenceEquals(next, last[i])) index.Set(keys[i], next.Topics);
                    last[i] = next;
                }
                db = report.DbAfter;
            }
        }
    }
}
