using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Sync;

public class TxDeltaTests
{
    [Fact]
    public void A_delta_names_attributes_by_ident_and_puts_schema_datoms_first()
    {
        var r = TestDb.Schema.Tx("""
            [{:person/name "A"}
             {:db/ident :person/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """);
        var delta = TxDelta.From(r.DbAfter, r.T, r.TxData);
        Assert.Equal(r.T, delta.T);
        Assert.Equal(r.TxData.Count, delta.Datoms.Count);
        var firstData = delta.Datoms.ToList().FindIndex(d => !d.IsSchema);
        Assert.True(delta.Datoms.Skip(firstData).All(d => !d.IsSchema), "schema datoms come before data datoms");
        Assert.Contains(delta.Datoms, d => d.IsSchema && d.A == K(":db/ident") && Equals(d.V, K(":person/nick")));
        Assert.Contains(delta.Datoms, d => !d.IsSchema && d.A == K(":person/name") && (string)d.V == "A");
        Assert.Equal(r.DbAfter.Value(r.TxId, ":db/txInstant"), delta.TxInstant);
    }

    [Fact]
    public void A_delta_carries_retractions_as_retractions()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/age 1}]""");
        var r = db.Tx("""[[:db/add [:person/email "a@x"] :person/age 2]]""");
        var delta = TxDelta.From(r.DbAfter, r.T, r.TxData);
        Assert.Contains(delta.Datoms, d => !d.Added && d.A == K(":person/age") && (long)d.V == 1);
        Assert.Contains(delta.Datoms, d => d.Added && d.A == K(":person/age") && (long)d.V == 2);
        Assert.StartsWith("{:t " + r.T + " :tx-instant #inst", delta.ToString());
    }

    [Fact]
    public void ApplyTx_refuses_a_transaction_that_does_not_follow_the_basis()
    {
        var r = TestDb.Schema.Tx("""[{:person/name "A"}]""");
        Assert.Throws<InvalidOperationException>(() => r.DbAfter.ApplyTx(r.T, r.TxData, r.DbAfter.MaxEntityId));
    }

    [Fact]
    public void A_replica_follows_an_attribute_rename_with_data_in_the_same_transaction()
    {
        var master = TestDb.Schema.After("""[{:person/email "a@x" :person/name "A"}]""");
        var replica = Db.FromDatoms(master.Datoms(IndexType.Eavt).ToList(), master.BasisT, master.MaxEntityId);
        var r = master.Tx("""[{:db/id :person/name :db/ident :person/full-name} [:db/add [:person/email "a@x"] :person/age 3]]""");
        var after = TxDelta.From(r.DbAfter, r.T, r.TxData).ApplyTo(replica);
        Assert.Null(after.Schema[K(":person/name")]);
        var e = after.Id(":person/email", "a@x");
        Assert.Equal("A", after.Value(e, ":person/full-name"));
        Assert.Equal(3L, after.Value(e, ":person/age"));
    }

    [Fact]
    public void A_delta_after_an_earlier_t_applies_to_the_value_at_that_t_and_an_empty_one_moves_the_t_on()
    {
        var db = TestDb.Schema.After("""[{:person/email "a@x" :person/age 1}]""");
        var r = db.Tx("""[[:db/add [:person/email "a@x"] :person/age 2]]""");
        var skipping = TxDelta.From(r.DbAfter, r.T + 5, r.TxData) with { MasterValue = null, After = db.BasisT };
        var applied = skipping.ApplyTo(db);
        Assert.Equal(r.T + 5, applied.BasisT);
        Assert.Equal(2L, applied.Value(applied.EntId(new object?[] { K(":person/email"), "a@x" })!.Value, ":person/age"));

        var on = new TxDelta(applied.BasisT + 3, DateTime.MinValue, []) { After = applied.BasisT }.ApplyTo(applied);
        Assert.Equal(applied.BasisT + 3, on.BasisT);
        Assert.Equal(applied.Count, on.Count);

        // a delta does not apply to a value at another t than the one it follows
        Assert.Throws<InvalidOperationException>(() => (skipping with { After = db.BasisT - 1 }).ApplyTo(db));
    }
}
