using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Query;

/// <summary>:db/txInstant is indexed: AVET reads find transactions by time.</summary>
public class TxInstantIndexTests
{
    private static readonly DateTime T0 = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Db Build(out List<long> txIds)
    {
        var db = TestDb.Schema;
        txIds = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var r = db.Transact(Forms($$"""[{:person/name "p{{i}}" :person/email "p{{i}}@x"}]"""), T0.AddDays(i));
            txIds.Add(r.TxId);
            db = r.DbAfter;
        }
        return db;
    }

    [Fact]
    public void Avet_lists_transactions_by_instant()
    {
        var db = Build(out var txIds);
        var avet = db.Datoms(IndexType.Avet, K(":db/txInstant")).ToList();
        Assert.Equal(txIds, avet.Select(d => d.E).Where(txIds.Contains));
        Assert.True(avet.Zip(avet.Skip(1)).All(p => (DateTime)p.First.V <= (DateTime)p.Second.V));
        Assert.Equal(txIds[2], db.Datoms(IndexType.Avet, K(":db/txInstant"), T0.AddDays(2)).Single().E);
    }

    [Fact]
    public void IndexRange_finds_the_transactions_of_a_period()
    {
        var db = Build(out var txIds);
        Assert.Equal(txIds.Skip(1).Take(2), db.IndexRange(K(":db/txInstant"), T0.AddDays(1), T0.AddDays(3)).Select(d => d.E));
    }

    [Fact]
    public void A_seek_through_avet_passes_the_instants_in_their_place()
    {
        var db = Build(out var txIds);
        var seek = db.SeekDatoms(IndexType.Avet, K(":db/txInstant"), T0.AddDays(3)).ToList();
        Assert.Equal(txIds.Skip(3), seek.Take(2).Select(d => d.E));
        Assert.Equal(db.Schema[K(":person/email")]!.Id, seek.Skip(2).First().A); // then the next indexed attribute
        var fromStart = db.SeekDatoms(IndexType.Avet).Select(d => d.A).ToList();
        Assert.Equal(fromStart.Order(), fromStart); // attributes in order, :db/txInstant included
        Assert.Contains(BuiltIns.TxInstantId, fromStart);
    }

    [Fact]
    public void Only_the_transaction_entity_has_an_instant_and_it_never_goes_back()
    {
        var db = Build(out _);
        db.Rejects("""[{:db/id "x" :person/name "x" :db/txInstant #inst "2031-01-01"}]""", ":db.error/invalid-tx-data");
        var ex = db.Rejects("""[{:person/name "y"} [:db/add "datomic.tx" :db/txInstant #inst "2029-01-01"]]""", ":db.error/invalid-tx-data");
        Assert.Contains(":db/txInstant", ex.Message);
        var r = db.Tx("""[{:person/name "z"} [:db/add "datomic.tx" :db/txInstant #inst "2031-06-01"]]""");
        Assert.Equal(new DateTime(2031, 6, 1, 0, 0, 0, DateTimeKind.Utc), r.DbAfter.Value(r.TxId, ":db/txInstant"));
    }

    [Fact]
    public void Aevt_lists_the_instants_of_all_transactions_in_t_order_in_their_place()
    {
        var db = Build(out var txIds);
        var instants = db.Datoms(IndexType.Aevt, K(":db/txInstant")).ToList();
        Assert.Equal(db.BasisT, instants.Count); // one per transaction
        Assert.Equal(txIds, instants.Select(d => d.E).TakeLast(5));
        Assert.Equal(T0.AddDays(4), db.Datoms(IndexType.Aevt, K(":db/txInstant"), txIds[4]).Single().V);
        var all = db.SeekDatoms(IndexType.Aevt).ToList();
        Assert.Equal(all.Select(d => d.A).Order(), all.Select(d => d.A));
        Assert.Equal(instants, all.Where(d => d.A == BuiltIns.TxInstantId));
        var fromInstants = db.SeekDatoms(IndexType.Aevt, K(":db/txInstant"), txIds[3]).ToList();
        Assert.Equal(txIds.Skip(3), fromInstants.Take(2).Select(d => d.E));
        Assert.True(fromInstants[2].A > BuiltIns.TxInstantId);
    }
}
