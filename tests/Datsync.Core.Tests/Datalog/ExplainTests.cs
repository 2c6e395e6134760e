using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary><see cref="Db.Explain(string, object?[])"/>: the clauses in the order they ran, how each read its data,
/// the estimate and the tuples in and out, and the query's result.</summary>
public class ExplainTests
{
    private static readonly QueryOptions Written = new(Planner: false);

    private static (string Clause, string Strategy, long Est, long In, long Out) Row(QueryPlanStep s) =>
        (s.Clause, s.Strategy, s.EstimatedRows, s.RowsIn, s.RowsOut);

    [Fact]
    public void Each_step_says_its_index_its_estimate_and_its_tuples_in_and_out()
    {
        var plan = Family.Data.Explain(Written,
            "[:find ?n :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]", 30L);
        Assert.Equal(Family.Read("""#{["Alice"] ["Carol"]}"""), plan.Result);
        Assert.Equal(
            [
                ("[?e :person/name ?n]", "AEVT scan + hash join", 4L, 1L, 4L), // four names, joined to the input ?min
                ("[?e :person/age ?a]", "EAVT per entity", 1L, 4L, 3L),         // Dave has no age
                ("[(>= ?a ?min)]", "predicate", 1L, 3L, 2L),                  // at most one tuple out per tuple in
            ],
            plan.Steps.Select(Row));
    }

    [Fact]
    public void A_unique_value_is_looked_up_in_AVET_and_a_bound_reference_in_VAET_per_value()
    {
        var plan = Family.Data.Explain(Written, """[:find ?n :where [?p :person/name "Alice"] [?c :person/parent ?p] [?c :person/name ?n]]""");
        Assert.Equal(Family.Read("""#{["Bob"]}"""), plan.Result);
        Assert.Equal(
            [
                ("""[?p :person/name "Alice"]""", "AVET lookup", 1L, 1L, 1L),
                ("[?c :person/parent ?p]", "VAET per value", 1L, 1L, 1L),
                ("[?c :person/name ?n]", "EAVT per entity", 1L, 1L, 1L),
            ],
            plan.Steps.Select(Row));
    }

    [Fact]
    public void An_attribute_without_an_index_is_scanned_and_a_pattern_without_an_attribute_reads_every_datom()
    {
        var tags = Family.Data.Explain(Written, """[:find ?e :where [?e :person/tags "a"]]""");
        Assert.Equal(("""[?e :person/tags "a"]""", "AEVT scan", 1L, 1L, 1L), Row(Assert.Single(tags.Steps)));
        var all = Family.Data.Explain(Written, """[:find ?a :where [?e ?a "alice@x"]]""");
        Assert.Equal("EAVT full scan", Assert.Single(all.Steps).Strategy);
        Assert.Equal(Family.Read("#{[:person/email]}"), all.Result);
    }

    [Fact]
    public void A_not_shows_the_clauses_it_ran_under_it()
    {
        var plan = Family.Data.Explain(Written, "[:find ?n :where [?e :person/name ?n] (not [?e :person/age 30])]");
        Assert.Equal(Family.Read("""#{["Bob"] ["Dave"]}"""), plan.Result);
        var not = plan.Steps[1];
        Assert.Equal(("(not [?e :person/age 30])", "not", -1L, 4L, 2L), Row(not));
        // the negated pattern ran once per entity of the four, and found Alice and Carol
        Assert.Equal(("[?e :person/age 30]", "EAVT per entity", 1L, 4L, 2L), Row(Assert.Single(not.Steps)));
    }

    [Fact]
    public void An_or_shows_each_branch_s_clauses_under_it()
    {
        var plan = Family.Data.Explain(Written, "[:find ?n :where [?e :person/name ?n] (or [?e :person/age 25] [?e :person/score 2.5])]");
        Assert.Equal(Family.Read("""#{["Bob"] ["Dave"]}"""), plan.Result);
        var or = plan.Steps[1];
        Assert.Equal(("(or [?e :person/age 25] [?e :person/score 2.5])", "or", -1L, 4L, 2L), Row(or));
        // each branch is given the four entities and keeps one
        Assert.Equal(
            [("[?e :person/age 25]", "EAVT per entity", 1L, 4L, 1L), ("[?e :person/score 2.5]", "EAVT per entity", 1L, 4L, 1L)],
            or.Steps.Select(Row));
    }

    [Fact]
    public void A_rule_call_shows_its_bodies_summed_over_the_rounds_they_ran()
    {
        const string rules = "[[(anc ?x ?y) [?x :person/parent ?y]] [(anc ?x ?y) [?x :person/parent ?z] (anc ?z ?y)]]";
        var plan = Family.Data.Explain(Written, """[:find ?n :in $ % :where [?d :person/name "Dave"] (anc ?d ?a) [?a :person/name ?n]]""", rules);
        Assert.Equal(Family.Read("""#{["Carol"] ["Bob"] ["Alice"]}"""), plan.Result);
        var call = plan.Steps[1];
        Assert.Equal(("(anc ?d ?a)", "rule", -1L, 1L, 3L), Row(call));
        var bodies = call.Steps.ToDictionary(s => s.Clause);
        // Dave, Carol, Bob and Alice are asked about in turn: the first body runs at least once for each of them
        Assert.True(bodies["[?x :person/parent ?y]"].Runs >= 4, $"{bodies["[?x :person/parent ?y]"].Runs} runs");
        Assert.Equal("rule", bodies["(anc ?z ?y)"].Strategy);
    }

    [Fact]
    public void The_planner_s_plan_runs_each_clause_once_on_what_the_previous_one_made()
    {
        var plan = Family.Data.Explain("[:find ?n :in $ ?min :where [(>= ?a ?min)] [?e :person/name ?n] [?e :person/age ?a]]", 30L);
        Assert.Equal(Family.Data.Q("[:find ?n :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]", 30L), plan.Result);
        // each clause runs once, alone or fused into one scan with others
        var clauses = plan.Steps.Select(s => s.Clause).ToList();
        foreach (var c in new[] { "[(>= ?a ?min)]", "[?e :person/age ?a]", "[?e :person/name ?n]" })
            Assert.Single(clauses, s => s.Contains(c, StringComparison.Ordinal));
        Assert.Equal(1, plan.Steps[0].RowsIn);
        for (var i = 1; i < plan.Steps.Count; i++) Assert.Equal(plan.Steps[i - 1].RowsOut, plan.Steps[i].RowsIn);
        Assert.Equal(2, plan.Steps[^1].RowsOut);
        // the predicate needs ?a: it cannot run before the pattern that binds it
        Assert.True(clauses.FindIndex(s => s.Contains("(>= ?a ?min)")) >= clauses.FindIndex(s => s.Contains(":person/age")));
    }

    [Fact]
    public void The_plan_prints_as_a_table_with_a_line_per_step()
    {
        var plan = Family.Data.Explain(Written, "[:find ?n :where [?e :person/name ?n] (not [?e :person/age 30])]");
        var lines = plan.ToString().Split('\n');
        Assert.Equal(4, lines.Length); // header, two steps, the not's pattern
        Assert.Matches(@"^#\s+clause\s+strategy\s+est\.\s+in\s+out\s+runs$", lines[0]);
        Assert.Matches(@"^1\s+\[\?e :person/name \?n\]\s+AEVT scan\s+4\s+1\s+4\s+1$", lines[1]);
        Assert.Matches(@"^2\s+\(not \[\?e :person/age 30\]\)\s+not\s+-\s+4\s+2\s+1$", lines[2]);
        Assert.Matches(@"^2\.1\s+\[\?e :person/age 30\]\s+EAVT per entity\s+1\s+4\s+2\s+1$", lines[3]);
    }

    [Fact]
    public void The_clauses_after_one_that_found_nothing_are_skipped()
    {
        var plan = Family.Data.Explain(Written, """[:find ?n :where [?e :person/name "Zoe"] [?e :person/age ?a] [?e :person/name ?n]]""");
        Assert.Equal(Family.Read("#{}"), plan.Result);
        Assert.Equal(
            [
                ("""[?e :person/name "Zoe"]""", "AVET lookup", 0L, 1L, 0L), // the index's count: no such name
                ("[?e :person/age ?a]", "skipped", -1L, 0L, 0L),
                ("[?e :person/name ?n]", "skipped", -1L, 0L, 0L),
            ],
            plan.Steps.Select(Row));
    }

    [Fact]
    public void A_comparison_on_an_indexed_value_reads_an_AVET_range_inside_the_scan()
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}]
            """).DbAfter;
        db = db.Transact("[" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{{:p/age {i}}}")) + "]").DbAfter;
        var plan = db.Explain("[:find ?e :where [?e :p/age ?a] [(< ?a 30)]]");
        var step = Assert.Single(plan.Steps);
        Assert.Equal("AVET range + 1 filter in the scan", step.Strategy);
        Assert.Equal(30, step.RowsOut);
        Assert.Equal(30, ((EdnSet)plan.Result!).Count);
    }

    [Fact]
    public void A_malformed_query_fails_as_Q_does()
    {
        var e = Assert.Throws<QueryException>(() => Family.Data.Explain("[:find ?x :where [?e :person/name ?n]]"));
        Assert.Contains("?x", e.Message);
    }

    [Fact]
    public void In_written_order_a_predicate_before_its_arguments_are_bound_is_an_error()
    {
        const string query = "[:find ?n :where [(> ?a 26)] [?e :person/age ?a] [?e :person/name ?n]]";
        Family.AssertQ("""#{["Alice"] ["Carol"]}""", query);
        var e = Assert.Throws<QueryException>(() => Family.Data.Q(Written, query));
        Assert.StartsWith("Insufficient bindings", e.Message);
    }

    [Fact]
    public void Two_runs_of_the_same_query_give_equal_plans_and_another_database_a_different_one()
    {
        const string query = "[:find ?n :where [?e :person/name ?n] (not [?e :person/age 30])]";
        Assert.Equal(Family.Data.Explain(Written, query), Family.Data.Explain(Written, query));
        var more = Family.Data.Transact("""[{:person/name "Eve" :person/age 30}]""").DbAfter;
        Assert.NotEqual(Family.Data.Explain(Written, query), more.Explain(Written, query));
        // the query as data explains as its text does
        Assert.Equal(Family.Data.Explain(query), Family.Data.Explain(EdnReader.Read(query)!));
    }
}
