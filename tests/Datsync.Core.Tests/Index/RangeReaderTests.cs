using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Index;

/// <summary>Range reads of a sorted set (<see cref="SortedDatomSet{TOrder}.Range{TRange}"/>) against a plain model.</summary>
public class RangeReaderTests
{
    private static Datom D(long e, int a, long v) => Datom.Create(e, a, v);

    /// <summary>A set of entities 0..n-1 with attributes 1..k each (k varies by entity), and the same facts as a list.</summary>
    private static (SortedDatomSet<EavtOrder> set, List<(long e, int a, long v)> model) Build(int n, bool bulk)
    {
        var model = new List<(long, int, long)>();
        for (var e = 0L; e < n; e++)
            for (var a = 1; a <= 1 + e % 4; a++)
                model.Add((e, a, e * 10 + a));
        var datoms = model.Select(f => D(f.Item1, f.Item2, f.Item3)).ToArray();
        var set = SortedDatomSet<EavtOrder>.Empty;
        if (bulk) set = SortedDatomSet<EavtOrder>.FromSorted(datoms, datoms.Length);
        else foreach (var d in datoms.Reverse()) set = set.Add(d);
        return (set, model);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(7, true)]
    [InlineData(300, false)]
    [InlineData(3000, true)]
    [InlineData(3000, false)]
    public void An_entity_range_reads_exactly_that_entitys_datoms_across_leaf_boundaries(int n, bool bulk)
    {
        var (set, model) = Build(n, bulk);
        set.Validate();
        for (var e = -1L; e <= n; e++)
        {
            var expected = model.Where(f => f.e == e).ToList();
            var got = set.Range(new EntityDatoms(e)).Select(d => (d.E, d.A, (long)d.V)).ToList();
            Assert.Equal(expected, got);
        }
    }

    [Fact]
    public void Random_attribute_ranges_of_sets_with_removals_agree_with_the_model()
    {
        Gen.Select(Gen.Int[1, 2500], Gen.Int[0, 2500].Array[0, 400]).Sample((n, removed) =>
        {
            var (set, model) = Build(n, bulk: n % 2 == 0);
            foreach (var e in removed)
            {
                set = set.Remove(D(e, 1, e * 10 + 1));
                model.Remove((e, 1, e * 10 + 1));
            }
            set.Validate();
            for (var e = 0L; e < n; e += 1 + n / 50)
                for (var a = 0; a <= 5; a++)
                {
                    var expected = model.Where(f => f.e == e && f.a == a).ToList();
                    Assert.Equal(expected, set.Range(new AttrDatoms(e, a)).Select(d => (d.E, d.A, (long)d.V)).ToList());
                }
            Assert.Equal(model, set.Select(d => (d.E, d.A, (long)d.V)).ToList());
        }, iter: 40);
    }

    [Fact]
    public void A_range_can_be_enumerated_again_and_by_two_enumerators_at_once()
    {
        var (set, model) = Build(500, bulk: true);
        var range = set.Range(new EntityDatoms(123));
        var expected = model.Where(f => f.e == 123).Select(f => f.a).ToList();
        Assert.Equal(expected, range.Select(d => d.A).ToList());
        Assert.Equal(expected, range.Select(d => d.A).ToList());
        using var x = range.GetEnumerator();
        using var y = range.GetEnumerator();
        var xs = new List<int>();
        var ys = new List<int>();
        while (true)
        {
            var mx = x.MoveNext();
            if (mx) xs.Add(x.Current.A);
            var my = y.MoveNext();
            if (my) ys.Add(y.Current.A);
            if (!mx && !my) break;
        }
        Assert.Equal(expected, xs);
        Assert.Equal(expected, ys);
    }

    [Fact]
    public void An_empty_set_reads_nothing()
    {
        Assert.Empty(SortedDatomSet<EavtOrder>.Empty.Range(new EntityDatoms(1)));
        Assert.Empty(SortedDatomSet<EavtOrder>.Empty.Slice(null, null));
    }

    [Fact]
    public void Aevt_ranges_read_one_attribute_across_many_leaves()
    {
        var (eavt, model) = Build(2000, bulk: true);
        var aevt = SortedDatomSet<AevtOrder>.Empty;
        foreach (var d in eavt) aevt = aevt.Add(d);
        for (var a = 0; a <= 5; a++)
        {
            var expected = model.Where(f => f.a == a).OrderBy(f => f.e).ToList();
            Assert.Equal(expected, aevt.Range(new AevtAttrDatoms(a)).Select(d => (d.E, d.A, (long)d.V)).ToList());
        }
    }
}
