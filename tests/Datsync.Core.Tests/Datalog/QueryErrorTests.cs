using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Invalid queries fail with a <see cref="QueryException"/> naming the offending form.</summary>
public class QueryErrorTests
{
    [Fact]
    public void A_find_variable_bound_nowhere_is_unknown() =>
        Assert.Contains("unknown vars: [?nowhere]", Fails("[:find ?n ?nowhere :where [?e :person/name ?n]]").Message);

    [Fact]
    public void A_predicate_on_an_unbound_variable_has_insufficient_bindings() =>
        Assert.Equal("Insufficient bindings: none of #{?x} is bound in [(< ?x 30)]",
            Fails("[:find ?n :where [?e :person/name ?n] [(< ?x 30)]]").Message);

    [Fact]
    public void An_unknown_function_is_named() =>
        Assert.Contains("Unknown function 'no-such-fn", Fails("[:find ?x :where [?e :person/age ?a] [(no-such-fn ?a) ?x]]").Message);

    [Fact]
    public void Wrong_arity_of_a_built_in_is_an_error() =>
        Assert.Contains("Wrong number of args", Fails("[:find ?x :where [?e :person/age ?a] [(inc ?a 1) ?x]]").Message);

    [Fact]
    public void A_malformed_clause_is_named()
    {
        Assert.Contains("\"not a clause\"", Fails("[:find ?e :where \"not a clause\"]").Message);
        Assert.Contains("[?e :a :b :c :d]", Fails("[:find ?e :where [?e :a :b :c :d]]").Message);
    }

    [Fact]
    public void Keys_must_match_the_find_elements()
    {
        Assert.Contains(":keys", Fails("[:find ?n ?a :keys n :where [?e :person/name ?n] [?e :person/age ?a]]").Message);
        Assert.Contains(":keys", Fails("[:find ?n . :keys n :where [?e :person/name ?n]]").Message);
    }

    [Fact]
    public void A_variable_in_find_and_with_is_an_error() =>
        Assert.Contains(":with", Fails("[:find ?n :with ?n :where [?e :person/name ?n]]").Message);

    [Fact]
    public void Too_few_or_too_many_inputs_are_an_error()
    {
        Assert.Contains("[$ ?a], 2 required, 1 provided", Fails("[:find ?n :in $ ?a :where [?e :person/age ?a] [?e :person/name ?n]]").Message);
        Assert.Contains("[$], 1 required, 2 provided", Fails("[:find ?n :where [?e :person/name ?n]]", 1L).Message);
    }

    [Fact]
    public void A_query_that_is_not_edn_is_an_error() =>
        Assert.Contains("Cannot read query", Fails("[:find ?n :where [?e").Message);

    [Fact]
    public void Deep_nesting_is_an_error_not_a_crash()
    {
        var deep = string.Concat(Enumerable.Repeat("(not ", 5000)) + "[?e :person/age 1]" + new string(')', 5000);
        var e = Fails($"[:find ?e :where [?e :person/name] {deep}]");
        Assert.Contains("too deep", e.Message);
    }

    [Fact]
    public void A_long_offending_form_is_shortened()
    {
        var longName = new string('x', 5000);
        var e = Fails($"[:find ?n :where [?e :person/name ?n] [(< ?{longName} 30)]]");
        Assert.True(e.Message.Length < 1000, e.Message.Length.ToString());
    }

    [Fact]
    public void Nesting_on_a_small_stack_runs_or_fails_cleanly()
    {
        var deep = string.Concat(Enumerable.Repeat("(not-join [?e] ", 200)) + "[?e :person/age 1]" + new string(')', 200);
        var e = Hostile.SmallStack.Run(() => { Data.Q($"[:find ?e :where [?e :person/name] {deep}]"); });
        Assert.True(e is null or QueryException, e?.ToString());
    }

    [Fact]
    public void An_unknown_aggregate_is_named() =>
        Assert.Contains("(no-such-agg ?a)", Fails("[:find (no-such-agg ?a) :where [_ :person/age ?a]]").Message);

    [Fact]
    public void A_rule_called_with_the_wrong_number_of_arguments_is_an_error() =>
        Assert.Contains("(r ?e ?x)", Fails("[:find ?e :in $ % :where [?e :person/name] (r ?e ?x)]", Read("[[(r ?x) [?x :person/age]]]")).Message);

    [Fact]
    public void A_source_that_is_neither_a_db_nor_tuples_is_an_error() =>
        Assert.Contains("$t", Fails("[:find ?x :in $ $t :where [$t ?x]]", 42L).Message);

    [Fact]
    public void A_pattern_on_a_source_not_in_in_is_an_error() =>
        Assert.Contains("$other", Fails("[:find ?x :where [$other ?x :person/name]]").Message);

    [Fact]
    public void Keys_that_repeat_a_name_are_an_error() =>
        Assert.Contains(":keys", Fails("[:find ?n ?a :keys n n :where [?e :person/name ?n] [?e :person/age ?a]]").Message);

    [Fact]
    public void A_map_with_a_repeated_key_fails_the_query_only() =>
        Assert.IsType<QueryException>(Fails("[:find ?m :where [(hash-map :a 1 :a 2) ?m]]"));
}
