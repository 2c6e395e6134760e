using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Negation and disjunction: not, not-join, or, or-join, and.</summary>
public class NotOrTests
{
    [Fact]
    public void Not_removes_the_rows_its_clauses_match() =>
        AssertQ("""#{["Alice"] ["Bob"]}""", "[:find ?n :where [?e :person/name ?n] (not [?e :person/score _])]");

    [Fact]
    public void Not_with_several_clauses_removes_rows_matching_all_of_them() =>
        AssertQ("""#{["Alice"] ["Carol"] ["Dave"]}""", "[:find ?n :where [?e :person/name ?n] (not [?e :person/age ?a] [(< ?a 30)])]");

    [Fact]
    public void Not_join_joins_only_on_its_variables() =>
        AssertQ("""#{["Dave"]}""", "[:find ?n :where [?e :person/name ?n] (not-join [?e] [?c :person/parent ?e])]");

    [Fact]
    public void Not_needs_one_of_its_variables_bound() =>
        Assert.Contains("Insufficient bindings", Fails("[:find ?n :where [?e :person/name ?n] (not [?x :person/score _])]").Message);

    [Fact]
    public void Not_join_needs_all_its_variables_bound() =>
        Assert.Contains("(not-join [?x]", Fails("[:find ?n :where [?e :person/name ?n] (not-join [?x] [?x :person/score _])]").Message);

    [Fact]
    public void Or_unites_its_branches() =>
        AssertQ("""#{["Alice"] ["Dave"]}""", """[:find ?n :where [?e :person/name ?n] (or [?e :person/email "alice@x"] [?e :person/score 2.5])]""");

    [Fact]
    public void And_groups_clauses_of_one_branch() =>
        AssertQ("""#{["Bob"] ["Dave"]}""",
            """[:find ?n :where [?e :person/name ?n] (or (and [?e :person/age 25] [?e :person/parent _]) [?e :person/score 2.5])]""");

    [Fact]
    public void Or_join_keeps_branch_variables_inside() =>
        AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""",
            "[:find ?n :where [?e :person/name ?n] (or-join [?e] [?c :person/parent ?e] [?e :person/friend ?f])]");

    [Fact]
    public void Or_join_with_required_variables_runs_once_they_are_bound() =>
        // Bob's friend and parent are both Alice
        AssertQ("""#{["Alice"]}""",
            """[:find ?n :where (or-join [[?e] ?x] [?e :person/friend ?x] [?e :person/parent ?x]) [?e :person/name "Bob"] [?x :person/name ?n]]""");

    [Fact]
    public void Or_branches_must_use_the_same_variables() =>
        Assert.Contains("same set of free vars", Fails("[:find ?e :where [?e :person/name] (or [?e :person/age ?a] [?e :person/score ?s])]").Message);

    [Fact]
    public void And_outside_or_is_an_error() =>
        Assert.Contains("(and", Fails("[:find ?e :where (and [?e :person/name])]").Message);
}
