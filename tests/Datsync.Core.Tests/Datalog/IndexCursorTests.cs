using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>The query engine's index cursor reads what a filter over the whole index reads, for seeks in any order
/// (forward ones start from where the cursor is).</summary>
public class IndexCursorTests
{
    private static readonly Db Data = Build();

    private static Db Build()
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :c/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
             {:db/ident :c/m :db/valueType :db.type/long :db/cardinality :db.cardinality/many}]
            """).DbAfter;
        // entities with 0..9 datoms, over enough leaves for a tree three levels deep
        var rnd = new Random(7);
        var tx = new List<object?>();
        for (var i = 0; i < 6000; i++)
        {
            var m = new Dictionary<object, object?> { [Keyword.Intern("c/n")] = (long)i };
            var k = rnd.Next(0, 9);
            if (k > 0) m[Keyword.Intern("c/m")] = Enumerable.Range(0, k).Select(j => (object?)(long)(i * 10 + j)).ToList();
            tx.Add(m);
        }
        return db.Transact(tx).DbAfter;
    }

    private static List<Datom> Read(IndexCursor<EavtOrder> c, long e)
    {
        var range = new EntityDatoms(e);
        c.Seek(Data.Eavt, range);
        var got = new List<Datom>();
        while (c.Next(range, out var d)) got.Add(d);
        return got;
    }

    [Fact]
    public void Seeks_forward_and_back_read_each_entity_whole()
    {
        var byEntity = Data.Eavt.GroupBy(d => d.E).ToDictionary(g => g.Key, g => g.ToList());
        var entities = byEntity.Keys.Order().ToArray();
        Gen.Select(Gen.Int[0, entities.Length - 1].Array[1, 40], Gen.Bool).Sample((picks, sorted) =>
        {
            var order = picks.Select(i => entities[i] + (i % 3 == 0 ? 1_000_000_000L : 0)).ToArray(); // some name nothing
            if (sorted) Array.Sort(order);
            var c = new IndexCursor<EavtOrder>();
            foreach (var e in order)
            {
                var expected = byEntity.GetValueOrDefault(e) ?? [];
                Assert.Equal(expected, Read(c, e));
            }
        }, iter: 300);
    }

    [Fact]
    public void An_attribute_span_reads_every_datom_of_the_attribute_in_order()
    {
        var a = Data.AttributeOf(Keyword.Intern("c/m"))!.Id;
        var c = new IndexCursor<AevtOrder>();
        var range = new AttributeSpan(a);
        c.Seek(Data.Aevt, range);
        var got = new List<Datom>();
        while (c.Next(range, out var d)) got.Add(d);
        Assert.Equal(Data.Aevt.Where(d => d.A == a).ToList(), got);
        // an attribute past the last one reads nothing
        c.Seek(Data.Aevt, new AttributeSpan(int.MaxValue));
        Assert.False(c.Next(new AttributeSpan(int.MaxValue), out _));
    }
}
