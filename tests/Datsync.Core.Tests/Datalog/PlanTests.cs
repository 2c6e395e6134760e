using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>The clause order the planner picks: a pure function of the clauses and what is bound.</summary>
public class PlanTests
{
    private static string[] Plan(string where, params string[] bound)
    {
        var clauses = QueryParser.ParseClauses((IReadOnlyList<object?>)EdnReader.Read(where)!, 0, topLevel: true);
        return Clauses.Plan(clauses, bound.Select(b => new Symbol(b)).ToHashSet(), null).Select(c => EdnPrinter.Print(c.Form)).ToArray();
    }

    [Fact]
    public void The_pattern_with_attribute_and_value_known_goes_first_then_what_joins_it()
    {
        Assert.Equal(
            ["""[?e :person/name "Bob"]""", "[?e :person/age ?a]", "[(< ?a 30)]"],
            Plan("""[[?e :person/age ?a] [(< ?a 30)] [?e :person/name "Bob"]]"""));
    }

    [Fact]
    public void A_predicate_runs_as_soon_as_its_variables_are_bound() =>
        Assert.Equal(
            ["[?e :person/age ?a]", "[(< ?a 30)]", "[?e :person/friend ?f]", "[?f :person/name ?n]"],
            Plan("[[?f :person/name ?n] [(< ?a 30)] [?e :person/age ?a] [?e :person/friend ?f]]", "?e"));

    [Fact]
    public void A_bound_input_makes_its_pattern_go_first() =>
        Assert.Equal(
            ["[?e :person/name ?n]", "[?e :person/age ?a]"],
            Plan("[[?e :person/age ?a] [?e :person/name ?n]]", "?n"));

    [Fact]
    public void A_plain_not_keeps_its_place() =>
        Assert.Equal(
            ["[?e :person/age ?a]", "(not [?e :person/score ?s])", "[?e :person/name \"Bob\"]"],
            Plan("[[?e :person/age ?a] (not [?e :person/score ?s]) [?e :person/name \"Bob\"]]"));

    [Fact]
    public void A_pattern_sharing_nothing_waits_for_the_ones_that_join() =>
        Assert.Equal(
            ["""[?e :person/name "Bob"]""", "[?e :person/parent ?p]", "[?x :person/age ?y]"],
            Plan("""[[?x :person/age ?y] [?e :person/name "Bob"] [?e :person/parent ?p]]"""));

    [Fact]
    public void Between_two_attribute_scans_the_smaller_attribute_goes_first()
    {
        // two scores against four names: the scan of :person/score is the smaller one
        var clauses = QueryParser.ParseClauses((IReadOnlyList<object?>)EdnReader.Read("[[?e :person/name ?n] [?e :person/score ?s]]")!, 0, topLevel: true);
        var ctx = new QueryContext();
        ctx.Sources[new Symbol("$")] = Family.Data;
        var order = Clauses.Plan(clauses, [], ctx).Select(c => EdnPrinter.Print(c.Form)).ToArray();
        Assert.Equal(["[?e :person/score ?s]", "[?e :person/name ?n]"], order);
        // without statistics the written order breaks the tie
        Assert.Equal(["[?e :person/name ?n]", "[?e :person/score ?s]"], Plan("[[?e :person/name ?n] [?e :person/score ?s]]"));
    }
}
