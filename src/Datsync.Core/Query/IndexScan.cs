using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// A contiguous range of an index, told by comparing a datom's leading components: negative when the datom sorts
/// before the range, 0 inside it, positive after it. A struct, so scans are specialised and allocate nothing.
/// </summary>
internal interface IDatomRange
{
    int Locate(Datom d);
}

internal static class DatomRanges
{
    /// <summary>The first of <paramref name="keys"/>[<paramref name="from"/>..<paramref name="len"/>) (sorted) that
    /// does not sort before <paramref name="range"/>: a binary search.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstNotBefore<TRange>(Datom[] keys, int from, int len, TRange range) where TRange : struct, IDatomRange
    {
        int lo = from, hi = len;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (range.Locate(keys[mid]) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}

/// <summary>EAVT: every datom of one entity.</summary>
internal readonly struct EntityDatoms(long e) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d) => d.E == e ? 0 : d.E < e ? -1 : 1;
}

/// <summary>EAVT: the datoms of one entity and attribute.</summary>
internal readonly struct AttrDatoms(long e, int a) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d)
    {
        if (d.E != e) return d.E < e ? -1 : 1;
        return d.A == a ? 0 : d.A < a ? -1 : 1;
    }
}

/// <summary>AEVT: every datom of one attribute.</summary>
internal readonly struct AevtAttrDatoms(int a) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d) => d.A == a ? 0 : d.A < a ? -1 : 1;
}

/// <summary>VAET: the datoms of ref attribute a whose value is entity v (VAET holds only refs, all with O == null).</summary>
internal readonly struct ReverseDatoms(long v, int a) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d)
    {
        if (d.N != v) return d.N < v ? -1 : 1;
        return d.A == a ? 0 : d.A < a ? -1 : 1;
    }
}

/// <summary>
/// Allocation-free range reads of a sorted datom set for the entity and pull paths, which read many small ranges
/// (one per entity and attribute) where an iterator and two probe datoms per range would dominate the cost.
/// </summary>
internal static class IndexScan
{
    // Collect and Visit are compiled optimized at once: they run per entity, so tiering would leave them slow longest
    /// <summary>Appends the datoms of the range in index order, at most <paramref name="max"/> of them (negative: all).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Collect<TOrder, TRange>(SortedDatomSet<TOrder> set, TRange range, List<Datom> into, int max)
        where TOrder : struct, IDatomOrder
        where TRange : struct, IDatomRange
    {
        if (set.Root is null || max == 0) return;
        var remaining = max < 0 ? int.MaxValue : max;
        Visit(set.Root, range, into, ref remaining, seek: true);
    }

    /// <summary>Visits one subtree; false when the scan is over (past the range, or the limit reached).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Visit<TOrder, TRange>(SortedDatomSet<TOrder>.Node node, TRange range, List<Datom> into, ref int remaining, bool seek)
        where TOrder : struct, IDatomOrder
        where TRange : struct, IDatomRange
    {
        if (node is SortedDatomSet<TOrder>.Branch b)
        {
            // a branch key is >= every datom of its child and < every datom of the next child
            for (var i = seek ? DatomRanges.FirstNotBefore(b.Keys, 0, b.Len, range) : 0; i < b.Len; i++)
            {
                if (!Visit(b.Children[i], range, into, ref remaining, seek)) return false;
                if (range.Locate(b.Keys[i]) > 0) return false;
                seek = false;
            }
            return true;
        }
        var keys = node.Keys;
        var len = node.Len;
        for (var k = seek ? DatomRanges.FirstNotBefore(keys, 0, len, range) : 0; k < len; k++)
        {
            var d = keys[k];
            if (range.Locate(d) > 0) return false;
            into.Add(d);
            if (--remaining == 0) return false;
        }
        return true;
    }

}
