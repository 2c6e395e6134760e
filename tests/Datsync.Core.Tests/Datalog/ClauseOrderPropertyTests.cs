using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>The order of <c>:where</c> clauses does not change what a query finds (the planner picks its own).</summary>
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
}
