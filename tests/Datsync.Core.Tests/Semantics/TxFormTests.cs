using Datsync.Core;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Semantics;

/// <summary>semantics.md, "Transaction data".</summary>
public class TxFormTests
{
    private readonly Db _db = TestDb.Schema;

    [Fact]
    public void Add_asserts_one_datom_on_a_new_entity()
    {
        var r = _db.Tx("""[[:db/add "p" :person/name "Ivan"]]""");
        var e = r.Tempids["p"];
        Assert.Equal("Ivan", r.DbAfter.Value(e, ":person/name"));
        Assert.Equal(_db.BasisT + 1, r.DbAfter.BasisT);
    }

    [Fact]
    public void Retract_removes_a_held_datom()
    {
        var db = _db.After("""[{:person/email "a@x" :person/aliases ["x" "y"]}]""");
        var e = db.Id(":person/email", "a@x");
        var r = db.Tx($"""[[:db/retract {e} :person/aliases "x"]]""");
        Assert.Equal(new object[] { "y" }, r.DbAfter.Values(e, ":person/aliases"));
        Assert.Contains(r.TxData, d => !d.Added && (string)d.V == "x");
    }

    [Fact]
    public void The_fn_aliases_behave_like_the_db_forms()
    {
        var db = _db.After("""[{:person/email "a@x" :person/age 3}]""");
        var e = db.Id(":person/email", "a@x");
        var db2 = db.After($"""[[:db.fn/cas {e} :person/age 3 4]]""");
        Assert.Equal(4L, db2.Value(e, ":person/age"));
        var db3 = db2.After($"""[[:db.fn/retractEntity {e}]]""");
        Assert.Empty(db3.Datoms(IndexType.Eavt, e));
    }

    [Fact]
    public void A_map_without_db_id_gets_its_own_entity()
    {
        var r = _db.Tx("""[{:person/name "A"} {:person/name "B"}]""");
        var names = r.DbAfter.Datoms(IndexType.Aevt, K(":person/name")).ToList();
        Assert.Equal(2, names.Count);
        Assert.NotEqual(names[0].E, names[1].E);
    }

    [Fact]
    public void A_cardinality_many_value_may_be_a_collection_of_values()
    {
        var r = _db.Tx("""[{:db/id "p" :person/aliases ["a" "b" "c"]} {:db/id "q" :person/aliases #{"d"}}]""");
        Assert.Equal(new object[] { "a", "b", "c" }, r.DbAfter.Values(r.Tempids["p"], ":person/aliases"));
        Assert.Equal(new object[] { "d" }, r.DbAfter.Values(r.Tempids["q"], ":person/aliases"));
    }

    [Fact]
    public void A_nested_map_under_a_component_attribute_becomes_a_component_entity()
    {
        var r = _db.Tx("""[{:db/id "p" :person/name "A" :person/address {:address/street "Main"} :person/pets [{:pet/name "Rex"} {:pet/name "Tom"}]}]""");
        var db = r.DbAfter;
        var p = r.Tempids["p"];
        var addr = (long)db.Value(p, ":person/address")!;
        Assert.Equal("Main", db.Value(addr, ":address/street"));
        var pets = db.Values(p, ":person/pets").Cast<long>().Select(x => db.Value(x, ":pet/name")).ToHashSet();
        Assert.Equal(new HashSet<object?> { "Rex", "Tom" }, pets);
    }

    [Fact]
    public void A_nested_map_with_a_unique_identity_is_allowed_under_a_plain_ref()
    {
        var r = _db.Tx("""[{:db/id "p" :person/friends [{:person/email "f@x" :person/name "F"}]}]""");
        var f = r.DbAfter.Id(":person/email", "f@x");
        Assert.Equal(new object[] { f }, r.DbAfter.Values(r.Tempids["p"], ":person/friends"));
    }

    [Fact]
    public void A_nested_map_under_a_plain_ref_without_identity_is_rejected()
    {
        var ex = _db.Rejects("""[{:person/name "A" :person/spouse {:person/name "B"}}]""", ":db.error/invalid-nested-entity");
        Assert.Contains(":person/spouse", ex.Message);
    }

    [Fact]
    public void A_reverse_ref_in_a_map_asserts_the_ref_from_the_other_entity()
    {
        var db = _db.After("""[{:person/email "owner@x"}]""");
        var owner = db.Id(":person/email", "owner@x");
        var r = db.Tx("""[{:db/id "f" :person/name "Friend" :person/_friends [[:person/email "owner@x"]]}]""");
        Assert.Equal(new object[] { r.Tempids["f"] }, r.DbAfter.Values(owner, ":person/friends"));
    }

    [Fact]
    public void Entities_can_be_named_by_id_lookup_ref_ident_tempid_string_and_negative_number()
    {
        var db = _db.After("""[{:person/email "a@x"}]""");
        var a = db.Id(":person/email", "a@x");
        var r = db.Tx($"""
            [[:db/add {a} :person/age 1]
             [:db/add [:person/email "a@x"] :person/name "A"]
             [:db/add :color/red :db/doc "the red one"]
             [:db/add "s" :person/name "S"]
             [:db/add -7 :person/name "N"]]
            """);
        var db2 = r.DbAfter;
        Assert.Equal(1L, db2.Value(a, ":person/age"));
        Assert.Equal("A", db2.Value(a, ":person/name"));
        Assert.Equal("the red one", db2.Value(db2.EntId(K(":color/red"))!.Value, ":db/doc"));
        Assert.Equal("S", db2.Value(r.Tempids["s"], ":person/name"));
        Assert.Equal("N", db2.Value(r.Tempids[-7L], ":person/name"));
    }

    [Fact]
    public void Datomic_tx_names_the_transaction_entity_for_metadata()
    {
        var r = _db.Tx("""[[:db/add "p" :person/name "A"] [:db/add "datomic.tx" :db/doc "import batch 7"]]""");
        Assert.Equal("import batch 7", r.DbAfter.Value(r.TxId, ":db/doc"));
    }

    [Fact]
    public void A_ref_value_may_be_any_entity_identifier()
    {
        var db = _db.After("""[{:person/email "a@x"} {:person/email "b@x"}]""");
        var a = db.Id(":person/email", "a@x");
        var b = db.Id(":person/email", "b@x");
        var r = db.Tx($"""
            [[:db/add {a} :person/friends {b}]
             [:db/add {a} :person/friends [:person/email "b@x"]]
             [:db/add {a} :person/color :color/red]
             [:db/add {a} :person/friends "n"]
             [:db/add "n" :person/name "new"]]
            """);
        var db2 = r.DbAfter;
        Assert.Equal(new object[] { b, r.Tempids["n"] }, db2.Values(a, ":person/friends"));
        Assert.Equal(db2.EntId(K(":color/red")), (long)db2.Value(a, ":person/color")!);
    }

    [Fact]
    public void A_form_that_is_neither_a_list_nor_a_map_is_invalid_tx_data()
    {
        var ex = _db.Rejects("""[42]""", ":db.error/invalid-tx-data");
        Assert.Contains("42", ex.Message);
        _db.Rejects("""[[:db/frobnicate 1 2 3]]""", ":db.error/invalid-tx-data");
        _db.Rejects("""[[:db/add "x" :person/name]]""", ":db.error/invalid-tx-data");
        _db.Rejects("""[{"name" "x"}]""", ":db.error/invalid-tx-data");
    }
}
