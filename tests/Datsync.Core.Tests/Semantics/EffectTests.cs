using Datsync.Core;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Semantics;

/// <summary>semantics.md, "Effects".</summary>
public class EffectTests
{
    private readonly Db _db = TestDb.Schema.After("""
        [{:db/id "a" :person/email "a@x" :person/name "A" :person/age 30 :person/aliases ["x"]
          :person/address {:address/street "Main"} :person/pets [{:pet/name "Rex"}]}
         {:db/id "b" :person/email "b@x" :person/name "B" :person/friends ["a"] :person/spouse "a"}]
        """);

    private long A => _db.Id(":person/email", "a@x");
    private long B => _db.Id(":person/email", "b@x");

    [Fact]
    public void Asserting_a_datom_that_holds_produces_no_datom()
    {
        var r = _db.Tx("""[[:db/add [:person/email "a@x"] :person/name "A"] [:db/add [:person/email "a@x"] :person/aliases "x"]]""");
        Assert.Single(r.TxData); // only the transaction's :db/txInstant
        Assert.Equal(r.TxId, r.TxData[0].E);
    }

    [Fact]
    public void Retracting_a_datom_that_does_not_hold_produces_nothing()
    {
        var r = _db.Tx("""[[:db/retract [:person/email "a@x"] :person/name "Zed"] [:db/retract [:person/email "a@x"] :person/aliases "nope"]]""");
        Assert.Single(r.TxData);
        Assert.Equal("A", r.DbAfter.Value(A, ":person/name"));
    }

    [Fact]
    public void Asserting_a_cardinality_one_attribute_retracts_the_old_value()
    {
        var r = _db.Tx("""[[:db/add [:person/email "a@x"] :person/age 31]]""");
        Assert.Contains(r.TxData, d => d.E == A && !d.Added && (long)d.V == 30);
        Assert.Contains(r.TxData, d => d.E == A && d.Added && (long)d.V == 31);
        Assert.Equal(31L, r.DbAfter.Value(A, ":person/age"));
    }

    [Fact]
    public void Two_values_for_one_cardinality_one_attribute_in_one_transaction_conflict()
    {
        var ex = _db.Rejects("""[[:db/add [:person/email "a@x"] :person/age 1] [:db/add [:person/email "a@x"] :person/age 2]]""", ":db.error/datoms-conflict");
        Assert.Contains(":person/age", ex.Message);
    }

    [Fact]
    public void The_same_datom_asserted_and_retracted_conflicts()
    {
        _db.Rejects("""[[:db/add [:person/email "a@x"] :person/aliases "y"] [:db/retract [:person/email "a@x"] :person/aliases "y"]]""", ":db.error/datoms-conflict");
    }

    [Fact]
    public void Asserting_the_same_datom_twice_in_one_transaction_is_one_datom()
    {
        var r = _db.Tx("""[[:db/add [:person/email "a@x"] :person/aliases "z"] [:db/add [:person/email "a@x"] :person/aliases "z"]]""");
        Assert.Single(r.TxData, d => d.E == A);
    }

    [Fact]
    public void RetractEntity_retracts_the_entity_refs_to_it_and_its_components_recursively()
    {
        var a = A;
        var addr = (long)_db.Value(a, ":person/address")!;
        var pet = (long)_db.Values(a, ":person/pets").Single();
        var r = _db.Tx("""[[:db/retractEntity [:person/email "a@x"]]]""");
        var db = r.DbAfter;
        Assert.Empty(db.Datoms(IndexType.Eavt, a));
        Assert.Empty(db.Datoms(IndexType.Eavt, addr));
        Assert.Empty(db.Datoms(IndexType.Eavt, pet));
        Assert.Empty(db.Datoms(IndexType.Vaet, a));
        Assert.Empty(db.Values(B, ":person/friends"));
        Assert.Null(db.Value(B, ":person/spouse"));
        Assert.Equal("B", db.Value(B, ":person/name"));
    }

    [Fact]
    public void Every_transaction_gets_a_transaction_entity_with_its_instant()
    {
        var when = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var r = _db.Transact(Forms("""[[:db/add [:person/email "a@x"] :person/age 99]]"""), when);
        Assert.Equal(when, r.DbAfter.Value(r.TxId, ":db/txInstant"));
        Assert.All(r.TxData, d => Assert.Equal(r.TxId, d.Tx));
    }

    [Fact]
    public void Transaction_instants_never_go_back_in_time()
    {
        var later = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var db = _db.Transact(Forms("""[{:person/name "x"}]"""), later).DbAfter;
        var r = db.Transact(Forms("""[{:person/name "y"}]"""), later.AddDays(-1));
        Assert.Equal(later, r.DbAfter.Value(r.TxId, ":db/txInstant"));
    }

    [Fact]
    public void Basis_t_increases_by_exactly_one_per_successful_transaction()
    {
        var db = _db;
        for (var i = 0; i < 5; i++)
        {
            var t = db.BasisT;
            try { db.After("""[[:db/add [:person/email "zz@x"] :person/age 1]]"""); } catch (TxRejectedException) { }
            db = db.After($$"""[{:person/name "n{{i}}"}]""");
            Assert.Equal(t + 1, db.BasisT);
        }
    }

    [Fact]
    public void Cas_swaps_when_the_current_value_matches()
    {
        var db = _db.After("""[[:db/cas [:person/email "a@x"] :person/age 30 31]]""");
        Assert.Equal(31L, db.Value(A, ":person/age"));
    }

    [Fact]
    public void Cas_with_nil_old_value_asserts_only_when_there_is_no_value()
    {
        var db = _db.After("""[[:db/cas [:person/email "b@x"] :person/age nil 7]]""");
        Assert.Equal(7L, db.Value(B, ":person/age"));
        db.Rejects("""[[:db/cas [:person/email "b@x"] :person/age nil 8]]""", ":db.error/cas-failed");
    }

    [Fact]
    public void Cas_fails_when_the_current_value_differs()
    {
        var ex = _db.Rejects("""[[:db/cas [:person/email "a@x"] :person/age 29 31]]""", ":db.error/cas-failed");
        Assert.Contains("30", ex.Message);
        Assert.Contains(":person/age", ex.Message);
    }

    [Fact]
    public void A_failed_transaction_changes_nothing()
    {
        var before = _db.Datoms(IndexType.Eavt).ToList();
        _db.Rejects("""[[:db/add [:person/email "a@x"] :person/age 1] [:db/cas [:person/email "a@x"] :person/age 0 2]]""", ":db.error/cas-failed");
        Assert.Equal(before, _db.Datoms(IndexType.Eavt).ToList());
    }

    [Fact]
    public void A_unique_value_moves_to_another_entity_when_an_earlier_form_frees_it()
    {
        var db = _db.After("""[[:db/add [:person/email "a@x"] :person/ssn "1"] [:db/add [:person/email "b@x"] :person/ssn "2"]]""");
        var retracted = db.After("""[[:db/retract [:person/email "a@x"] :person/ssn "1"] [:db/add [:person/email "b@x"] :person/ssn "1"]]""");
        Assert.Null(retracted.Value(A, ":person/ssn"));
        Assert.Equal("1", retracted.Value(B, ":person/ssn"));
        var replaced = db.After("""[[:db/add [:person/email "a@x"] :person/ssn "3"] [:db/add [:person/email "b@x"] :person/ssn "1"]]""");
        Assert.Equal("3", replaced.Value(A, ":person/ssn"));
        Assert.Equal("1", replaced.Value(B, ":person/ssn"));
    }

    [Fact]
    public void A_unique_value_freed_only_by_a_later_form_is_still_held()
    {
        var db = _db.After("""[[:db/add [:person/email "a@x"] :person/ssn "1"] [:db/add [:person/email "b@x"] :person/ssn "2"]]""");
        var ex = db.Rejects("""[[:db/add [:person/email "b@x"] :person/ssn "1"] [:db/add [:person/email "a@x"] :person/ssn "3"]]""", ":db.error/unique-conflict");
        Assert.Contains(":person/ssn", ex.Message);
        db.Rejects("""[[:db/add [:person/email "b@x"] :person/ssn "1"] [:db/retract [:person/email "a@x"] :person/ssn "1"]]""", ":db.error/unique-conflict");
    }
}
