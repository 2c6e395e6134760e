using CsCheck;
using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Rules: several bodies, recursion (also on cycles), required variables, rules as text.</summary>
public class RuleTests
{
    private const string Ancestor = """
        [[(anc ?x ?y) [?x :person/parent ?y]]
         [(anc ?x ?y) [?x :person/parent ?z] (anc ?z ?y)]]
        """;

    [Fact]
    public void A_rule_with_two_bodies_unites_them() =>
        AssertQ("""#{["Bob"] ["Carol"] ["Dave"]}""", "[:find ?n :in $ % :where (linked ?e) [?e :person/name ?n]]",
            Read("""[[(linked ?e) [?e :person/parent _]] [(linked ?e) [_ :person/friend ?e] [?e :person/age 25]]]"""));

    [Fact]
    public void A_recursive_rule_finds_every_ancestor() =>
        AssertQ("""#{["Carol"] ["Bob"] ["Alice"]}""", """[:find ?n :in $ % :where [?d :person/name "Dave"] (anc ?d ?a) [?a :person/name ?n]]""", Read(Ancestor));

    [Fact]
    public void A_recursive_rule_runs_with_nothing_bound() =>
        // Dave-Carol, Dave-Bob, Dave-Alice, Carol-Bob, Carol-Alice, Bob-Alice
        AssertQ("6", "[:find (count ?p) . :in $ % :where (anc ?x ?y) [?x :person/name ?m] [?y :person/name ?n] [(str ?m ?n) ?p]]", Read(Ancestor));

    [Fact]
    public void A_constant_argument_seeds_the_rule() =>
        AssertQ("""#{["Bob"] ["Carol"] ["Dave"]}""", """[:find ?n :in $ % :where (anc ?d [:person/name "Alice"]) [?d :person/name ?n]]""", Read(Ancestor));

    [Fact]
    public void A_blank_argument_is_one_unnamed_variable_of_the_call()
    {
        // (sib ?e _) means (sib ?e ?someone): the blank is not put into the body, where each _ would match anything
        const string sib = "[[(sib ?x ?y) [?x :person/parent ?p] [?y :person/parent ?p] [(not= ?x ?y)]]]";
        AssertQ("#{}", "[:find ?n :in $ % :where [?e :person/name ?n] (sib ?e _)]", Read(sib));
        AssertQ("""#{["Bob"] ["Carol"] ["Dave"]}""", "[:find ?n :in $ % :where [?e :person/name ?n] (child ?e _)]",
            Read("[[(child ?x ?y) [?x :person/parent ?y]]]"));
    }

    [Fact]
    public void Rules_can_be_given_as_text() =>
        AssertQ("""#{["Alice"]}""", """[:find ?n :in $ % :where [?b :person/name "Bob"] (anc ?b ?a) [?a :person/name ?n]]""", Ancestor);

    [Fact]
    public void Recursion_over_a_cycle_ends()
    {
        const string reach = """
            [[(reach ?x ?y) [?x :person/friend ?y]]
             [(reach ?x ?y) [?x :person/friend ?z] (reach ?z ?y)]]
            """;
        // Alice -> Bob, Carol; Bob -> Alice: from Alice everyone of the cycle and Carol, herself included
        AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""", """[:find ?n :in $ % :where [?a :person/name "Alice"] (reach ?a ?f) [?f :person/name ?n]]""", Read(reach));
        // a doubled call, which DataScript cannot run on a cycle
        const string doubled = """
            [[(reach ?x ?y) [?x :person/friend ?y]]
             [(reach ?x ?y) (reach ?x ?z) (reach ?z ?y)]]
            """;
        AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""", """[:find ?n :in $ % :where [?a :person/name "Alice"] (reach ?a ?f) [?f :person/name ?n]]""", Read(doubled));
    }

    [Fact]
    public void Rules_can_call_other_rules() =>
        AssertQ("""#{["Alice"] ["Bob"]}""", """[:find ?n :in $ % :where [?d :person/name "Carol"] (up ?d ?a) [?a :person/name ?n]]""",
            Read("""[[(parent ?x ?y) [?x :person/parent ?y]] [(up ?x ?y) (parent ?x ?y)] [(up ?x ?y) (parent ?x ?z) (up ?z ?y)]]"""));

    [Fact]
    public void A_required_variable_must_be_bound_by_the_caller()
    {
        var rules = Read("""[[(older [?x] ?y) [?x :person/age ?ax] [?y :person/age ?ay] [(> ?ax ?ay)]]]""");
        AssertQ("""#{["Bob"]}""", """[:find ?n :in $ % :where [?a :person/name "Alice"] (older ?a ?b) [?b :person/name ?n]]""", rules);
        Assert.Contains("Insufficient bindings", Fails("[:find ?n :in $ % :where (older ?a ?b) [?b :person/name ?n]]", rules).Message);
    }

    [Fact]
    public void Branches_of_one_rule_must_have_one_arity() =>
        Assert.Contains("Arity mismatch", Fails("[:find ?e :in $ % :where (r ?e)]", Read("[[(r ?x) [?x :person/age]] [(r ?x ?y) [?x :person/parent ?y]]]")).Message);

    [Fact]
    public void An_unknown_rule_is_an_error() =>
        Assert.Contains("(nosuch ?e)", Fails("[:find ?e :in $ % :where [?e :person/name] (nosuch ?e)]", Read("[[(r ?x) [?x :person/age]]]")).Message);

    [Fact]
    public void A_rule_call_without_rules_in_in_is_an_error() =>
        Assert.Contains("%", Fails("[:find ?e :where [?e :person/name] (r ?e)]").Message);

    [Fact]
    public void A_deep_chain_needs_no_stack()
    {
        // 400 links on a 256 KiB stack: a recursion on the C# stack per link would not fit, the rounds do
        var db = Db.Empty.Transact("""
            [{:db/ident :node/next :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
             {:db/ident :node/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """).DbAfter;
        var tx = string.Join(" ", Enumerable.Range(0, 401).Select(i => i < 400
            ? $"{{:db/id \"n{i}\" :node/name \"n{i}\" :node/next \"n{i + 1}\"}}"
            : $"{{:db/id \"n{i}\" :node/name \"n{i}\"}}"));
        var report = db.Transact("[" + tx + "]");
        var first = report.Tempids["n0"];
        var count = Hostile.SmallStack.Run(() => report.DbAfter.Q("""
            [:find (count ?y) . :in $ % ?x :where (next* ?x ?y)]
            """, Read("[[(next* ?x ?y) [?x :node/next ?y]] [(next* ?x ?y) [?x :node/next ?z] (next* ?z ?y)]]"), first));
        Assert.Equal(400L, count);
    }

    [Fact]
    public void Transitive_closure_equals_a_naive_fixpoint()
    {
        Gen.Int[0, 7].Select(Gen.Int[0, 7]).Array[0, 20].Sample(edges =>
        {
            var db = Db.Empty.Transact("""
                [{:db/ident :node/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                 {:db/ident :node/to :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
                """).DbAfter;
            var tx = "[" + string.Concat(Enumerable.Range(0, 8).Select(i => $"{{:node/id {i}}}")) + "]";
            db = db.Transact(tx).DbAfter;
            if (edges.Length > 0)
                db = db.Transact("[" + string.Concat(edges.Select(e => $"[:db/add [:node/id {e.Item1}] :node/to [:node/id {e.Item2}]]")) + "]").DbAfter;

            // naive fixpoint: add (a, c) for every (a, b), (b, c) until nothing changes
            var closure = new HashSet<(int, int)>(edges);
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var (a, b) in closure.ToList())
                    foreach (var (b2, c) in closure.ToList())
                        if (b == b2 && closure.Add((a, c))) changed = true;
            }
            var result = (EdnSet)db.Q("""
                [:find ?a ?c :in $ % :where (path ?x ?y) [?x :node/id ?a] [?y :node/id ?c]]
                """, Read("[[(path ?x ?y) [?x :node/to ?y]] [(path ?x ?y) [?x :node/to ?z] (path ?z ?y)]]"))!;
            var actual = result.Select(r => ((int)(long)((EdnVector)r!)[0]!, (int)(long)((EdnVector)r!)[1]!)).ToHashSet();
            Assert.True(closure.SetEquals(actual), $"edges {string.Join(" ", edges)}");
        }, iter: 100);
    }

    [Fact]
    public void A_negated_call_in_a_rule_body_sees_the_whole_called_rule()
    {
        // nobody has Dave as parent; a negation read before parent-of is derived would call everyone childless
        var rules = Read("""
            [[(parent-of ?x ?y) [?x :person/parent ?y]]
             [(childless ?x) [?x :person/name] (not (parent-of ?c ?x))]]
            """);
        AssertQ("""#{["Dave"]}""", "[:find ?n :in $ % :where (childless ?e) [?e :person/name ?n]]", rules);
    }

    [Fact]
    public void A_rule_reaching_itself_through_not_stops_with_an_error()
    {
        var rules = Read("[[(odd ?x) [?x :person/name] (not (odd ?x))]]");
        Assert.Contains("negation", Fails("[:find ?e :in $ % :where (odd ?e)]", rules).Message);
    }
}
