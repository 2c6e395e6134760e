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
    private SortedDatomSet<TOrder>.Node? _root;
    private SortedDatomSet<TOrder>.Node? _leaf;
    private int _k;
    private bool _done = true;

    /// <summary>Positions the cursor on the first datom of the range (or past it when it is empty). When the range
    /// starts after the first datom of the leaf the cursor is on, in the same set (rows bound in index order seek
    /// forward), the seek starts from there and climbs only as far as it must, not from the root.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Seek<TRange>(SortedDatomSet<TOrder> set, TRange range) where TRange : struct, IDatomRange
    {
        _done = false;
        if (_leaf is { } leaf && ReferenceEquals(_root, set.Root) && range.Locate(leaf.Keys[0]) < 0)
        {
            // nothing before this leaf is in the range
            if (range.Locate(leaf.Keys[leaf.Len - 1]) >= 0)
            {
                _k = DatomRanges.FirstNotBefore(leaf.Keys, 0, leaf.Len, range);
                return;
            }
            for (var l = _depth - 1; l >= 0; l--)
            {
                var b = _path[l];
                if (range.Locate(b.Keys[b.Len - 1]) < 0) continue;
                Descend(l, DatomRanges.FirstNotBefore(b.Keys, _at[l] + 1, b.Len, range), range);
                return;
            }
            _done = true;
            return;
        }
        _root = set.Root;
        _depth = 0;
        _leaf = null;
        if (_root is null) { _done = true; return; }
        if (_root is SortedDatomSet<TOrder>.Branch rb)
        {
            _path[0] = rb;
            _depth = 1;
            // count the depth once: every leaf is as deep
            for (var n = rb.Children[0]; n is SortedDatomSet<TOrder>.Branch c; n = c.Children[0]) _depth++;
            var i = DatomRanges.FirstNotBefore(rb.Keys, 0, rb.Len, range);
            if (i == rb.Len) { _done = true; _leaf = null; return; }
            Descend(0, i, range);
        }
        else
        {
            _leaf = _root;
            _k = DatomRanges.FirstNotBefore(_root.Keys, 0, _root.Len, range);
        }
    }

    /// <summary>Goes down from child <paramref name="i"/> of the branch at <paramref name="level"/> to the range's
    /// first datom (a branch key is the greatest datom of its child: the first child whose key is not before it).</summary>
    private void Descend<TRange>(int level, int i, TRange range) where TRange : struct, IDatomRange
    {
        var b = _path[level];
        _at[level] = i;
        var node = b.Children[i];
        for (var l = level + 1; l < _depth; l++)
        {
            var br = (SortedDatomSet<TOrder>.Branch)node;
            var j = DatomRanges.FirstNotBefore(br.Keys, 0, br.Len, range);
            _path[l] = br;
            _at[l] = j;
            node = br.Children[j];
        }
        _leaf = node;
        _k = DatomRanges.FirstNotBefore(node.Keys, 0, node.Len, range);
    }

    /// <summary>The next datom of the range; false once past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Next<TRange>(TRange range, out Datom d) where TRange : struct, IDatomRange
    {
        var leaf = _leaf;
        if (!_done && _k < leaf!.Len)
        {
            d = leaf.Keys[_k++];
            if (range.Locate(d) <= 0) return true;
            _done = true;
            return false;
        }
        return NextLeaf(range, out d);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool NextLeaf<TRange>(TRange range, out Datom d) where TRange : struct, IDatomRange
    {
        d = null!;
        if (_done) return false;
        var level = _depth - 1;
        while (level >= 0 && _at[level] + 1 >= _path[level].Len) level--;
        if (level < 0) { _done = true; return false; }
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

}
