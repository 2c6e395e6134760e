using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Properties;

public class DbInvariantTests
{
    private static List<Datom> Snapshot(Db db) => db.Datoms(IndexType.Eavt).ToList();

    private static void AssertSameDatoms(List<Datom> expected, Db db)
    {
        var actual = Snapshot(db);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.True(ReferenceEquals(expected[i], actual[i]) || expected[i].Equals(actual[i]), $"datom {i} changed");
    }

    /// <summary>Runs the stream, calling check(before, beforeSnapshot, reportOrNull) after each transaction.</summary>
    private static void RunStream(RandomWorkload.OpSpec[][] stream, Action<Db, List<Datom>, TxReport?> check)
    {
        var db = RandomWorkload.Installed();
        foreach (var tx in stream)
        {
            var before = Snapshot(db);
            TxReport? report = null;
            try { report = db.Transact(RandomWorkload.Forms(tx)); }
            catch (TxRejectedException) { }
            check(db, before, report);
            if (report is not null) db = report.DbAfter;
        }
    }

    [Fact]
    public void The_four_indexes_hold_the_same_datoms_after_every_transaction()
    {
        RandomWorkload.Stream.Sample(stream => RunStream(stream, (_, _, report) =>
        {
            if (report is null) return;
            var db = report.DbAfter;
            db.Eavt.Validate(); db.Aevt.Validate(); db.Avet.Validate(); db.Vaet.Validate();
            var eavt = db.Eavt.ToHashSet();
            // AEVT as read: every datom, in AEVT order (:db/txInstant is read from EAVT, the rest from the tree)
            var aevt = db.Datoms(IndexType.Aevt).ToList();
            Assert.Equal(eavt.Count, aevt.Count);
            Assert.All(aevt, d => Assert.Contains(d, eavt));
            Assert.True(aevt.Zip(aevt.Skip(1)).All(p => AevtOrder.Compare(p.First, p.Second) < 0), "AEVT out of order");
            Assert.Equal(eavt.Count(d => d.A != BuiltIns.TxInstantId), db.Aevt.Count);
            var expectAvet = eavt.Where(d => db.Schema[d.A]!.StoredInAvet).ToHashSet();
            Assert.Equal(expectAvet.Count, db.Avet.Count);
            Assert.All(db.Avet, d => Assert.Contains(d, expectAvet));
            var expectVaet = eavt.Where(d => db.Schema[d.A]!.IsRef).ToHashSet();
            Assert.Equal(expectVaet.Count, db.Vaet.Count);
            Assert.All(db.Vaet, d => Assert.Contains(d, expectVaet));
        }), iter: 150);
    }

    [Fact]
    public void Uniqueness_and_cardinality_hold_after_every_transaction()
    {
        RandomWorkload.Stream.Sample(stream => RunStream(stream, (_, _, report) =>
        {
            if (report is null) return;
            var db = report.DbAfter;
            foreach (var a in db.Schema.Attributes)
            {
                var datoms = db.Datoms(IndexType.Aevt, a.Ident).ToList();
                if (!a.IsMany)
                    Assert.True(datoms.GroupBy(d => d.E).All(g => g.Count() == 1), $"{a.Ident} has two values on one entity");
                if (a.Unique != Uniqueness.None)
                    Assert.True(datoms.GroupBy(d => d.V).All(g => g.Count() == 1), $"{a.Ident} has one value on two entities");
            }
        }), iter: 150);
    }

    [Fact]
    public void DbBefore_never_changes_and_a_failed_transaction_leaves_the_database_as_it_was()
    {
        var failures = 0;
        RandomWorkload.Stream.Sample(stream => RunStream(stream, (db, before, report) =>
        {
            AssertSameDatoms(before, db);
            if (report is null) { failures++; return; }
            Assert.Same(db, report.DbBefore);
            Assert.Equal(db.BasisT + 1, report.DbAfter.BasisT);
            // the report's datoms are exactly the difference between the two values
            var after = report.DbAfter.Datoms(IndexType.Eavt).ToHashSet(new FactComparer());
            var prior = before.ToHashSet(new FactComparer());
            foreach (var d in report.TxData)
            {
                if (d.Added) { Assert.Contains(d, after); Assert.DoesNotContain(d, prior); }
                else { Assert.DoesNotContain(d, after); Assert.Contains(d, prior); }
            }
            var changed = after.Count(d => !prior.Contains(d)) + prior.Count(d => !after.Contains(d));
            Assert.Equal(changed, report.TxData.Count);
        }), iter: 150);
        Assert.True(failures > 0, "the generator should produce some rejected transactions");
    }

    [Fact]
    public void Bulk_loading_the_datoms_of_a_database_gives_an_equal_database()
    {
        RandomWorkload.Stream.Sample(stream =>
        {
            var db = RandomWorkload.Installed();
            foreach (var tx in stream)
                try { db = db.Transact(RandomWorkload.Forms(tx)).DbAfter; } catch (TxRejectedException) { }
            var loaded = Db.FromDatoms(db.Datoms(IndexType.Eavt).ToList(), db.BasisT, db.MaxEntityId);
            Assert.Equal(Snapshot(db).Select(Fact), Snapshot(loaded).Select(Fact));
            Assert.Equal(db.Aevt.Select(Fact), loaded.Aevt.Select(Fact));
            Assert.Equal(db.Avet.Select(Fact), loaded.Avet.Select(Fact));
            Assert.Equal(db.Vaet.Select(Fact), loaded.Vaet.Select(Fact));
            loaded.Eavt.Validate(); loaded.Aevt.Validate(); loaded.Avet.Validate(); loaded.Vaet.Validate();
            Assert.Equal(db.MaxEntityId, loaded.MaxEntityId);
            Assert.Equal(db.Schema.Attributes.OrderBy(a => a.Id), loaded.Schema.Attributes.OrderBy(a => a.Id));
        }, iter: 100);
    }

    [Fact]
    public void Replaying_each_transactions_datoms_gives_the_same_database()
    {
        RandomWorkload.Stream.Sample(stream =>
        {
            var installed = Db.Empty.Transact(RandomWorkload.Schema);
            var db = installed.DbAfter;
            var replica = Db.Empty.ApplyTx(1, installed.TxData, db.MaxEntityId);
            foreach (var tx in stream)
            {
                TxReport r;
                try { r = db.Transact(RandomWorkload.Forms(tx)); } catch (TxRejectedException) { continue; }
                db = r.DbAfter;
                replica = replica.ApplyTx(r.T, r.TxData, db.MaxEntityId);
            }
            Assert.Equal(Snapshot(db).Select(Fact), Snapshot(replica).Select(Fact));
            Assert.Equal(db.Avet.Select(Fact), replica.Avet.Select(Fact));
            Assert.Equal(db.BasisT, replica.BasisT);
            Assert.Equal(db.Schema.Attributes.OrderBy(a => a.Id), replica.Schema.Attributes.OrderBy(a => a.Id));
        }, iter: 100);
    }

    [Fact]
    public void A_replica_that_applies_each_delta_holds_the_masters_datoms_at_every_t()
    {
        RandomWorkload.Stream.Sample(stream =>
        {
            var master = Db.Empty;
            var replica = Db.Empty;
            var txs = new List<IReadOnlyList<object?>> { RandomWorkload.Schema };
            txs.AddRange(stream.Select(RandomWorkload.Forms));
            foreach (var tx in txs)
            {
                TxReport r;
                try { r = master.Transact(tx); } catch (TxRejectedException) { continue; }
                master = r.DbAfter;
                replica = TxDelta.From(r.DbAfter, r.T, r.TxData).ApplyTo(replica);
                Assert.Equal(master.BasisT, replica.BasisT);
                Assert.Equal(Snapshot(master).Select(Fact), Snapshot(replica).Select(Fact));
            }
            Assert.Equal(master.Schema.Attributes.OrderBy(a => a.Id), replica.Schema.Attributes.OrderBy(a => a.Id));
        }, iter: 80);
    }

    private static (long, int, object) Fact(Datom d) => (d.E, d.A, d.V);

    private sealed class FactComparer : IEqualityComparer<Datom>
    {
        public bool Equals(Datom? x, Datom? y) => x!.SameFact(y!);
        public int GetHashCode(Datom d) => HashCode.Combine(d.E, d.A, d.V);
    }
}
