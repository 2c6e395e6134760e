using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Sync;

public class DeltaSequencerTests
{
    private static TxDelta D(long t) => new(t, DateTime.UnixEpoch, []);

    [Fact]
    public void The_next_t_is_released_at_once()
    {
        var step = DeltaSequencer.At(4).Offer(D(5));
        Assert.Equal(new long[] { 5 }, step.Ready.Select(d => d.T));
        Assert.Equal(5, step.Next.AppliedT);
        Assert.Null(step.Missing);
    }

    [Fact]
    public void A_duplicate_is_dropped()
    {
        var s = DeltaSequencer.At(4);
        Assert.Empty(s.Offer(D(4)).Ready);
        Assert.Empty(s.Offer(D(2)).Ready);
        var holding = s.Offer(D(7)).Next;
        Assert.Empty(holding.Offer(D(7)).Ready);
        Assert.Equal(1, holding.Offer(D(7)).Next.HeldCount);
    }

    [Fact]
    public void A_gap_holds_later_deltas_and_names_the_missing_range_until_it_arrives()
    {
        var step = DeltaSequencer.At(4).Offer(D(8));
        Assert.Empty(step.Ready);
        Assert.Equal((5L, 7L), step.Missing);
        step = step.Next.Offer(D(9));
        Assert.Equal((5L, 7L), step.Missing);
        step = step.Next.OfferAll([D(6), D(5)]);
        Assert.Equal(new long[] { 5, 6 }, step.Ready.Select(d => d.T));
        Assert.Equal((7L, 7L), step.Missing);
        step = step.Next.Offer(D(7));
        Assert.Equal(new long[] { 7, 8, 9 }, step.Ready.Select(d => d.T));
        Assert.Null(step.Missing);
        Assert.Equal(0, step.Next.HeldCount);
    }

    [Fact]
    public void Any_order_with_duplicates_releases_every_t_exactly_once_in_order()
    {
        Gen.Int[1, 60].SelectMany(n => Gen.Int[0, n].Array[n, 3 * n].Select(extra => (n, extra))).SelectMany(x =>
                Gen.Shuffle(Enumerable.Range(1, x.n).Concat(x.extra.Where(e => e > 0)).ToArray()).Select(order => (x.n, order)))
            .Sample(x =>
            {
                var step = DeltaSequencer.At(0).OfferAll(x.order.Select(t => D(t)));
                Assert.Equal(Enumerable.Range(1, x.n).Select(t => (long)t), step.Ready.Select(d => d.T));
                Assert.Null(step.Missing);
                Assert.Equal(x.n, step.Next.AppliedT);
            }, iter: 300);
    }

    [Fact]
    public void Batches_in_any_order_release_every_t_exactly_once_in_order()
    {
        // runs of consecutive deltas (as the log sends them), overlapping, repeated, out of order
        Gen.Int[1, 60].SelectMany(n => Gen.Select(Gen.Int[1, n], Gen.Int[1, 12]).Array[1, 3 * n].Select(runs => (n, runs)))
            .Sample(x =>
            {
                var batches = x.runs.Select(r => Enumerable.Range(r.Item1, Math.Min(r.Item2, x.n - r.Item1 + 1)).Select(t => D(t)).ToList())
                    .Append(Enumerable.Range(1, x.n).Select(t => D(t)).ToList()) // everything arrives at last
                    .ToList();
                var s = DeltaSequencer.At(0);
                var released = new List<long>();
                foreach (var b in batches)
                {
                    var step = s.OfferAll(b);
                    released.AddRange(step.Ready.Select(d => d.T));
                    s = step.Next;
                }
                Assert.Equal(Enumerable.Range(1, x.n).Select(t => (long)t), released);
                Assert.Equal(0, s.HeldCount);
            }, iter: 300);
    }
}
