using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Aggregates in <c>:find</c>, grouped by the other find variables, over the distinct rows of find and with.</summary>
public class AggregateTests
{
    [Fact]
    public void Count_counts_the_rows_of_the_group() =>
        AssertQ("#{[4]}", "[:find (count ?e) :where [?e :person/name]]");

    [Fact]
    public void Values_are_counted_over_distinct_rows_unless_with_keeps_them()
    {
        // ages 30, 25, 30: without :with the two 30s are one row
        AssertQ("#{[2]}", "[:find (count ?a) :where [_ :person/age ?a]]");
        AssertQ("#{[3]}", "[:find (count ?a) :with ?e :where [?e :person/age ?a]]");
        AssertQ("#{[85]}", "[:find (sum ?a) :with ?e :where [?e :person/age ?a]]");
        AssertQ("#{[55]}", "[:find (sum ?a) :where [?e :person/age ?a]]");
    }

    [Fact]
    public void Count_distinct_counts_distinct_values() =>
        AssertQ("#{[2]}", "[:find (count-distinct ?a) :with ?e :where [?e :person/age ?a]]");

    [Fact]
    public void Grouping_is_by_the_other_find_variables() =>
        AssertQ("""#{[30 2] [25 1]}""", "[:find ?a (count ?e) :where [?e :person/age ?a]]");

    [Fact]
    public void Numeric_aggregates_compute_as_in_DataScript()
    {
        const string where = ":with ?e :where [?e :person/age ?a]";
        Assert.Equal(85.0 / 3, (double)Scalar($"[:find (avg ?a) . {where}]")!, 9);
        Assert.Equal(30L, Scalar($"[:find (median ?a) . {where}]"));
        var mean = 85.0 / 3;
        var variance = ((30 - mean) * (30 - mean) * 2 + (25 - mean) * (25 - mean)) / 3;
        Assert.Equal(variance, (double)Scalar($"[:find (variance ?a) . {where}]")!, 9);
        Assert.Equal(Math.Sqrt(variance), (double)Scalar($"[:find (stddev ?a) . {where}]")!, 9);
        Assert.Equal(4.0, (double)Scalar("[:find (sum ?s) . :where [_ :person/score ?s]]")!, 9);
        Assert.Equal(2.0, (double)Scalar("[:find (median ?s) . :where [_ :person/score ?s]]")!, 9);
    }

    private static object? Scalar(string q) => Data.Q(q);

    [Fact]
    public void Min_and_max_compare_any_values()
    {
        AssertQ("#{[25 30]}", "[:find (min ?a) (max ?a) :where [_ :person/age ?a]]");
        AssertQ("""#{["Alice" "Dave"]}""", "[:find (min ?n) (max ?n) :where [_ :person/name ?n]]");
    }

    [Fact]
    public void Min_and_max_of_n_give_sorted_vectors()
    {
        AssertQ("""#{[["Alice" "Bob"] ["Dave" "Carol"]]}""", "[:find (min 2 ?n) (max 2 ?n) :where [_ :person/name ?n]]");
        AssertQ("""#{[["Alice" "Bob" "Carol" "Dave"]]}""", "[:find (min 9 ?n) :where [_ :person/name ?n]]");
    }

    [Fact]
    public void The_count_of_min_can_be_an_input() =>
        AssertQ("""#{[["Alice"]]}""", "[:find (min ?k ?n) :in $ ?k :where [_ :person/name ?n]]", 1L);

    [Fact]
    public void Distinct_gives_a_set() =>
        AssertQ("#{[#{25 30}]}", "[:find (distinct ?a) :with ?e :where [?e :person/age ?a]]");

    [Fact]
    public void Rand_and_sample_pick_from_the_group()
    {
        var names = new HashSet<object?> { "Alice", "Bob", "Carol", "Dave" };
        Assert.Contains(Data.Q("[:find (rand ?n) . :where [_ :person/name ?n]]"), names);
        var picked = Assert.IsType<EdnVector>(Data.Q("[:find (rand 5 ?n) . :where [_ :person/name ?n]]"));
        Assert.Equal(5, picked.Count);
        Assert.All(picked, n => Assert.Contains(n, names));
        var sample = Assert.IsType<EdnVector>(Data.Q("[:find (sample 3 ?n) . :where [_ :person/name ?n]]"));
        Assert.Equal(3, sample.Distinct().Count());
        Assert.All(sample, n => Assert.Contains(n, names));
        Assert.Equal(4, Assert.IsType<EdnVector>(Data.Q("[:find (sample 9 ?n) . :where [_ :person/name ?n]]")).Count);
    }

    [Fact]
    public void An_aggregate_of_nothing_is_no_row()
    {
        AssertQ("#{}", "[:find (count ?e) :where [?e :person/age 99]]");
        Assert.Null(Data.Q("[:find (count ?e) . :where [?e :person/age 99]]"));
    }

    [Fact]
    public void Aggregates_work_in_a_collection_find() =>
        AssertQ("[2]", "[:find [(count ?e) ...] :where [?e :person/age 30]]");

    [Fact]
    public void Sum_of_a_value_that_is_not_a_number_is_an_error() =>
        Assert.Contains("(sum ?n)", Fails("[:find (sum ?n) :where [_ :person/name ?n]]").Message);

    [Fact]
    public void A_count_past_the_query_bound_is_an_error_not_an_allocation() =>
        Assert.Contains("(rand 100000000000 ?n)", Fails("[:find (rand 100000000000 ?n) :where [_ :person/name ?n]]").Message);

    [Fact]
    public void A_pull_next_to_an_aggregate_groups_by_its_entity() =>
        AssertQ("""#{[{:person/name "Alice"} 2]}""", "[:find (pull ?e [:person/name]) (count ?t) :where [?e :person/tags ?t]]");
}
