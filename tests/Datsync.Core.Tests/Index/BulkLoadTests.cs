using CsCheck;
using Datsync.Core;
using Datsync.Core.Tests.Semantics;

namespace Datsync.Core.Tests.Index;

/// <summary>The bulk load's sort and the databases it builds, against transactions and LINQ.</summary>
public class BulkLoadTests
{
    [Fact]
    public void The_sort_orders_any_input_like_a_reference_sort_and_the_last_of_equal_datoms_wins()
    {
        // runs of sorted datoms (as loads are) and shuffles, with repeated facts in different transactions
        Gen.Select(Gen.Int[0, 300].Array[0, 2000], Gen.Int[1, 50]).Sample((keys, runLength) =>
        {
            var input = keys.Select((k, i) => Datom.Create(k / 3, 1 + k % 3, (long)(k % 7), t: i)).ToArray();
            for (var s = 0; s < input.Length; s += runLength)
                Array.Sort(input, s, Math.Min(runLength, input.Length - s), Comparer<Datom>.Create(EavtOrder.Compare));
            var expected = input
                .Select((d, i) => (d, i))
                .GroupBy(x => (x.d.E, x.d.A, (long)x.d.V))
                .Select(g => g.OrderBy(x => x.i).Last().d)
                .OrderBy(d => d, Comparer<Datom>.Create(EavtOrder.Compare))
                .ToList();
            var sorted = BulkLoad.Sorted<EavtOrder>((Datom[])input.Clone(), dedupe: true, out var count);
            Assert.Equal(expected, sorted.Take(count).ToList());
        }, iter: 200);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(200_000)] // ids too far apart for the array by attribute id
    public void Grouping_by_attribute_gives_aevt_order_without_tx_instants(int idSpread)
    {
        Gen.Select(Gen.Int[0, 500], Gen.Int[0, 5]).Array[0, 1500].Sample(facts =>
        {
            var attrs = new[] { BuiltIns.TxInstantId, 100, 100 + idSpread / 3, 100 + idSpread };
            var eavt = facts.Select(f => Datom.Create(f.Item1, attrs[f.Item2 % attrs.Length], (long)f.Item2)).ToArray();
            var sorted = BulkLoad.Sorted<EavtOrder>(eavt, dedupe: true, out var count);
            var expected = sorted.Take(count).Where(d => d.A != BuiltIns.TxInstantId)
                .OrderBy(d => d, Comparer<Datom>.Create(AevtOrder.Compare)).ToList();
            Assert.Equal(expected, BulkLoad.GroupByAttribute(sorted, count, out var n).Take(n).ToList());
            Assert.Equal(expected, BulkLoad.GroupByAttributeSparse(sorted, count, out var m).Take(m).ToList());
        }, iter: 100);
    }

    [Fact]
    public void A_bulk_loaded_db_has_the_indexes_of_the_db_its_datoms_came_from()
    {
        var db = TestDb.Schema;
        var rnd = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var tx = new List<object?>();
            for (var j = 0; j < 60; j++)
            {
                var n = i * 60 + j;
                tx.Add(new Dictionary<object, object?>
                {
                    [TestDb.K(":person/email")] = $"p{n}@x",
                    [TestDb.K(":person/name")] = $"name{rnd.Next(500)}",
                    [TestDb.K(":person/age")] = (long)rnd.Next(100),
                    [TestDb.K(":person/aliases")] = new List<object?> { $"a{rnd.Next(9)}", $"b{rnd.Next(9)}" },
                });
            }
            db = db.Transact(tx).DbAfter;
        }
        var shuffled = db.Datoms(IndexType.Eavt).OrderBy(_ => rnd.Next()).ToList();
        var loaded = Db.FromDatoms(shuffled, db.BasisT, db.MaxEntityId);
        foreach (var index in new[] { IndexType.Eavt, IndexType.Aevt, IndexType.Avet, IndexType.Vaet })
            Assert.Equal(Datoms(db, index), Datoms(loaded, index));
        loaded.Eavt.Validate();
        loaded.Aevt.Validate();
        loaded.Avet.Validate();
        loaded.Vaet.Validate();
        // full leaves still take inserts and removals
        var next = loaded.Transact(TestDb.Forms("""[{:person/email "new@x" :person/name "New"}]""")).DbAfter;
        next.Eavt.Validate();
        next.Aevt.Validate();
        Assert.Equal(loaded.Count + 3, next.Count); // two datoms and the transaction's instant
    }

    private static List<string> Datoms(Db db, IndexType index) =>
        db.SeekDatoms(index).Select(d => d.ToString()).ToList();
}
