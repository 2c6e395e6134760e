using Datsync.Core;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Semantics;

/// <summary>semantics.md, "Schema".</summary>
public class SchemaTests
{
    [Fact]
    public void A_fresh_database_holds_the_built_in_attributes_as_datoms()
    {
        var db = Db.Empty;
        foreach (var ident in new[] { ":db/ident", ":db/valueType", ":db/cardinality", ":db/unique", ":db/isComponent", ":db/index", ":db/doc", ":db/noHistory", ":db/txInstant" })
        {
            var a = db.Schema[K(ident)];
            Assert.NotNull(a);
            Assert.Equal(K(ident), db.Value(a!.Id, ":db/ident"));
        }
        Assert.Equal(0, db.BasisT);
    }

    [Fact]
    public void Installing_an_attribute_makes_it_usable_in_later_transactions()
    {
        var db = Db.Empty.After("""[{:db/ident :x/n :db/valueType :db.type/long :db/cardinality :db.cardinality/many :db/doc "numbers"}]""");
        var a = db.Schema[K(":x/n")]!;
        Assert.Equal(ValueType.Long, a.ValueType);
        Assert.True(a.IsMany);
        Assert.Equal("numbers", a.Doc);
        var r = db.Tx("""[{:db/id "e" :x/n [1 2]}]""");
        Assert.Equal(new object[] { 1L, 2L }, r.DbAfter.Values(r.Tempids["e"], ":x/n"));
    }

    [Fact]
    public void An_attribute_needs_ident_value_type_and_cardinality()
    {
        Db.Empty.Rejects("""[{:db/ident :x/n :db/valueType :db.type/long}]""", ":db.error/incompatible-schema-change");
        Db.Empty.Rejects("""[{:db/ident :x/n :db/cardinality :db.cardinality/one}]""", ":db.error/incompatible-schema-change");
        Db.Empty.Rejects("""[{:db/valueType :db.type/long :db/cardinality :db.cardinality/one}]""", ":db.error/incompatible-schema-change");
    }

    [Fact]
    public void IsComponent_needs_a_ref_attribute()
    {
        var ex = Db.Empty.Rejects("""[{:db/ident :x/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/isComponent true}]""", ":db.error/incompatible-schema-change");
        Assert.Contains(":x/s", ex.Message);
    }

    [Fact]
    public void Using_an_attribute_that_is_not_installed_is_an_error()
    {
        var ex = TestDb.Schema.Rejects("""[{:person/nickname "x"}]""", ":db.error/not-an-attribute");
        Assert.Contains(":person/nickname", ex.Message);
        TestDb.Schema.Rejects("""[[:db/add "x" :nope/nope 1]]""", ":db.error/not-an-attribute");
    }

    [Fact]
    public void Renaming_an_ident_keeps_the_data_under_the_new_name()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/name "A"}]""");
        var renamed = db.After("""[{:db/id :person/name :db/ident :person/full-name}]""");
        Assert.Null(renamed.Schema[K(":person/name")]);
        var e = renamed.Id(":person/email", "a@x");
        Assert.Equal("A", renamed.Value(e, ":person/full-name"));
    }

    [Fact]
    public void Cardinality_one_may_become_many()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/name "A"}]""").After("""[{:db/id :person/name :db/cardinality :db.cardinality/many}]""");
        Assert.True(db.Schema[K(":person/name")]!.IsMany);
        var e = db.Id(":person/email", "a@x");
        db = db.After("""[[:db/add [:person/email "a@x"] :person/name "A2"]]""");
        Assert.Equal(new object[] { "A", "A2" }, db.Values(e, ":person/name"));
    }

    [Fact]
    public void Cardinality_many_may_become_one_only_when_no_entity_holds_two_values()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/aliases ["x" "y"]} {:person/email "b@x" :person/aliases ["z"]}]""");
        var ex = db.Rejects("""[{:db/id :person/aliases :db/cardinality :db.cardinality/one}]""", ":db.error/incompatible-schema-change");
        Assert.Contains(":person/aliases", ex.Message);
        var ok = db.After("""[[:db/retract [:person/email "a@x"] :person/aliases "y"]]""").After("""[{:db/id :person/aliases :db/cardinality :db.cardinality/one}]""");
        Assert.False(ok.Schema[K(":person/aliases")]!.IsMany);
    }

    [Fact]
    public void Unique_may_be_added_only_when_current_values_are_unique()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/name "Same"} {:person/email "b@x" :person/name "Same"}]""");
        db.Rejects("""[{:db/id :person/name :db/unique :db.unique/identity}]""", ":db.error/incompatible-schema-change");
        var ok = db.After("""[[:db/add [:person/email "b@x"] :person/name "Other"]]""").After("""[{:db/id :person/name :db/unique :db.unique/identity}]""");
        Assert.Equal(Uniqueness.Identity, ok.Schema[K(":person/name")]!.Unique);
        // now a lookup ref on it works, through the AVET index it was added to
        Assert.Equal(ok.Id(":person/email", "a@x"), ok.EntId(new object?[] { K(":person/name"), "Same" }));
    }

    [Fact]
    public void Unique_may_be_dropped()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x"}]""").After("""[[:db/retract :person/ssn :db/unique :db.unique/value]]""");
        Assert.Equal(Uniqueness.None, db.Schema[K(":person/ssn")]!.Unique);
        var twice = db.After("""[{:person/ssn "1"} {:person/ssn "1"}]""");
        Assert.Equal(2, twice.Datoms(IndexType.Aevt, K(":person/ssn")).Count());
    }

    [Fact]
    public void Index_component_doc_and_no_history_can_be_toggled()
    {
        var db = TestDb.Schema.After("""
            [{:db/id :person/age :db/index true :db/doc "years" :db/noHistory true}
             {:db/id :person/spouse :db/isComponent true}]
            """);
        var age = db.Schema[K(":person/age")]!;
        Assert.True(age.Indexed);
        Assert.Equal("years", age.Doc);
        Assert.True(age.NoHistory);
        Assert.True(db.Schema[K(":person/spouse")]!.IsComponent);
        var off = db.After("""[[:db/add :person/age :db/index false]]""");
        Assert.False(off.Schema[K(":person/age")]!.Indexed);
    }

    [Fact]
    public void The_value_type_never_changes()
    {
        var ex = TestDb.Schema.Rejects("""[{:db/id :person/age :db/valueType :db.type/string}]""", ":db.error/incompatible-schema-change");
        Assert.Contains(":person/age", ex.Message);
    }

    [Fact]
    public void Built_in_attributes_cannot_be_altered()
    {
        Db.Empty.Rejects("""[{:db/id :db/ident :db/cardinality :db.cardinality/many}]""", ":db.error/incompatible-schema-change");
    }

    [Fact]
    public void Indexing_an_attribute_puts_its_existing_datoms_in_avet()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/age 5} {:person/email "b@x" :person/age 7}]""");
        var indexed = db.After("""[{:db/id :person/age :db/index true}]""");
        Assert.Equal(new object[] { 5L, 7L }, indexed.Avet.Where(d => d.A == indexed.Schema[K(":person/age")]!.Id).Select(d => d.V));
        var unindexed = indexed.After("""[{:db/id :person/age :db/index false}]""");
        Assert.DoesNotContain(unindexed.Avet, d => d.A == unindexed.Schema[K(":person/age")]!.Id);
    }

    [Fact]
    public void Enum_idents_are_entities_usable_as_ref_values()
    {
        var db = TestDb.Schema.After("""[{:db/ident :color/green}]""").After("""[{:person/email "a@x" :person/color :color/green}]""");
        var green = db.EntId(K(":color/green"))!.Value;
        Assert.Equal(green, db.Value(db.Id(":person/email", "a@x"), ":person/color"));
        Assert.Equal(K(":color/green"), db.Ident(green));
    }
}
