using System.Collections.Immutable;

namespace Datsync.Core;

/// <summary>What a replica does with one offered delta: the deltas now ready to apply, in t order, and the range it
/// still lacks (null when nothing is missing).</summary>
internal sealed record SequencerStep(DeltaSequencer Next, IReadOnlyList<TxDelta> Ready, (long FromT, long ToT)? Missing);

/// <summary>
/// Puts deltas in t order for a replica: a delta is released only after the one before it in the stream
/// (<see cref="TxDelta.Prev"/>: t - 1 in the master's log, the client's previous t in a scoped stream that skips
/// transactions), a delta already applied or already held is dropped, and a delta beyond a gap is held while the gap is
/// reported so the replica can ask for that range. Immutable: each offer returns the next sequencer.
/// </summary>
internal sealed class DeltaSequencer
{
    private readonly ImmutableSortedDictionary<long, TxDelta> _held;

    /// <summary>The last t released (the replica's basis once it applied what was released).</summary>
    public long AppliedT { get; }

    /// <summary>How many deltas beyond a gap are held.</summary>
    public int HeldCount => _held.Count;

    private DeltaSequencer(long appliedT, ImmutableSortedDictionary<long, TxDelta> held)
    {
        AppliedT = appliedT;
        _held = held;
    }

    /// <summary>A sequencer for a replica whose value is at basis <paramref name="appliedT"/>.</summary>
    public static DeltaSequencer At(long appliedT) => new(appliedT, ImmutableSortedDictionary<long, TxDelta>.Empty);

    /// <summary>The range still missing before the held deltas, or null.</summary>
    public (long FromT, long ToT)? Missing => _held.IsEmpty ? null : (AppliedT + 1, Math.Max(AppliedT + 1, _held.Values.First().Prev));

    public SequencerStep Offer(TxDelta delta)
    {
        if (delta.T <= AppliedT || _held.ContainsKey(delta.T)) return new SequencerStep(this, [], Missing); // duplicate
        if (!Follows(delta, AppliedT))
        {
            var holding = new DeltaSequencer(AppliedT, _held.Add(delta.T, delta));
            return new SequencerStep(holding, [], holding.Missing);
        }
        var ready = new List<TxDelta> { delta };
        var held = _held;
        var t = delta.T;
        // the held deltas that follow, in t order; one at or before t is stale (t passed it)
        while (!held.IsEmpty)
        {
            var next = held.First();
            if (next.Key <= t) { held = held.Remove(next.Key); continue; }
            if (!Follows(next.Value, t)) break;
            ready.Add(next.Value);
            held = held.Remove(next.Key);
            t = next.Key;
        }
        var after = new DeltaSequencer(t, held);
        return new SequencerStep(after, ready, after.Missing);
    }

    /// <summary>True when <paramref name="delta"/> (after <paramref name="appliedT"/>) applies to the value at
    /// <paramref name="appliedT"/>: nothing of its stream lies between them.</summary>
    private static bool Follows(TxDelta delta, long appliedT) => delta.Prev == appliedT;

    /// <summary>When the list is one stream in order and its first delta after <paramref name="appliedT"/> follows
    /// appliedT: the index of that delta (the list's length when every delta is at or before appliedT).</summary>
    private static int? InOrderAfter(IReadOnlyList<TxDelta> list, long appliedT)
    {
        for (var i = 1; i < list.Count; i++)
            if (list[i].Prev != list[i - 1].T) return null;
        if (list.Count == 0 || list[^1].T <= appliedT) return list.Count;
        var from = 0;
        while (list[from].T <= appliedT) from++;
        return Follows(list[from], appliedT) ? from : null;
    }

    /// <summary>Offers several deltas in the order given; the ready ones in t order.</summary>
    public SequencerStep OfferAll(IEnumerable<TxDelta> deltas)
    {
        if (deltas is IReadOnlyList<TxDelta> { Count: 1 } one) return Offer(one[0]); // the usual case: one live delta
        if (_held.IsEmpty && deltas is IReadOnlyList<TxDelta> list && InOrderAfter(list, AppliedT) is { } from)
        {
            // the other usual case: a batch that continues the basis (perhaps after some it already has)
            if (from == list.Count) return new SequencerStep(this, [], null);
            var next = from == 0 ? list : list.Skip(from).ToList();
            return new SequencerStep(new DeltaSequencer(list[^1].T, _held), next, null);
        }
        var s = this;
        var ready = new List<TxDelta>();
        foreach (var d in deltas)
        {
            var step = s.Offer(d);
            ready.AddRange(step.Ready);
            s = step.Next;
        }
        return new SequencerStep(s, ready, s.Missing);
    }
}
