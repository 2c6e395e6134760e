using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Data patterns, predicates and functions with their binding forms.</summary>
public class ClauseTests
{
    [Fact]
    public void A_constant_value_selects_entities() =>
        AssertQ("""#{["Alice"] ["Carol"]}""", "[:find ?n :where [?e :person/age 30] [?e :person/name ?n]]");

    [Fact]
    public void A_lookup_ref_names_the_entity() =>
        AssertQ("#{[25]}", """[:find ?a :where [[:person/name "Bob"] :person/age ?a]]""");

    [Fact]
    public void A_lookup_ref_as_a_ref_value_names_the_entity() =>
        AssertQ("""#{["Bob"]}""", """[:find ?n :where [?e :person/parent [:person/name "Alice"]] [?e :person/name ?n]]""");

    [Fact]
    public void An_ident_names_the_entity() =>
        AssertQ("#{[:db.cardinality/many]}", "[:find ?i :where [:person/tags :db/cardinality ?c] [?c :db/ident ?i]]");

    [Fact]
    public void A_lookup_ref_that_names_nothing_is_an_error() =>
        Assert.Contains("Nothing found", Fails("""[:find ?a :where [[:person/name "Nobody"] :person/age ?a]]""").Message);

    [Fact]
    public void A_lookup_ref_that_names_nothing_is_an_error_also_after_a_clause_that_finds_nothing()
    {
        // whichever clause the plan runs first, the lookup ref is resolved
        Assert.Contains("Nothing found", Fails("""[:find ?a :in $ ?n :where [?e :person/name ?n] [[:person/name "Nobody"] :person/age ?a]]""", "No such name").Message);
        Assert.Contains("Nothing found", Fails("""[:find ?a :in $ ?n :where [[:person/name "Nobody"] :person/age ?a] [?e :person/name ?n]]""", "No such name").Message);
    }

    [Fact]
    public void A_blank_matches_anything() =>
        AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""", "[:find ?n :where [?e :person/age _] [?e :person/name ?n]]");

    [Fact]
    public void A_short_pattern_asks_only_that_the_attribute_is_there() =>
        AssertQ("""#{["Carol"] ["Dave"]}""", "[:find ?n :where [?e :person/score] [?e :person/name ?n]]");

    [Fact]
    public void An_unbound_attribute_binds_to_its_ident() =>
        AssertQ("#{[:person/name] [:person/parent] [:person/score]}", """[:find ?a :where [[:person/name "Dave"] ?a _]]""");

    [Fact]
    public void The_tx_position_binds_the_transaction() =>
        AssertQ("#{[true]}", """[:find ?same :where [?a :person/name "Alice" ?t1] [?b :person/name "Dave" ?t2] [(= ?t1 ?t2) ?same]]""");

    [Fact]
    public void A_many_valued_attribute_gives_a_row_per_value() =>
        AssertQ("""#{["a"] ["b"]}""", """[:find ?t :where [?e :person/name "Alice"] [?e :person/tags ?t]]""");

    [Fact]
    public void Refs_join_both_ways() =>
        AssertQ("""#{["Bob" "Alice"] ["Carol" "Bob"] ["Dave" "Carol"]}""",
            "[:find ?c ?p :where [?ce :person/parent ?pe] [?ce :person/name ?c] [?pe :person/name ?p]]");

    [Fact]
    public void A_repeated_variable_in_one_pattern_must_match_itself()
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :node/next :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
             {:db/ident :node/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """).DbAfter.Transact("""[{:db/id "a" :node/name "a" :node/next "a"} {:db/id "b" :node/name "b" :node/next "a"}]""").DbAfter;
        AssertQ(db, """#{["a"]}""", "[:find ?n :where [?e :node/next ?e] [?e :node/name ?n]]");
    }

    [Fact]
    public void A_collection_source_matches_its_tuples() =>
        AssertQ("""#{["Alice" 1] ["Bob" 2]}""", "[:find ?n ?w :in $ $t :where [?e :person/name ?n] [$t ?n ?w]]",
            Read("""[["Alice" 1] ["Bob" 2] ["Nobody" 3]]"""));

    [Fact]
    public void A_named_db_source_is_read_by_its_patterns()
    {
        var other = Db.Empty.Transact("""[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""")
            .DbAfter.Transact("""[{:person/name "Zed"}]""").DbAfter;
        AssertQ("""#{["Zed"]}""", "[:find ?n :in $ $other :where [$other _ :person/name ?n]]", other);
    }

    [Fact]
    public void A_predicate_keeps_the_rows_it_holds_for()
    {
        AssertQ("""#{["Bob"]}""", "[:find ?n :where [?e :person/age ?a] [(< ?a 30)] [?e :person/name ?n]]");
        AssertQ("""#{["Bob"]}""", "[:find ?n :where [?e :person/age ?a] [(< 20 ?a 29)] [?e :person/name ?n]]");
        AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""", "[:find ?n :where [?e :person/age ?a] [(> ?n \"A\")] [?e :person/name ?n]]");
    }

    [Fact]
    public void A_function_binds_a_scalar() =>
        AssertQ("""#{["Bob!"]}""", """[:find ?s :where [?e :person/age 25] [?e :person/name ?n] [(str ?n "!") ?s]]""");

    [Fact]
    public void A_function_binds_a_tuple() =>
        AssertQ("""#{["Bob" 26]}""", """[:find ?x ?y :where [?e :person/age 25] [?e :person/name ?n] [(inc 25) ?i] [(vector ?n ?i) [?x ?y]]]""");

    [Fact]
    public void A_function_binds_a_collection() =>
        AssertQ("""#{["x"] ["y"]}""", """[:find ?s :where [(ground ["x" "y"]) [?s ...]]]""");

    [Fact]
    public void A_function_binds_a_relation() =>
        AssertQ("""#{[1 "a"] [2 "b"]}""", """[:find ?i ?s :where [(ground [[1 "a"] [2 "b"]]) [[?i ?s]]]]""");

    [Fact]
    public void A_function_result_for_a_bound_variable_filters() =>
        AssertQ("""#{["Bob"]}""", "[:find ?n :where [?e :person/age ?a] [(ground 25) ?a] [?e :person/name ?n]]");

    [Fact]
    public void Tuple_and_untuple_round_trip() =>
        AssertQ("""#{["Bob" 25]}""", "[:find ?x ?y :where [?e :person/age 25] [?e :person/name ?n] [(tuple ?n 25) ?t] [(untuple ?t) [?x ?y]]]");

    [Fact]
    public void Get_else_gives_the_value_or_the_default() =>
        AssertQ("""#{["Alice" 30] ["Bob" 25] ["Carol" 30] ["Dave" 0]}""", "[:find ?n ?a :where [?e :person/name ?n] [(get-else $ ?e :person/age 0) ?a]]");

    [Fact]
    public void Get_some_gives_the_first_attribute_there() =>
        AssertQ("""#{["Alice" :person/age 30] ["Bob" :person/age 25] ["Carol" :person/age 30] ["Dave" :person/score 2.5]}""",
            "[:find ?n ?attr ?v :where [?e :person/name ?n] [(get-some $ ?e :person/age :person/score) [?attr ?v]]]");

    [Fact]
    public void Missing_holds_for_entities_without_the_attribute() =>
        AssertQ("""#{["Dave"]}""", "[:find ?n :where [?e :person/name ?n] [(missing? $ ?e :person/age)]]");

    [Fact]
    public void Get_else_on_a_many_valued_attribute_is_an_error() =>
        Assert.Contains("cardinality many", Fails("[:find ?t :where [?e :person/name] [(get-else $ ?e :person/tags \"x\") ?t]]").Message);

    [Theory]
    [InlineData("(+ 1 2)", "3")]
    [InlineData("(+ 1 2.5)", "3.5")]
    [InlineData("(- 5)", "-5")]
    [InlineData("(- 10 3 2)", "5")]
    [InlineData("(* 2 3 4)", "24")]
    [InlineData("(/ 6 3)", "2")]
    [InlineData("(/ 1 2)", "0.5")]
    [InlineData("(quot 7 2)", "3")]
    [InlineData("(quot -7 2)", "-3")]
    [InlineData("(rem -7 2)", "-1")]
    [InlineData("(mod -7 2)", "1")]
    [InlineData("(inc 1)", "2")]
    [InlineData("(dec 1)", "0")]
    [InlineData("(max 1 5 3)", "5")]
    [InlineData("(min 4 2 3)", "2")]
    [InlineData("(compare \"a\" \"b\")", "-1")]
    [InlineData("(compare 2 1)", "1")]
    [InlineData("(str \"a\" 1 :k/w nil true)", "\"a1:k/wtrue\"")]
    [InlineData("(subs \"hello\" 1 3)", "\"el\"")]
    [InlineData("(subs \"hello\" 2)", "\"llo\"")]
    [InlineData("(count \"abc\")", "3")]
    [InlineData("(count [1 2])", "2")]
    [InlineData("(keyword \"a\" \"b\")", ":a/b")]
    [InlineData("(keyword \"b\")", ":b")]
    [InlineData("(name :a/b)", "\"b\"")]
    [InlineData("(namespace :a/b)", "\"a\"")]
    [InlineData("(identity 7)", "7")]
    [InlineData("(vector 1 \"x\")", "[1 \"x\"]")]
    [InlineData("(list 1 2)", "(1 2)")]
    [InlineData("(hash-map :a 1)", "{:a 1}")]
    [InlineData("(tuple 1 2)", "[1 2]")]
    [InlineData("(= 1 1 1)", "true")]
    [InlineData("(== 1 2)", "false")]
    [InlineData("(not= 1 2)", "true")]
    [InlineData("(!= 1 1)", "false")]
    [InlineData("(<= 1 1 2)", "true")]
    [InlineData("(>= 3 2 2)", "true")]
    [InlineData("(> 1 2)", "false")]
    public void A_built_in_function_computes_as_in_DataScript(string call, string expected) =>
        AssertQ(expected, $"[:find ?x . :in $ :where [{call} ?x]]");

    [Theory]
    [InlineData("(zero? 0)", true)]
    [InlineData("(zero? 1)", false)]
    [InlineData("(pos? 1)", true)]
    [InlineData("(neg? -1)", true)]
    [InlineData("(neg? 1)", false)]
    [InlineData("(even? 2)", true)]
    [InlineData("(odd? 2)", false)]
    [InlineData("(nil? nil)", true)]
    [InlineData("(some? 1)", true)]
    [InlineData("(true? true)", true)]
    [InlineData("(false? true)", false)]
    [InlineData("(clojure.string/blank? \"  \")", true)]
    [InlineData("(clojure.string/includes? \"abc\" \"bc\")", true)]
    [InlineData("(clojure.string/starts-with? \"abc\" \"ab\")", true)]
    [InlineData("(clojure.string/ends-with? \"abc\" \"ab\")", false)]
    public void A_built_in_predicate_keeps_or_drops_the_row(string predicate, bool holds) =>
        Assert.Equal(holds ? 1L : null, Data.Q($"[:find ?x . :in $ :where [(ground 1) ?x] [{predicate}]]"));

    [Theory]
    [InlineData("(re-find ?re \"hello\")", "l+", "\"ll\"")]
    [InlineData("(re-find ?re \"hello\")", "x", "nil")]
    [InlineData("(re-matches ?re \"hello\")", "h(.)llo", "[\"hello\" \"e\"]")]
    [InlineData("(re-matches ?re \"hello\")", "ell", "nil")]
    [InlineData("(re-seq ?re \"hello\")", "l", "(\"l\" \"l\")")]
    public void Regular_expressions_come_from_re_pattern(string call, string pattern, string expected) =>
        AssertQ(expected, $"[:find ?x . :in $ ?p :where [(re-pattern ?p) ?re] [{call} ?x]]", pattern);

    [Fact]
    public void Missing_of_a_reverse_attribute_holds_for_entities_nothing_refers_to() =>
        AssertQ("""#{["Dave"]}""", "[:find ?n :where [?e :person/name ?n] [(missing? $ ?e :person/_parent)]]");

    [Fact]
    public void A_function_can_be_an_input()
    {
        Func<object?[], object?> adult = args => (long)args[0]! > 26;
        AssertQ("""#{["Alice"] ["Carol"]}""", "[:find ?n :in $ ?adult :where [?e :person/age ?a] [(?adult ?a)] [?e :person/name ?n]]", adult);
    }

    [Fact]
    public void A_function_returning_nil_drops_the_row()
    {
        Func<object?[], object?> evenOnly = args => (long)args[0]! % 2 == 0 ? args[0] : null;
        AssertQ("#{[2] [4]}", "[:find ?x :in [?in ...] ?f :where [(?f ?in) ?x]]", Read("[1 2 3 4]"), evenOnly);
    }

    [Fact]
    public void Two_function_values_for_one_variable_conflict() =>
        AssertQ("#{}", "[:find ?n :where [(identity 1) ?n] [(identity 2) ?n]]");

    [Fact]
    public void A_blank_in_a_tuple_binding_skips_that_element() =>
        AssertQ("#{[:a :c] [:d :f]}", "[:find ?x ?z :in ?in :where [(ground ?in) [[?x _ ?z] ...]]]", Read("[[:a :b :c] [:d :e :f]]"));
}
