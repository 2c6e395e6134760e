using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Index;

public class SortedDatomSetTests
{
    private static Datom D(long e, int a = 1, long v = 0) => Datom.Create(e, a, v);

    private static List<(long, int, long)> Keys(IEnumerable<Datom> ds) => ds.Select(d => (d.E, d.A, (long)d.V)).ToList();

    [Fact]
    public void Random_adds_and_removes_agree_with_a_sorted_set_and_old_versions_stay_intact()
    {
        Gen.Select(Gen.Bool, Gen.Int[0, 3000]).Array[1, 4000].Sample(ops =>
        {
            var set = SortedDatomSet<EavtOrder>.Empty;
            var model = new SortedSet<long>();
            var versions = new List<(SortedDatomSet<EavtOrder> set, long[] content)>();
            var i = 0;
            foreach (var (add, k) in ops)
            {
                set = add ? set.Add(D(k)) : set.Remove(D(k));
                if (add) model.Add(k); else model.Remove(k);
                if (++i % 500 == 0) versions.Add((set, model.ToArray()));
            }
            set.Validate();
            Assert.Equal(model.ToArray(), set.Select(d => d.E).ToArray());
            foreach (var (v, content) in versions)
            {
                v.Validate();
                Assert.Equal(content, v.Select(d => d.E).ToArray());
            }
        }, iter: 60);
    }

    [Fact]
    public void Edits_under_a_token_do_not_touch_versions_made_before()
    {
        Gen.Int[0, 5000].Array[1, 3000].Sample(keys =>
        {
            var baseSet = SortedDatomSet<EavtOrder>.Empty;
            for (var i = 0; i < 2000; i += 3) baseSet = baseSet.Add(D(i));
            var before = Keys(baseSet);
            var edit = new object();
            var s = baseSet;
            foreach (var k in keys) s = (k & 1) == 0 ? s.Add(D(k), edit) : s.Remove(D(k - 1), edit);
            s.Validate();
            baseSet.Validate();
            Assert.Equal(before, Keys(baseSet));
            var model = new SortedSet<long>(before.Select(x => x.Item1));
            foreach (var k in keys) { if ((k & 1) == 0) model.Add(k); else model.Remove(k - 1); }
            Assert.Equal(model.ToArray(), s.Select(d => d.E).ToArray());
        }, iter: 60);
    }

    [Fact]
    public void Slices_return_exactly_the_datoms_between_their_bounds()
    {
        var set = SortedDatomSet<EavtOrder>.Empty;
        for (var e = 1; e <= 300; e++)
            for (var a = 1; a <= 3; a++)
                set = set.Add(D(e, a, e * 10 + a));
        Gen.Select(Gen.Int[0, 305], Gen.Int[0, 305]).Sample((lo, hi) =>
        {
            var from = Db.Probe(lo, int.MinValue, 0, ScalarTag.Min);
            var to = Db.Probe(hi, int.MaxValue, 0, ScalarTag.Max);
            var expected = set.Where(d => d.E >= lo && d.E <= hi).Select(d => (d.E, d.A)).ToList();
            Assert.Equal(expected, set.Slice(from, to).Select(d => (d.E, d.A)).ToList());
        }, iter: 200);
    }

    [Fact]
    public void A_set_built_from_sorted_datoms_equals_one_built_by_adding_them()
    {
        Gen.Int[0, 20_000].Sample(n =>
        {
            var arr = Enumerable.Range(0, n).Select(i => D(i)).ToArray();
            var bulk = SortedDatomSet<EavtOrder>.FromSorted(arr, n);
            bulk.Validate();
            Assert.Equal(n, bulk.Count);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), bulk.Select(d => d.E));
            var more = bulk.Add(D(n)).Remove(D(0));
            more.Validate();
            Assert.Equal(n, more.Count);
        }, iter: 40);
    }
}
