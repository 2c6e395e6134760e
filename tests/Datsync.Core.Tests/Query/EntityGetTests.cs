using Datsync.Core;

namespace Datsync.Core.Tests.Query;

/// <summary>Typed reads on entities: one value as T, many values as a collection of T.</summary>
public class EntityGetTests
{
    private static readonly TxReport Report = Db.Empty.Transact("""
        [{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :person/aliases :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
         {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}]
        """).DbAfter.Transact("""
        [{:db/id "ivan" :person/name "Ivan" :person/age 41 :person/aliases ["Vanya" "Vanka"] :person/friend "anna"}
         {:db/id "anna" :person/name "Anna" :person/age 3000000000}]
        """);

    private static Entity Ivan => Report.DbAfter.Entity(Report.Tempids["ivan"])!;

    [Fact]
    public void One_value_reads_as_its_type()
    {
        Assert.Equal("Ivan", Ivan.Get<string>(":person/name"));
        Assert.Equal(41L, Ivan.Get<long>(":person/age"));
        Assert.Equal(41, Ivan.Get<int>(":person/age"));
        Assert.Equal(41L, Ivan.Get<long?>(":person/age"));
        Assert.Equal(Report.Tempids["anna"], Ivan.Get<long>(":person/friend"));
        Assert.Equal("Anna", Ivan.Get<Entity>(":person/friend")!.Get<string>(":person/name"));
    }

    [Fact]
    public void A_missing_value_reads_as_default()
    {
        var anna = Ivan.Get<Entity>(":person/friend")!;
        Assert.Null(anna.Get<string>(":person/aliases"));
        Assert.Null(anna.Get<long?>(":person/friend"));
        Assert.Equal(0L, anna.Get<long>(":person/friend"));
        Assert.Empty(anna.GetAll<string>(":person/aliases"));
    }

    [Fact]
    public void Many_values_read_as_a_collection_and_one_value_as_a_collection_of_one()
    {
        Assert.Equal(["Vanka", "Vanya"], Ivan.GetAll<string>(":person/aliases").Order());
        Assert.Equal(["Ivan"], Ivan.GetAll<string>(":person/name"));
        var many = Assert.Throws<InvalidCastException>(() => Ivan.Get<string>(":person/aliases"));
        Assert.Contains("GetAll", many.Message);
        Assert.True(Ivan.Get<IReadOnlySet<string>>(":person/aliases")!.SetEquals(["Vanya", "Vanka"]));
        Assert.Equal(["Vanka", "Vanya"], Ivan.Get<string[]>(":person/aliases")!.Order());
        Assert.Equal(["Vanka", "Vanya"], Ivan.Get<IReadOnlyList<string>>(":person/aliases")!.Order());
        Assert.Equal(["Vanka", "Vanya"], Ivan.Get<IEnumerable<string>>(":person/aliases")!.Order());
        Assert.IsType<HashSet<string>>(Ivan.Get<ISet<string>>(":person/aliases"));
        Assert.Throws<InvalidCastException>(() => Ivan.Get<IReadOnlySet<long>>(":person/aliases"));
    }

    [Fact]
    public void A_value_of_another_type_fails_naming_the_attribute_and_both_types()
    {
        var e = Assert.Throws<InvalidCastException>(() => Ivan.Get<string>(":person/age"));
        Assert.Contains(":person/age", e.Message);
        Assert.Contains("Int64", e.Message);
        Assert.Contains("String", e.Message);
        var anna = Ivan.Get<Entity>(":person/friend")!;
        Assert.Contains("3000000000", Assert.Throws<InvalidCastException>(() => anna.Get<int>(":person/age")).Message);
    }
}
