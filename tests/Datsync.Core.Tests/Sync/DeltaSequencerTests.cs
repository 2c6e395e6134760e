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

    /// <summary>A delta of a stream that skips ts (a scoped client's): <paramref name="t"/> after <paramref name="after"/>.</summary>
    private static TxDelta S(long t, long after) => new(t, DateTime.UnixEpoch, []) { After = after };

    [Fact]
    public void A_stream_that_skips_ts_releases_each_delta_after_the_one_it_follows()
    {
        var step = DeltaSequencer.At(4).Offer(S(9, 4));
        Assert.Equal([9L], step.Ready.Select(d => d.T));
        Assert.Equal(9, step.Next.AppliedT);
        Assert.Null(step.Missing);
        // an unscoped delta at 10 follows 9 as before
        Assert.Equal([10L], step.Next.Offer(D(10)).Ready.Select(d => d.T));
    }

    [Fact]
    public void A_skipping_delta_beyond_a_lost_one_is_held_and_the_range_up_to_its_predecessor_is_missing()
    {
        var step = DeltaSequencer.At(4).Offer(S(12, 9)); // 9 (after 4) was lost
        Assert.Empty(step.Ready);
        Assert.Equal((5L, 9L), step.Missing);
        step = step.Next.Offer(S(15, 12));
        Assert.Equal((5L, 9L), step.Missing);
        step = step.Next.Offer(S(9, 4));
        Assert.Equal([9L, 12L, 15L], step.Ready.Select(d => d.T));
        Assert.Null(step.Missing);
        Assert.Equal(0, step.Next.HeldCount);
    }

    [Fact]
    public void A_delta_that_follows_another_t_than_the_basis_is_not_applied_to_it()
    {
        // the basis is 6 (say, after an empty delta to 6); a delta that says it follows 5 does not apply to 6
        var step = DeltaSequencer.At(6).Offer(S(8, 5));
        Assert.Empty(step.Ready);
        Assert.Equal(6, step.Next.AppliedT);
    }

    [Fact]
    public void A_skipping_stream_in_any_order_with_duplicates_is_released_once_in_order()
    {
        // a random increasing set of ts, each delta after the one before it, offered shuffled with repeats
        Gen.Int[1, 200].HashSet[1, 40].SelectMany(set =>
            {
                var ts = set.Order().Select(t => (long)t).ToArray();
                var deltas = ts.Select((t, i) => S(t, i == 0 ? 0 : ts[i - 1])).ToArray();
                return Gen.Shuffle(deltas.Concat(deltas.Where((_, i) => i % 3 == 0)).ToArray()).Select(order => (ts, order));
            })
            .Sample(x =>
            {
                var step = DeltaSequencer.At(0).OfferAll(x.order);
                Assert.Equal(x.ts, step.Ready.Select(d => d.T));
                Assert.Null(step.Missing);
                Assert.Equal(x.ts[^1], step.Next.AppliedT);
            }, iter: 300);
    }

    [Fact]
    public void A_batch_of_one_skipping_stream_continuing_the_basis_is_released_whole()
    {
        var step = DeltaSequencer.At(3).OfferAll([S(2, 1), S(3, 2), S(7, 3), S(9, 7)]);
        Assert.Equal([7L, 9L], step.Ready.Select(d => d.T));
        Assert.Equal(9, step.Next.AppliedT);
    }
}
