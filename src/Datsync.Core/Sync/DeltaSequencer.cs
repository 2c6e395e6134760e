using System.Collections.Immutable;

namespace Datsync.Core;

/// <summary>What a replica does with one offered delta: the deltas now ready to apply, in t order, and the range it
/// still lacks (null when nothing is missing).</summary>
internal sealed record SequencerStep(DeltaSequencer Next, IReadOnlyList<TxDelta> Ready, (long FromT, long ToT)? Missing);

/// <summary>
/// Puts deltas in t order for a replica: t+1 is released only after t, a delta already applied or already held is
/// dropped, and a delta beyond a gap is held while the gap is reported so the replica can ask for that range.
/// Immutable: each offer returns the next sequencer.
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
    public (long FromT, long ToT)? Missing => _held.IsEmpty ? null : (AppliedT + 1, _held.Keys.First() - 1);

    public SequencerStep Offer(TxDelta delta)
    {
        if (delta.T <= AppliedT || _held.ContainsKey(delta.T)) return new SequencerStep(this, [], Missing); // duplicate
        if (delta.T != AppliedT + 1)
        {
            var holding = new DeltaSequencer(AppliedT, _held.Add(delta.T, delta));
            return new SequencerStep(holding, [], holding.Missing);
        }
        var ready = new List<TxDelta> { delta };
        var held = _held;
        var t = delta.T;
        while (held.TryGetValue(t + 1, out var next))
        {
            ready.Add(next);
            held = held.Remove(t + 1);
            t++;
        }
        var after = new DeltaSequencer(t, held);
        return new SequencerStep(after, ready, after.Missing);
    }

    /// <summary>When the list is consecutive in t and its first delta after <paramref name="appliedT"/> is
    /// appliedT + 1: the index of that delta (the list's length when every delta is at or before appliedT).</summary>
    private static int? InOrderAfter(IReadOnlyList<TxDelta> list, long appliedT)
    {
        for (var i = 1; i < list.Count; i++)
            if (list[i].T != list[i - 1].T + 1) return null;
        if (list.Count == 0 || list[^1].T <= appliedT) return list.Count;
        var from = (int)Math.Max(0, appliedT + 1 - list[0].T);
        return list[from].T == appliedT + 1 ? from : null;
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
