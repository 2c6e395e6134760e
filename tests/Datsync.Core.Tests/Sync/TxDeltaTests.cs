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
}
