using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>The typed helpers for the common find shapes: one value, a collection, tuples of two or three.</summary>
public class TypedQueryTests
{
    private static readonly Db Db = Family.Data;

    [Fact]
    public void A_scalar_find_reads_as_its_type_and_nothing_found_as_default()
    {
        Assert.Equal(30L, Db.QScalar<long>("[:find ?a . :where [?e :person/name \"Alice\"] [?e :person/age ?a]]"));
        Assert.Equal(30, Db.QScalar<int>("[:find ?a . :where [?e :person/name \"Alice\"] [?e :person/age ?a]]"));
        Assert.Equal("Bob", Db.QScalar<string>("[:find ?n . :in $ ?a :where [?e :person/age ?a] [?e :person/name ?n]]", 25L));
        Assert.Null(Db.QScalar<string>("[:find ?n . :where [?e :person/name ?n] [?e :person/age 99]]"));
        Assert.Null(Db.QScalar<long?>("[:find ?a . :where [?e :person/name \"Dave\"] [?e :person/age ?a]]"));
        Assert.Equal(4, Db.QScalar<long>("[:find (count ?e) . :where [?e :person/name]]"));
    }

    [Fact]
    public void A_collection_or_one_column_reads_as_a_list()
    {
        Assert.Equal(["Alice", "Bob", "Carol", "Dave"], Db.QCollection<string>("[:find [?n ...] :where [_ :person/name ?n]]").Order());
        Assert.Equal(["Bob", "Dave"], Db.QCollection<string>("[:find ?n :where [?e :person/parent ?p] [?p :person/age ?a] [(>= ?a 30)] [?e :person/name ?n]]").Order());
    }

    [Fact]
    public void Tuples_read_as_typed_pairs_and_triples()
    {
        Assert.Equal([("Alice", 30L), ("Bob", 25L), ("Carol", 30L)],
            Db.QTuples<string, long>("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]").Order());
        var parents = Db.QTuples<string, string, int>(
            "[:find ?n ?pn ?pa :where [?e :person/parent ?p] [?e :person/name ?n] [?p :person/name ?pn] [?p :person/age ?pa]]");
        Assert.Equal([("Bob", "Alice", 30), ("Carol", "Bob", 25), ("Dave", "Carol", 30)], parents.Order());
    }

    [Fact]
    public void Another_shape_or_another_type_is_a_query_error_naming_it()
    {
        var shape = Assert.Throws<QueryException>(() => Db.QScalar<long>("[:find ?a :where [_ :person/age ?a]]"));
        Assert.Contains("QScalar", shape.Message);
        var type = Assert.Throws<QueryException>(() => Db.QScalar<long>("[:find ?n . :where [_ :person/name ?n]]"));
        Assert.Contains("String", type.Message);
        Assert.Contains("Int64", type.Message);
        var width = Assert.Throws<QueryException>(() => Db.QTuples<string, long>("[:find ?n :where [_ :person/name ?n]]"));
        Assert.Contains("2 elements", width.Message);
        Assert.Throws<QueryException>(() => Db.QCollection<string>("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a]]"));
    }
}
