using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>The shapes of <c>:find</c>: relation, collection, scalar, tuple, return maps, and <c>:with</c>.</summary>
public class FindSpecTests
{
    [Fact]
    public void A_relation_is_a_set_of_vectors() =>
        AssertQ("""#{["Alice" 30] ["Bob" 25] ["Carol" 30]}""", "[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]");

    [Fact]
    public void A_relation_result_is_an_EdnSet_of_EdnVectors()
    {
        var r = Assert.IsType<EdnSet>(Data.Q("[:find ?n :where [?e :person/name ?n]]"));
        Assert.Equal(4, r.Count);
        Assert.All(r, row => Assert.IsType<EdnVector>(row));
    }

    [Fact]
    public void A_collection_is_a_vector_of_distinct_values()
    {
        var r = Assert.IsType<EdnVector>(Data.Q("[:find [?a ...] :where [_ :person/age ?a]]"));
        Assert.Equal(new object[] { 25L, 30L }, r.OrderBy(x => (long)x!).ToArray());
    }

    [Fact]
    public void A_scalar_is_the_value() =>
        Assert.Equal(25L, Data.Q("""[:find ?a . :where [?e :person/name "Bob"] [?e :person/age ?a]]"""));

    [Fact]
    public void A_scalar_that_finds_nothing_is_null() =>
        Assert.Null(Data.Q("""[:find ?a . :where [?e :person/name "Nobody"] [?e :person/age ?a]]"""));

    [Fact]
    public void A_tuple_is_one_vector() =>
        AssertQ("""["Bob" 25]""", """[:find [?n ?a] :where [?e :person/name ?n] [?e :person/age 25] [?e :person/age ?a]]""");

    [Fact]
    public void A_tuple_that_finds_nothing_is_null() =>
        Assert.Null(Data.Q("""[:find [?n ?a] :where [?e :person/name ?n] [?e :person/age 99] [?e :person/age ?a]]"""));

    [Fact]
    public void Keys_give_maps_with_keyword_keys() =>
        AssertQ("""#{{:name "Bob" :age 25}}""", """[:find ?n ?a :keys name age :where [?e :person/name ?n] [?e :person/age ?a] [(< ?a 30)]]""");

    [Fact]
    public void Strs_give_maps_with_string_keys() =>
        AssertQ("""#{{"name" "Bob"}}""", """[:find ?n :strs name :where [?e :person/name ?n] [?e :person/age 25]]""");

    [Fact]
    public void Syms_give_maps_with_symbol_keys() =>
        AssertQ("""#{{name "Bob"}}""", """[:find ?n :syms name :where [?e :person/name ?n] [?e :person/age 25]]""");

    [Fact]
    public void Keys_on_a_tuple_give_one_map() =>
        AssertQ("""{:n "Bob"}""", """[:find [?n] :keys n :where [?e :person/name ?n] [?e :person/age 25]]""");

    [Fact]
    public void With_keeps_repeats_as_a_bag()
    {
        // Alice and Carol are both 30: without :with the two 30s are one row
        AssertQ("#{[30] [25]}", "[:find ?a :where [?e :person/age ?a]]");
        var bag = Assert.IsType<EdnVector>(Data.Q("[:find ?a :with ?e :where [?e :person/age ?a]]"));
        Assert.Equal(new long[] { 25, 30, 30 }, bag.Select(r => (long)((EdnVector)r!)[0]!).Order().ToArray());
    }

    [Fact]
    public void A_map_form_query_runs_like_the_vector_form() =>
        AssertQ("""#{["Bob"]}""", """{:find [?n] :where [[?e :person/age 25] [?e :person/name ?n]]}""");

    [Fact]
    public void Inputs_fill_in_after_the_db()
    {
        AssertQ("""#{["Bob"]}""", "[:find ?n :in $ ?a :where [?e :person/age ?a] [?e :person/name ?n]]", 25L);
        AssertQ("""#{["Bob"] ["Alice"] ["Carol"]}""", "[:find ?n :in $ [?a ...] :where [?e :person/age ?a] [?e :person/name ?n]]", new EdnVector(25L, 30L));
        AssertQ("""#{["Bob"]}""", "[:find ?n :in $ [?a ?n] :where [?e :person/age ?a] [?e :person/name ?n]]", new EdnVector(25L, "Bob"));
        AssertQ("""#{["Bob" 25] ["Carol" 30]}""", "[:find ?n ?a :in $ [[?n ?a]] :where [?e :person/age ?a] [?e :person/name ?n]]",
            Read("""[["Bob" 25] ["Carol" 30] ["Carol" 31]]"""));
        AssertQ("""#{["Bob"]}""", "[:find ?n :in $ _ ?a :where [?e :person/age ?a] [?e :person/name ?n]]", "ignored", 25L);
    }

    [Fact]
    public void An_attribute_can_be_an_input() =>
        AssertQ("""#{["Alice"]}""", "[:find ?n :in $ ?attr :where [?e ?attr \"alice@x\"] [?e :person/name ?n]]", Keyword.Intern("person/email"));

    [Fact]
    public void A_query_may_use_only_its_inputs() =>
        AssertQ("#{[:a] [:b] [:c]}", "[:find ?x :in [?x ...] :where [(> 2 1)]]", Read("[:a :b :c]"));

    [Fact]
    public void A_query_can_be_built_as_CSharp_data()
    {
        Symbol V(string name) => new(name);
        object query = new object[]
        {
            Keyword.Intern("find"), V("?n"), Keyword.Intern("where"),
            new object[] { V("?e"), Keyword.Intern("person/age"), 25L },
            new object[] { new EdnList(V("<"), V("?a"), 30L) },
            new object[] { V("?e"), Keyword.Intern("person/age"), V("?a") },
            new object[] { V("?e"), Keyword.Intern("person/name"), V("?n") },
        };
        Assert.Equal(Read("""#{["Bob"]}"""), Data.Q(query));
    }
}
