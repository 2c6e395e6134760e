using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Pull in <c>:find</c>, and C# functions and aggregates registered by symbol.</summary>
public class PullAndFunctionTests
{
    [Fact]
    public void Pull_in_find_gives_the_entity_as_a_map() =>
        AssertQ("""#{[{:person/name "Bob" :person/parent {:person/name "Alice"}}]}""",
            """[:find (pull ?e [:person/name {:person/parent [:person/name]}]) :where [?e :person/age 25]]""");

    [Fact]
    public void Pull_with_a_source_and_a_pattern_from_an_input() =>
        AssertQ("""[{:person/age 25}]""", """[:find [(pull $ ?e ?p) ...] :in $ ?p :where [?e :person/name "Bob"]]""", Read("[:person/age]"));

    [Fact]
    public void Pull_of_an_entity_without_the_attributes_is_null() =>
        AssertQ("""#{["Dave" nil]}""", """[:find ?n (pull ?e [:person/age]) :where [?e :person/name ?n] [?e :person/score 2.5]]""");

    [Fact]
    public void A_registered_function_is_called_by_its_symbol()
    {
        QueryFunctions.Register("test.datalog/twice", args => (long)args[0]! * 2);
        try
        {
            AssertQ("#{[50]}", "[:find ?d :where [?e :person/age 25] [?e :person/age ?a] [(test.datalog/twice ?a) ?d]]");
        }
        finally { QueryFunctions.Unregister("test.datalog/twice"); }
        Assert.Contains("Unknown function", Fails("[:find ?d :where [?e :person/age ?a] [(test.datalog/twice ?a) ?d]]").Message);
    }

    [Fact]
    public void A_registered_predicate_filters()
    {
        QueryFunctions.Register("test.datalog/short?", args => ((string)args[0]!).Length <= 3);
        try { AssertQ("""#{["Bob"]}""", "[:find ?n :where [_ :person/name ?n] [(test.datalog/short? ?n)]]"); }
        finally { QueryFunctions.Unregister("test.datalog/short?"); }
    }

    [Fact]
    public void A_registered_aggregate_gets_the_group_values()
    {
        QueryFunctions.RegisterAggregate("test.datalog/longest", values => values.Cast<string>().MaxBy(s => s.Length));
        try { AssertQ("""#{["Alice"]}""", "[:find (test.datalog/longest ?n) :where [_ :person/name ?n] [(not= ?n \"Carol\")]]"); }
        finally { QueryFunctions.Unregister("test.datalog/longest"); }
    }

    [Fact]
    public void A_built_in_cannot_be_replaced() =>
        Assert.Throws<ArgumentException>(() => QueryFunctions.Register("str", _ => null));

    [Fact]
    public void An_exception_in_a_function_names_the_clause()
    {
        QueryFunctions.Register("test.datalog/boom", _ => throw new InvalidOperationException("boom"));
        try { Assert.Contains("[(test.datalog/boom ?a)]", Fails("[:find ?a :where [_ :person/age ?a] [(test.datalog/boom ?a)]]").Message); }
        finally { QueryFunctions.Unregister("test.datalog/boom"); }
    }
}
