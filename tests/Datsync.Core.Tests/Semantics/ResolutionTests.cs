using Datsync.Core;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Semantics;

/// <summary>semantics.md, "Resolution".</summary>
public class ResolutionTests
{
    private readonly Db _db = TestDb.Schema.After("""[{:person/email "a@x" :person/name "A"} {:person/email "b@x" :person/name "B"}]""");

    [Fact]
    public void Lookup_refs_resolve_against_the_database_before_the_transaction()
    {
        // the lookup ref names an email this very transaction asserts: Datomic does not see it
        var ex = _db.Rejects("""[{:person/email "c@x"} [:db/add [:person/email "c@x"] :person/age 3]]""", ":db.error/not-an-entity");
        Assert.Contains("c@x", ex.Message);
    }

    [Fact]
    public void A_lookup_ref_that_finds_nothing_is_an_error_also_in_retractions()
    {
        _db.Rejects("""[[:db/add [:person/email "nobody@x"] :person/age 1]]""", ":db.error/not-an-entity");
        _db.Rejects("""[[:db/retract [:person/email "nobody@x"] :person/name "A"]]""", ":db.error/not-an-entity");
        _db.Rejects("""[[:db/retractEntity [:person/email "nobody@x"]]]""", ":db.error/not-an-entity");
    }

    [Fact]
    public void A_lookup_ref_on_a_non_unique_attribute_is_rejected()
    {
        var ex = _db.Rejects("""[[:db/add [:person/name "A"] :person/age 1]]""", ":db.error/not-an-entity");
        Assert.Contains(":person/name", ex.Message);
    }

    [Fact]
    public void A_tempid_asserting_an_existing_identity_value_upserts_into_that_entity()
    {
        var a = _db.Id(":person/email", "a@x");
        var r = _db.Tx("""[{:db/id "t" :person/email "a@x" :person/age 40}]""");
        Assert.Equal(a, r.Tempids["t"]);
        Assert.Equal(40L, r.DbAfter.Value(a, ":person/age"));
        Assert.Equal(_db.MaxEntityId, r.DbAfter.MaxEntityId);
    }

    [Fact]
    public void A_map_without_db_id_upserts_on_its_identity_value()
    {
        var a = _db.Id(":person/email", "a@x");
        var db = _db.After("""[{:person/email "a@x" :person/name "A2"}]""");
        Assert.Equal("A2", db.Value(a, ":person/name"));
        Assert.Equal(_db.Count + 1, db.Count); // the name is replaced; only the transaction's :db/txInstant is new
    }

    [Fact]
    public void Tempids_asserting_the_same_new_identity_value_become_one_entity()
    {
        var r = _db.Tx("""[[:db/add "x" :person/email "new@x"] [:db/add "y" :person/email "new@x"] [:db/add "y" :person/age 5]]""");
        Assert.Equal(r.Tempids["x"], r.Tempids["y"]);
        Assert.Equal(5L, r.DbAfter.Value(r.Tempids["x"], ":person/age"));
    }

    [Fact]
    public void Tempids_with_different_new_identity_values_stay_different_entities_when_another_tempid_upserts()
    {
        // "b" is first a ref value, "d" upserts only after it was used as a ref value, "c" is new after that:
        // DataScript's retry-with-tempid gives "c" the id it gave "b" and folds them; each is its own entity
        var a = _db.Id(":person/email", "a@x");
        var r = _db.Tx("""
            [{:db/id "n" :person/email "n@x" :person/friends "b" :person/spouse "d"}
             {:db/id "d" :person/email "a@x"}
             {:db/id "c" :person/email "c@x" :person/name "C"}
             {:db/id "b" :person/email "b2@x" :person/name "B"}]
            """);
        Assert.Equal(a, r.Tempids["d"]);
        Assert.Equal(4, new[] { r.Tempids["n"], r.Tempids["d"], r.Tempids["c"], r.Tempids["b"] }.Distinct().Count());
        var db = r.DbAfter;
        Assert.Equal(r.Tempids["c"], db.Id(":person/email", "c@x"));
        Assert.Equal("C", db.Value(r.Tempids["c"], ":person/name"));
        Assert.Equal("B", db.Value(db.Id(":person/email", "b2@x"), ":person/name"));
        Assert.Equal([(object)db.Id(":person/email", "b2@x")], db.Values(r.Tempids["n"], ":person/friends"));
        Assert.Equal(a, db.Value(r.Tempids["n"], ":person/spouse"));
    }

    [Fact]
    public void A_tempid_that_would_resolve_to_two_existing_entities_is_an_error()
    {
        var ex = _db.Rejects("""[[:db/add "t" :person/email "a@x"] [:db/add "t" :person/email "b@x"]]""", ":db.error/unique-conflict");
        Assert.Contains("\"t\"", ex.Message);
    }

    [Fact]
    public void Unique_value_never_upserts()
    {
        var db = _db.After("""[[:db/add [:person/email "a@x"] :person/ssn "123"]]""");
        var ex = db.Rejects("""[{:person/ssn "123" :person/name "someone else"}]""", ":db.error/unique-conflict");
        Assert.Contains("123", ex.Message);
    }

    [Fact]
    public void A_tempid_used_only_as_a_value_is_an_error()
    {
        var ex = _db.Rejects("""[[:db/add [:person/email "a@x"] :person/friends "ghost"]]""", ":db.error/tempid-not-an-entity");
        Assert.Contains("ghost", ex.Message);
    }

    [Fact]
    public void An_explicit_id_must_name_an_existing_entity()
    {
        var ex = _db.Rejects($"""[[:db/add {_db.MaxEntityId + 100} :person/name "X"]]""", ":db.error/not-an-entity");
        Assert.Contains((_db.MaxEntityId + 100).ToString(), ex.Message);
        _db.Rejects($"""[[:db/add [:person/email "a@x"] :person/friends {_db.MaxEntityId + 5}]]""", ":db.error/not-an-entity");
    }

    [Fact]
    public void An_unknown_ident_is_not_an_entity()
    {
        _db.Rejects("""[[:db/add [:person/email "a@x"] :person/color :color/green]]""", ":db.error/not-an-entity");
    }

    [Fact]
    public void New_entities_get_fresh_ids_above_every_id_ever_allocated()
    {
        var r = _db.Tx("""[{:db/id "n" :person/name "N"}]""");
        Assert.Equal(_db.MaxEntityId + 1, r.Tempids["n"]);
        var gone = r.DbAfter.After($"""[[:db/retractEntity {r.Tempids["n"]}]]""");
        var r2 = gone.Tx("""[{:db/id "m" :person/name "M"}]""");
        Assert.Equal(_db.MaxEntityId + 2, r2.Tempids["m"]);
    }
}
