using System.Collections;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// The query and rules cases: DataScript's bench q1..q4, qpred1, qpred2 (plus q2-swapped) on the 100k-datom people db,
/// and its recursive <c>follows</c> rule on wide trees and long chains, as /work/shared/jvm-datascript/README.md and
/// its bench.clj define them (js/ds_bench.js does the same with npm DataScript).
/// </summary>
/// <remarks>
/// The Datsync side calls the Datalog engine through <see cref="Query"/>: <c>Db.Q(string query, params object?[]
/// inputs)</c>, with the db as <c>$</c> and <c>inputs</c> bound to the rest of <c>:in</c>, returning a relation as a set
/// of <c>IReadOnlyList&lt;object?&gt;</c> tuples (were it null, the cases would be listed as "n/a (no Datalog engine)"
/// on the Datsync side and the DataScript sides would still run).
/// </remarks>
internal static partial class Cases
{
    /// <summary>The Datalog engine: (db, query text, inputs after <c>$</c>) to the query's result.</summary>
    internal static Func<Db, string, object?[], object?>? Query = (db, query, inputs) => db.Q(query, inputs);

    /// <summary>The query cases, in run order.</summary>
    public static readonly string[] QueryNames = ["q1", "q2", "q2-swapped", "q3", "q4", "qpred1", "qpred2"];

    /// <summary>The rules cases, in run order.</summary>
    public static readonly string[] RulesNames =
    [
        "rules-wide-3x3", "rules-wide-5x3", "rules-wide-7x3", "rules-wide-4x6",
        "rules-long-10x3", "rules-long-30x3", "rules-long-30x5",
    ];

    /// <summary>Whether a case needs the Datalog engine (<see cref="Query"/>).</summary>
    public static bool NeedsQuery(string name) => QueryNames.Contains(name) || RulesNames.Contains(name);

    /// <summary>The queries of the query cases (bench.clj's, keyword attributes; DataScript's bench with "Ivan" as
    /// "Anna" and its <c>[?e :sex :male]</c> filter as <c>[?e :last-name "Orlov"]</c>).</summary>
    internal static readonly Dictionary<string, string> Queries = new()
    {
        ["q1"] = """[:find ?e :where [?e :name "Anna"]]""",
        ["q2"] = """[:find ?e ?a :where [?e :name "Anna"] [?e :age ?a]]""",
        ["q2-swapped"] = """[:find ?e ?a :where [?e :age ?a] [?e :name "Anna"]]""",
        ["q3"] = """[:find ?e ?a :where [?e :name "Anna"] [?e :age ?a] [?e :last-name "Orlov"]]""",
        ["q4"] = """[:find ?e ?s ?a :where [?e :name "Anna"] [?e :salary ?s] [?e :age ?a] [?e :last-name "Orlov"]]""",
        ["qpred1"] = """[:find ?e ?s :where [?e :salary ?s] [(> ?s 50000)]]""",
        ["qpred2"] = """[:find ?e ?s :in $ ?min_s :where [?e :salary ?s] [(> ?s ?min_s)]]""",
    };

    /// <summary>qpred2's <c>?min_s</c>.</summary>
    internal const long MinSalary = 50_000;

    internal const string RulesQuery = "[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]";

    /// <summary>The transitive closure of :follows (the rules are passed to the engine as the EDN value read from this).</summary>
    internal const string FollowsRules =
        "[[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]]";

    /// <summary>(kind, depth, width) of each rules case.</summary>
    private static (bool Wide, int Depth, int Width) RulesShape(string name) => name switch
    {
        "rules-wide-3x3" => (true, 3, 3),
        "rules-wide-5x3" => (true, 5, 3),
        "rules-wide-7x3" => (true, 7, 3),
        "rules-wide-4x6" => (true, 4, 6),
        "rules-long-10x3" => (false, 10, 3),
        "rules-long-30x3" => (false, 30, 3),
        "rules-long-30x5" => (false, 30, 5),
        _ => throw new ArgumentException($"unknown rules case {name}"),
    };

    /// <summary>Check strings of the query and rules cases, from the workload (and the tree shapes) alone.</summary>
    private static string ExpectedQuery(string name, Workload w)
    {
        var anna = w.People.Where(p => p.Name == "Anna").ToArray();
        var annaOrlov = anna.Where(p => p.LastName == "Orlov").ToArray();
        var rich = w.People.Where(p => p.Salary > MinSalary).ToArray();
        return name switch
        {
            "q1" => $"results={anna.Length}",
            "q2" or "q2-swapped" => $"results={anna.Length} ageSum={anna.Sum(p => p.Age)}",
            "q3" => $"results={annaOrlov.Length} ageSum={annaOrlov.Sum(p => p.Age)}",
            "q4" => $"results={annaOrlov.Length} ageSum={annaOrlov.Sum(p => p.Age)} salarySum={annaOrlov.Sum(p => p.Salary)}",
            "qpred1" or "qpred2" => $"results={rich.Length} salarySum={rich.Sum(p => p.Salary)}",
            _ => $"results={AncestorPairs(RulesTree(name, w))}",
        };
    }

    // ------------------------------------------------------------------ rules trees (bench.clj's wide-tree / long-tree)

    /// <summary>One entity map of a rules tree: its tempid, its attributes and the tempids it follows.</summary>
    private sealed record TreeNode(string TempId, Dictionary<object, object?> Attrs, string[] Follows);

    /// <summary>The :name :last-name :age :salary of workload person (id-1) mod 20k (bench.clj's node-attrs).</summary>
    private static Dictionary<object, object?> NodeAttrs(Workload w, long id)
    {
        var p = w.People[(int)((id - 1) % w.People.Length)];
        return new() { [Name] = p.Name, [LastName] = p.LastName, [Age] = p.Age, [Salary] = p.Salary };
    }

    /// <summary>bench.clj's wide-tree: node ids from 1, the children of i are i*width .. i*width+width-1; an inner
    /// node has the person attributes, :id and :follows, a leaf the person attributes only. Depth-first, parent first.</summary>
    private static void WideTree(Workload w, long id, int depth, int width, List<TreeNode> into)
    {
        var attrs = NodeAttrs(w, id);
        if (depth > 0)
        {
            var children = Enumerable.Range(0, width).Select(k => id * width + k).ToArray();
            attrs[Id] = id;
            into.Add(new TreeNode(id.ToString(), attrs, children.Select(c => c.ToString()).ToArray()));
            foreach (var c in children) WideTree(w, c, depth - 1, width, into);
        }
        else into.Add(new TreeNode(id.ToString(), attrs, []));
    }

    /// <summary>bench.clj's long-tree: width chains of depth+1 nodes; for each step a map
    /// {:db/id from :name "Ivan" :follows to} and a map {:db/id to :name "Ivan"} (DataScript's eids 1.. are tempids here:
    /// Datsync takes only existing entity ids).</summary>
    private static void LongTree(int depth, int width, List<TreeNode> into)
    {
        for (var x = 0; x < width; x++)
            for (var y = 0; y < depth; y++)
            {
                var from = x * (depth + 1) + y + 1;
                var to = from + 1;
                into.Add(new TreeNode(from.ToString(), new() { [Name] = "Ivan" }, [to.ToString()]));
                into.Add(new TreeNode(to.ToString(), new() { [Name] = "Ivan" }, []));
            }
    }

    private static List<TreeNode> RulesTree(string name, Workload w)
    {
        var (wide, depth, width) = RulesShape(name);
        var nodes = new List<TreeNode>();
        if (wide) WideTree(w, 1, depth, width, nodes);
        else LongTree(depth, width, nodes);
        return nodes;
    }

    /// <summary>The number of (ancestor, descendant) pairs of the :follows forest: what the rule's closure finds.</summary>
    private static long AncestorPairs(List<TreeNode> nodes)
    {
        var children = new Dictionary<string, HashSet<string>>();
        foreach (var n in nodes)
        {
            if (!children.TryGetValue(n.TempId, out var set)) children[n.TempId] = set = [];
            set.UnionWith(n.Follows);
        }
        var memo = new Dictionary<string, long>();
        long Descendants(string id)
        {
            if (memo.TryGetValue(id, out var known)) return known;
            long n = 0;
            if (children.TryGetValue(id, out var cs))
                foreach (var c in cs) n += 1 + Descendants(c);
            return memo[id] = n;
        }
        return children.Keys.Sum(Descendants);
    }

    // ------------------------------------------------------------------ cases

    static partial void AddQueryCases(Workload w, List<BenchCase> list)
    {
        foreach (var name in QueryNames) list.Add(new(name, () => QueryCase(name)));
        foreach (var name in RulesNames) list.Add(new(name, () => RulesCase(name, w)));
    }

    private static Func<Db, string, object?[], object?> Engine =>
        Query ?? throw new InvalidOperationException("no Datalog engine: Cases.Query is not set");

    /// <summary>A query of <see cref="Queries"/> on the 100k-datom db (all person maps in one transaction, as
    /// DataScript's bench builds its *db100k).</summary>
    private static Prepared QueryCase(string name)
    {
        var q = Engine;
        var db = FullDb;
        var text = Queries[name];
        object?[] inputs = name == "qpred2" ? [MinSalary] : [];
        return new Prepared(() => q(db, text, inputs) ?? throw new InvalidOperationException($"{name}: the query returned nil"), r =>
        {
            var rows = Rows(name, r);
            return name switch
            {
                "q1" => $"results={rows.Count}",
                "q2" or "q2-swapped" or "q3" => $"results={rows.Count} ageSum={SumColumn(rows, 1)}",
                "q4" => $"results={rows.Count} ageSum={SumColumn(rows, 2)} salarySum={SumColumn(rows, 1)}",
                "qpred1" or "qpred2" => $"results={rows.Count} salarySum={SumColumn(rows, 1)}",
                _ => throw new ArgumentException($"unknown query case {name}"),
            };
        });
    }

    /// <summary>The follows closure on a tree db built (untimed) as bench.clj builds it: one transaction of the tree's
    /// entity maps on the schema db.</summary>
    private static Prepared RulesCase(string name, Workload w)
    {
        var q = Engine;
        var tx = RulesTree(name, w).Select(object? (n) =>
        {
            var m = new Dictionary<object, object?>(n.Attrs) { [BuiltIns.DbId] = n.TempId };
            if (n.Follows.Length == 1) m[Follows] = n.Follows[0];
            else if (n.Follows.Length > 1) m[Follows] = n.Follows.Cast<object?>().ToList();
            return m;
        }).ToList();
        var db = SchemaDb.Transact(tx).DbAfter;
        object?[] inputs = [EdnReader.Read(FollowsRules)];
        return new Prepared(() => q(db, RulesQuery, inputs) ?? throw new InvalidOperationException($"{name}: the query returned nil"),
            r => $"results={Rows(name, r).Count}");
    }

    /// <summary>The tuples of a relation (a set of <c>IReadOnlyList&lt;object?&gt;</c>), or a loud failure.</summary>
    private static List<IReadOnlyList<object?>> Rows(string name, object r)
    {
        if (r is not IEnumerable e || r is string)
            throw new InvalidOperationException($"{name}: the query returned {r.GetType().Name}, expected a set of tuples");
        var rows = new List<IReadOnlyList<object?>>();
        foreach (var t in e)
            rows.Add(t as IReadOnlyList<object?> ?? throw new InvalidOperationException($"{name}: a result row is {t?.GetType().Name ?? "nil"}, expected a tuple"));
        return rows;
    }

    private static long SumColumn(List<IReadOnlyList<object?>> rows, int i)
    {
        long sum = 0;
        foreach (var row in rows) sum += Convert.ToInt64(row[i], System.Globalization.CultureInfo.InvariantCulture);
        return sum;
    }
}
