using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>AEVT: every datom of one attribute.</summary>
internal readonly struct AttributeSpan(int a) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d) => d.A == a ? 0 : d.A < a ? -1 : 1;
}

/// <summary>EAVT: the datoms of one entity whose attribute id lies in [aMin, aMax] (the attributes one entity pass reads).</summary>
internal readonly struct EntityAttrSpan(long e, int aMin, int aMax) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d)
    {
        if (d.E != e) return d.E < e ? -1 : 1;
        return d.A < aMin ? -1 : d.A > aMax ? 1 : 0;
    }
}

/// <summary>AVET: the datoms of attribute a whose encoded value lies between the bounds (each inclusive, or open).</summary>
internal readonly struct ValueSpan(int a, ValueBound lo, ValueBound hi) : IDatomRange
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Locate(Datom d)
    {
        if (d.A != a) return d.A < a ? -1 : 1;
        if (lo.Set && Encoded.Compare(d.N, d.O, lo.N, lo.O) < 0) return -1;
        if (hi.Set && Encoded.Compare(d.N, d.O, hi.N, hi.O) > 0) return 1;
        return 0;
    }
}

/// <summary>One end of a value range, encoded for its attribute; <see cref="Set"/> false: open.</summary>
internal readonly record struct ValueBound(bool Set, long N, object? O);

/// <summary>
/// A reusable forward reader of one contiguous range of a sorted datom set: a seek, then datoms in index order with no
/// iterator, delegate or buffer per datom (the query engine reads a range per bound row, so one cursor serves them all).
/// </summary>
internal sealed class IndexCursor<TOrder> where TOrder : struct, IDatomOrder
{
    // a B+tree of 2^31 datoms with nodes half full is 7 levels deep
    private readonly SortedDatomSet<TOrder>.Branch[] _path = new SortedDatomSet<TOrder>.Branch[16];
    private readonly int[] _at = new int[16];
    private int _depth;
    private SortedDatomSet<TOrder>.Node? _leaf;
    private int _k;

    /// <summary>Positions the cursor on the first datom of the range (or past it when it is empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Seek<TRange>(SortedDatomSet<TOrder> set, TRange range) where TRange : struct, IDatomRange
    {
        _depth = 0;
        _leaf = null;
        var node = set.Root;
        if (node is null) return;
        while (node is SortedDatomSet<TOrder>.Branch b)
        {
            // a branch key is the greatest datom of its child: the first child whose key is not before the range
            var i = FirstNotBefore(b.Keys, b.Len, range);
            if (i == b.Len) return;
            _path[_depth] = b;
            _at[_depth] = i;
            _depth++;
            node = b.Children[i];
        }
        _leaf = node;
        _k = FirstNotBefore(node.Keys, node.Len, range);
    }

    /// <summary>The next datom of the range; false once past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Next<TRange>(TRange range, out Datom d) where TRange : struct, IDatomRange
    {
        var leaf = _leaf;
        if (leaf is not null && _k < leaf.Len)
        {
            d = leaf.Keys[_k++];
            if (range.Locate(d) <= 0) return true;
            _leaf = null;
            return false;
        }
        return NextLeaf(range, out d);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool NextLeaf<TRange>(TRange range, out Datom d) where TRange : struct, IDatomRange
    {
        d = null!;
        if (_leaf is null) return false;
        var level = _depth - 1;
        while (level >= 0 && _at[level] + 1 >= _path[level].Len) level--;
        if (level < 0) { _leaf = null; return false; }
        _at[level]++;
        var n = _path[level].Children[_at[level]];
        for (var l = level + 1; l < _depth; l++)
        {
            var br = (SortedDatomSet<TOrder>.Branch)n;
            _path[l] = br;
            _at[l] = 0;
            n = br.Children[0];
        }
        _leaf = n;
        _k = 0;
        return Next(range, out d);
    }

    private static int FirstNotBefore<TRange>(Datom[] keys, int len, TRange range) where TRange : struct, IDatomRange
    {
        int lo = 0, hi = len;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (range.Locate(keys[mid]) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
