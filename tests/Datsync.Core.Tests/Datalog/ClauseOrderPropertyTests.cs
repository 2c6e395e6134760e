using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>What a query finds does not depend on the order of its <c>:where</c> clauses, on the planner (the
/// planner's order against the written one, DataScript's), or on how a value comes in (a constant, an input, a
/// relation or collection input, or a clause that binds it).</summary>
public class ClauseOrderPropertyTests
{
    private static readonly string[] Clauses =
    [
        "[?a :node/parent ?b]",
        "[?b :node/age ?ab]",
        "[?a :node/age ?aa]",
        "[(<= ?aa ?ab)]",
        "[?a :node/friend ?f]",
        "[?f :node/id ?fid]",
        "[?a :node/id ?id]",
        "(or-join [?b] [?b :node/age 1] [?b :node/age 2] [?b :node/age 3])",
        "(not-join [?f] [?f :node/age 0])",
        "[(+ ?aa ?ab) ?sum]",
    ];

    private static readonly Gen<(int Age, int Parent, int Friend)[]> Nodes =
        Gen.Select(Gen.Int[0, 4], Gen.Int[-1, 7], Gen.Int[-1, 7]).Array[1, 8];

    private static Db Build((int Age, int Parent, int Friend)[] nodes)
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :node/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :node/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
             {:db/ident :node/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
             {:db/ident :node/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
            """).DbAfter;
        db = db.Transact("[" + string.Concat(nodes.Select((n, i) => $"{{:node/id {i} :node/age {n.Age}}}")) + "]").DbAfter;
        var links = new List<string>();
        for (var i = 0; i < nodes.Length; i++)
        {
            if (nodes[i].Parent >= 0 && nodes[i].Parent < nodes.Length) links.Add($"[:db/add [:node/id {i}] :node/parent [:node/id {nodes[i].Parent}]]");
            if (nodes[i].Friend >= 0 && nodes[i].Friend < nodes.Length) links.Add($"[:db/add [:node/id {i}] :node/friend [:node/id {nodes[i].Friend}]]");
        }
        return links.Count == 0 ? db : db.Transact("[" + string.Concat(links) + "]").DbAfter;
    }

    private static object? Run(Db db, IEnumerable<string> clauses) =>
        db.Q("[:find ?id ?fid ?sum :where " + string.Join(" ", clauses) + "]");

    [Fact]
    public void Shuffling_the_where_clauses_does_not_change_the_result()
    {
        Gen.Select(Nodes, Gen.Int).Sample((nodes, seed) =>
        {
            var db = Build(nodes);
            var expected = Run(db, Clauses);
            var shuffled = Clauses.ToArray();
            new Random(seed).Shuffle(shuffled);
            var actual = Run(db, shuffled);
            Assert.True(EdnEquality.Instance.Equals(expected, actual),
                $"{string.Join(" ", shuffled)}: {EdnPrinter.Print(actual)} instead of {EdnPrinter.Print(expected)}");
        }, iter: 200);
    }

    [Fact]
    public void The_written_order_finds_what_a_hand_computed_join_finds()
    {
        Nodes.Sample(nodes =>
        {
            var db = Build(nodes);
            var n = nodes.Length;
            var expected = new HashSet<(long, long, long)>();
            for (var a = 0; a < n; a++)
            {
                var b = nodes[a].Parent;
                var f = nodes[a].Friend;
                if (b < 0 || b >= n || f < 0 || f >= n) continue;
                var (aa, ab) = (nodes[a].Age, nodes[b].Age);
                if (aa <= ab && ab is >= 1 and <= 3 && nodes[f].Age != 0) expected.Add((a, f, aa + ab));
            }
            var actual = ((EdnSet)Run(db, Clauses)!).Select(r => (EdnVector)r!)
                .Select(r => ((long)r[0]!, (long)r[1]!, (long)r[2]!)).ToHashSet();
            Assert.True(expected.SetEquals(actual));
        }, iter: 200);
    }

    /// <summary>A clause for random queries: the variables it needs bound before it in written order, and those it binds.</summary>
    private sealed record Part(string Text, string[] Needs, string[] Binds);

    private static Part P(string text, string needs, string binds) =>
        new(text, needs.Split(' ', StringSplitOptions.RemoveEmptyEntries), binds.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static readonly Part[] Pool =
    [
        P("[?a :node/parent ?b]", "", "?a ?b"),
        P("[?b :node/age ?ab]", "", "?b ?ab"),
        P("[?a :node/age ?aa]", "", "?a ?aa"),
        P("[?a :node/friend ?f]", "", "?a ?f"),
        P("[?f :node/id ?fid]", "", "?f ?fid"),
        P("[?a :node/id ?id]", "", "?a ?id"),
        P("[?b :node/id ?bid]", "", "?b ?bid"),
        P("[?f :node/age 2]", "", "?f"),
        P("[(<= ?aa ?ab)]", "?aa ?ab", ""),
        P("[(> ?fid 2)]", "?fid", ""),
        P("[(+ ?aa ?ab) ?sum]", "?aa ?ab", "?sum"),
        P("(or-join [?b] [?b :node/age 1] [?b :node/age 2] [?b :node/age 3])", "", "?b"),
        P("(or [?a :node/parent ?b] [?a :node/friend ?b])", "", "?a ?b"),
        P("(not-join [?f] [?f :node/age 0])", "?f", ""),
        P("(not [?a :node/age 4])", "?a", ""),
        P("(not [?a :node/friend ?b] [?b :node/age 1])", "?a ?b", ""),
    ];

    /// <summary>Up to <paramref name="most"/> parts in a random order, at least one pattern among them, with patterns
    /// added that bind what the others need (but <paramref name="given"/>).</summary>
    private static List<Part> Pick(Random random, int most, IEnumerable<Part>? with = null, params string[] given)
    {
        var parts = Pool.OrderBy(_ => random.Next()).Take(random.Next(1, most + 1)).Concat(with ?? []).Append(Pool[random.Next(7)]).Distinct().ToList();
        while (parts.SelectMany(p => p.Needs).Except(parts.SelectMany(p => p.Binds)).Except(given).FirstOrDefault() is { } missing)
            parts.Add(Pool.First(p => p.Needs.Length == 0 && p.Binds.Contains(missing)));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(parts));
        return parts;
    }

    /// <summary>The parts in an order they can be written in (each after what binds its needs), keeping the given
    /// order where it can; null when some part needs a variable no part binds.</summary>
    private static List<Part>? Writable(IEnumerable<Part> parts, IEnumerable<string> bound) => Placed(parts, bound, _ => true);

    /// <summary>The parts with each plain <c>not</c> after what binds its variables (the planner keeps a plain not in
    /// its place, since what is bound there says what it means; the rest it orders itself).</summary>
    private static List<Part>? NotsPlaced(IEnumerable<Part> parts, IEnumerable<string> bound) =>
        Placed(parts, bound, p => p.Text.StartsWith("(not ", StringComparison.Ordinal));

    private static List<Part>? Placed(IEnumerable<Part> parts, IEnumerable<string> bound, Func<Part, bool> placed)
    {
        var have = new HashSet<string>(bound);
        var left = parts.ToList();
        var order = new List<Part>();
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(p => !placed(p) || p.Needs.All(have.Contains));
            if (next is null) return null;
            left.Remove(next);
            order.Add(next);
            have.UnionWith(next.Binds);
        }
        return order;
    }

    private static string Query(IEnumerable<Part> parts, string find, string @in = "") =>
        $"[:find {find} {(@in.Length > 0 ? ":in $ " + @in + " " : "")}:where {string.Join(" ", parts.Select(p => p.Text))}]";

    private static string FindOf(IEnumerable<Part> parts, params string[] except) =>
        string.Join(" ", parts.SelectMany(p => p.Binds).Distinct().Where(v => !except.Contains(v)).Order(StringComparer.Ordinal));

    private static readonly QueryOptions WrittenOrder = new(Planner: false);

    private static void AssertSame(object? expected, object? actual, string what) =>
        Assert.True(EdnEquality.Instance.Equals(expected, actual), $"{what}: {EdnPrinter.Print(actual)} instead of {EdnPrinter.Print(expected)}");

    [Fact]
    public void A_random_query_finds_the_same_in_any_order_with_the_planner_or_in_written_order()
    {
        Gen.Select(Nodes, Gen.Int).Sample((nodes, seed) =>
        {
            var db = Build(nodes);
            var random = new Random(seed);
            if (NotsPlaced(Pick(random, 6), []) is not { } parts || Writable(parts, []) is not { } written) return;
            var find = FindOf(parts);
            var planned = db.Q(Query(parts, find));
            AssertSame(planned, db.Q(WrittenOrder, Query(written, find)), "in written order " + Query(written, find));
            var shuffled = parts.ToArray();
            random.Shuffle(shuffled);
            shuffled = NotsPlaced(shuffled, [])!.ToArray();
            AssertSame(planned, db.Q(Query(shuffled, find)), "reordered " + Query(shuffled, find));
            if (Writable(shuffled, []) is { } other)
                AssertSame(planned, db.Q(WrittenOrder, Query(other, find)), "in written order " + Query(other, find));
        }, iter: 300);
    }

    private static readonly Part[] WithX =
    [
        P("[?a :node/age ?x]", "", "?a ?x"),
        P("[?b :node/age ?x]", "", "?b ?x"),
        P("[(< ?x ?ab)]", "?x ?ab", ""),
        P("(not [?f :node/age ?x])", "?f ?x", ""),
    ];

    [Fact]
    public void A_value_finds_the_same_as_a_constant_an_input_a_relation_a_collection_or_a_bound_variable()
    {
        Gen.Select(Nodes, Gen.Int, Gen.Long[0, 4]).Sample((nodes, seed, x) =>
        {
            var db = Build(nodes);
            var random = new Random(seed);
            var picked = Pick(random, 4, [WithX[random.Next(WithX.Length)]], "?x");
            if (NotsPlaced(picked, ["?x"]) is not { } parts || Writable(parts, ["?x"]) is not { } written) return;
            var find = FindOf(parts, "?x");
            var constant = Query(written, find).Replace("?x", x.ToString());
            var expected = db.Q(constant);
            AssertSame(expected, db.Q(WrittenOrder, constant), "a constant in written order");
            AssertSame(expected, db.Q(Query(parts, find, "?x"), x), "a scalar input");
            AssertSame(expected, db.Q(WrittenOrder, Query(written, find, "?x"), x), "a scalar input in written order");
            AssertSame(expected, db.Q(Query(parts, find, "[[?x]]"), new EdnVector(new object?[] { new EdnVector(x) })), "a relation input");
            AssertSame(expected, db.Q(Query(parts, find, "[?x ...]"), new EdnVector(x)), "a collection input");
            AssertSame(expected, db.Q(Query(parts, find, "[?x]"), new EdnVector(x)), "a tuple input");
            var ground = P($"[(ground {x}) ?x]", "", "?x");
            var anywhere = NotsPlaced(parts.Append(ground).OrderBy(_ => random.Next()), [])!;
            AssertSame(expected, db.Q(Query(anywhere, find)), "a variable bound by a clause: " + Query(anywhere, find));
            AssertSame(expected, db.Q(WrittenOrder, Query(written.Prepend(ground), find)), "a variable bound by a clause, in written order");
        }, iter: 300);
    }

    [Fact]
    public void A_collection_input_finds_what_its_values_find_one_by_one()
    {
        Gen.Select(Nodes, Gen.Int, Gen.Long[0, 4].Array[1, 3]).Sample((nodes, seed, xs) =>
        {
            var db = Build(nodes);
            var random = new Random(seed);
            var picked = Pick(random, 4, [WithX[random.Next(WithX.Length)]], "?x");
            if (NotsPlaced(picked, ["?x"]) is not { } parts || Writable(parts, ["?x"]) is null) return;
            var find = FindOf(parts, "?x");
            var union = new HashSet<object?>(EdnEquality.Instance);
            foreach (var x in xs) union.UnionWith((EdnSet)db.Q(Query(parts, find, "?x"), x)!);
            var all = (EdnSet)db.Q(Query(parts, find, "[?x ...]"), new EdnVector(xs.Cast<object?>()))!;
            Assert.True(union.SetEquals(all), $"{Query(parts, find, "[?x ...]")} {string.Join(" ", xs)}: {EdnPrinter.Print(all)}");
        }, iter: 200);
    }
}
