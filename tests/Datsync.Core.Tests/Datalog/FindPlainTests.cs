using Datsync.Core;
using static Datsync.Core.Tests.Datalog.Family;

namespace Datsync.Core.Tests.Datalog;

/// <summary>Finds of plain variables (no aggregates, no pulls): which rows repeat, nils, empty results, and results
/// larger than a small set's linear lookup.</summary>
public class FindPlainTests
{
    private static readonly Keyword Id = Keyword.Intern("v/id"), D = Keyword.Intern("v/d"), N = Keyword.Intern("v/n");

    private static readonly Db Values = Db.Empty.Transact("""
        [{:db/ident :v/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :v/d :db/valueType :db.type/double :db/cardinality :db.cardinality/many}
         {:db/ident :v/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """).DbAfter;

    [Fact]
    public void Repeated_input_tuples_are_one_row() =>
        AssertQ("""#{[1 "x"] [2 "y"]}""", "[:find ?a ?b :in [[?a ?b]] :where [(> 2 1)]]", Read("""[[1 "x"] [2 "y"] [1 "x"] [2 "y"]]"""));

    [Fact]
    public void A_projection_that_drops_the_distinguishing_column_repeats_no_row()
    {
        // three people, two of them 30: ?e is scanned but not found
        var r = Assert.IsType<EdnSet>(Data.Q("[:find ?a :where [?e :person/age ?a]]"));
        Assert.Equal(2, r.Count);
        Assert.True(Read("#{[25] [30]}")!.Equals(r));
    }

    [Fact]
    public void A_repeated_find_variable_fills_both_places() =>
        AssertQ("""#{["Bob" 25 "Bob"]}""", "[:find ?n ?a ?n :where [?e :person/age 25] [?e :person/name ?n] [?e :person/age ?a]]");

    [Fact]
    public void A_collection_keeps_first_occurrences_in_order()
    {
        var r = Assert.IsType<EdnVector>(Data.Q("[:find [?x ...] :in [?x ...] :where [(> 2 1)]]", Read("[3 1 3 2 1]")));
        Assert.Equal(new object?[] { 3L, 1L, 2L }, r);
    }

    [Fact]
    public void With_keeps_repeats_in_a_collection()
    {
        var r = Assert.IsType<EdnVector>(Data.Q("[:find [?a ...] :with ?e :where [?e :person/age ?a]]"));
        Assert.Equal(new long[] { 25, 30, 30 }, r.Select(x => (long)x!).Order().ToArray());
    }

    [Fact]
    public void With_rows_repeat_only_when_the_with_variable_differs()
    {
        // [1 :a] twice is one row of ?x ?y; [1 :b] differs in ?y: two rows found as [1]
        var r = Assert.IsType<EdnVector>(Data.Q("[:find ?x :with ?y :in [[?x ?y]] :where [(> 2 1)]]", Read("[[1 :a] [1 :a] [1 :b] [2 :a]]")));
        Assert.Equal(3, r.Count);
        Assert.Equal(new long[] { 1, 1, 2 }, r.Select(x => (long)((EdnVector)x!)[0]!).Order().ToArray());
    }

    [Fact]
    public void Nil_values_are_found_once()
    {
        AssertQ("#{[nil] [1]}", "[:find ?x :in [?x ...] :where [(> 2 1)]]", Read("[nil 1 nil]"));
        AssertQ("[nil 1]", "[:find [?x ...] :in [?x ...] :where [(> 2 1)]]", Read("[nil 1 nil]"));
        AssertQ("#{[nil 1] [nil 2]}", "[:find ?x ?y :in [[?x ?y]] :where [(> 2 1)]]", Read("[[nil 1] [nil 2] [nil 1]]"));
    }

    [Fact]
    public void A_scalar_of_a_nil_value_is_null() =>
        Assert.Null(Data.Q("[:find ?x . :in ?x :where [(> 2 1)]]", new object?[] { null }));

    [Fact]
    public void A_scalar_is_the_first_row_found() =>
        Assert.Equal(7L, Data.Q("[:find ?x . :in [?x ...] :where [(> 2 1)]]", Read("[7 8 7]")));

    [Fact]
    public void A_tuple_is_the_first_row_found() =>
        AssertQ("[7 :a]", "[:find [?x ?y] :in [[?x ?y]] :where [(> 2 1)]]", Read("[[7 :a] [8 :b]]"));

    [Fact]
    public void A_scalar_and_a_tuple_that_find_nothing_are_null()
    {
        Assert.Null(Data.Q("[:find ?x . :in [?x ...] :where [(> 2 1)]]", Read("[]")));
        Assert.Null(Data.Q("[:find [?x ?y] :in [[?x ?y]] :where [(> 2 1)]]", Read("[]")));
        Assert.Null(Data.Q("""[:find [?e ?a] :where [?e :person/name "Nobody"] [?e :person/age ?a]]"""));
    }

    [Fact]
    public void A_tuple_with_keys_that_finds_nothing_is_a_map_of_nils() =>
        AssertQ("{:n nil :a nil}", """[:find [?n ?a] :keys n a :where [?e :person/name "Nobody"] [?e :person/age ?a] [?e :person/name ?n]]""");

    [Fact]
    public void A_relation_or_collection_that_finds_nothing_is_empty()
    {
        Assert.Empty(Assert.IsType<EdnSet>(Data.Q("""[:find ?e ?a :where [?e :person/name "Nobody"] [?e :person/age ?a]]""")));
        Assert.Empty(Assert.IsType<EdnVector>(Data.Q("""[:find [?a ...] :where [?e :person/name "Nobody"] [?e :person/age ?a]]""")));
        Assert.Empty(Assert.IsType<EdnVector>(Data.Q("""[:find ?a :with ?e :where [?e :person/name "Nobody"] [?e :person/age ?a]]""")));
    }

    [Fact]
    public void Numbers_equal_as_query_values_are_one_row() =>
        // 1 and 1.0 are the same query value (as when joining): one row, the first
        AssertQ("#{[1] [2]}", "[:find ?x :in [?x ...] :where [(> 2 1)]]", Read("[1 1.0 2]"));

    [Fact]
    public void Values_equal_as_EDN_are_one_row_of_a_relation()
    {
        var plusNaN = BitConverter.Int64BitsToDouble(0x7FF8000000000000);
        // two NaNs are unequal query values but one EDN value: one row of the set
        var r = Assert.IsType<EdnSet>(Data.Q("[:find ?x :in [?x ...] :where [(> 2 1)]]", new EdnVector(double.NaN, plusNaN, 1.5)));
        Assert.Equal(2, r.Count);
        Assert.True(r.Contains(new EdnVector(double.NaN)));
        Assert.True(r.Contains(new EdnVector(1.5)));
    }

    [Fact]
    public void Distinct_datoms_whose_values_are_equal_as_EDN_are_one_row()
    {
        // the store keeps both NaNs and both zeros of one entity as four datoms; as EDN they are two values
        var plusNaN = BitConverter.Int64BitsToDouble(0x7FF8000000000000);
        var db = Values.Transact(new object?[]
        {
            new Dictionary<object, object?> { [Id] = 1L, [D] = new List<object?> { double.NaN, plusNaN, 0.0, -0.0 } },
        }).DbAfter;
        var rows = Assert.IsType<EdnSet>(db.Q("[:find ?e ?x :where [?e :v/d ?x]]"));
        Assert.Equal(2, rows.Count);
        var e = rows.Cast<EdnVector>().First()[0];
        Assert.True(new EdnSet(new EdnVector(e, double.NaN), new EdnVector(e, 0.0)).Equals(rows));
    }

    [Fact]
    public void A_large_relation_result_compares_and_looks_up_by_value()
    {
        var tx = Enumerable.Range(0, 50).Select(object? (i) => new Dictionary<object, object?> { [Id] = (long)i, [N] = (long)(i % 7) }).ToList();
        var db = Values.Transact(tx).DbAfter;
        var r = Assert.IsType<EdnSet>(db.Q("[:find ?id ?n :where [?e :v/id ?id] [?e :v/n ?n] [(< ?id 40)]]"));
        Assert.Equal(40, r.Count);
        var expected = new EdnSet(Enumerable.Range(0, 40).Reverse().Select(object? (i) => new EdnVector((long)i, (long)(i % 7))));
        Assert.True(expected.Equals(r));
        Assert.True(r.Equals(expected));
        Assert.False(r.Equals(new EdnSet(expected.Skip(1).Append(new EdnVector(99L, 1L)))));
        Assert.Equal(expected.GetHashCode(), r.GetHashCode());
        Assert.True(r.Contains(new EdnVector(39L, 4L)));
        Assert.False(r.Contains(new EdnVector(39L, 5L)));
        Assert.False(r.Contains(new EdnVector(40L, 5L)));
        Assert.False(r.Contains(null));
        // a projection of the same rows: seven distinct values of ?n
        AssertQ(db, "#{[0] [1] [2] [3] [4] [5] [6]}", "[:find ?n :where [?e :v/id ?id] [?e :v/n ?n] [(< ?id 40)]]");
    }

    [Fact]
    public void Keys_rows_of_a_large_result_are_distinct_maps()
    {
        var tx = Enumerable.Range(0, 20).Select(object? (i) => new Dictionary<object, object?> { [Id] = (long)i, [N] = (long)(i % 2) }).ToList();
        var db = Values.Transact(tx).DbAfter;
        var r = Assert.IsType<EdnSet>(db.Q("[:find ?n :keys n :where [_ :v/n ?n]]"));
        Assert.True(Read("#{{:n 0} {:n 1}}")!.Equals(r));
        var all = Assert.IsType<EdnSet>(db.Q("[:find ?id ?n :keys id n :where [?e :v/id ?id] [?e :v/n ?n]]"));
        Assert.Equal(20, all.Count);
        Assert.True(all.Contains(Read("{:id 19 :n 1}")));
        Assert.False(all.Contains(Read("{:id 19 :n 0}")));
    }
}
