using System.Collections;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// An immutable EDN set <c>#{a b c}</c>. Elements compare with <see cref="EdnEquality"/>; enumeration follows
/// insertion order; equality ignores order.
/// </summary>
/// <remarks>
/// The constructors drop repeated elements (keeping the first), like <see cref="HashSet{T}"/>; the EDN reader
/// instead rejects a set literal with repeated elements.
/// </remarks>
[CollectionBuilder(typeof(EdnSet), nameof(Create))]
public sealed class EdnSet : IReadOnlyCollection<object?>, IEquatable<EdnSet>
{
    /// <summary>The empty set <c>#{}</c>.</summary>
    public static EdnSet Empty { get; } = new(Array.Empty<object?>(), null, false);

    private readonly object?[] _items;
    /// <summary>The lookup of a set larger than <see cref="EdnMap.LinearLimit"/>: built with the set, or on the first
    /// lookup for a set made of items known to be distinct (<see cref="FromDistinct"/>).</summary>
    private HashSet<object>? _index;
    private readonly bool _hasNil;
    private int _hash;

    /// <summary>A set of the given elements; repeated elements are dropped.</summary>
    public EdnSet(IEnumerable<object?> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        (_items, _index, _hasNil) = BuildDistinct(items.ToArray());
    }

    /// <summary>A set of the given elements; repeated elements are dropped.</summary>
    public EdnSet(params object?[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        (_items, _index, _hasNil) = BuildDistinct((object?[])items.Clone());
    }

    private EdnSet(object?[] items, HashSet<object>? index, bool hasNil)
    {
        _items = items;
        _index = index;
        _hasNil = hasNil;
    }

    /// <summary>Collection-expression builder: <c>EdnSet s = [1L, 2L];</c></summary>
    public static EdnSet Create(ReadOnlySpan<object?> items)
    {
        if (items.IsEmpty) return Empty;
        var (array, index, hasNil) = BuildDistinct(items.ToArray());
        return new EdnSet(array, index, hasNil);
    }

    /// <summary>
    /// Takes ownership of <paramref name="items"/>, which the caller knows hold no two equal elements
    /// (and a nil exactly when <paramref name="hasNil"/>); the lookup is built when first needed.
    /// </summary>
    internal static EdnSet FromDistinct(object?[] items, bool hasNil)
    {
        if (items.Length == 0) return Empty;
        return new EdnSet(items, null, hasNil);
    }

    /// <summary>Takes ownership of <paramref name="items"/>; repeated elements are dropped (keeping the first).</summary>
    internal static EdnSet FromOwned(object?[] items)
    {
        if (items.Length == 0) return Empty;
        var (array, index, hasNil) = BuildDistinct(items);
        return new EdnSet(array, index, hasNil);
    }

    /// <summary>
    /// Takes ownership of <paramref name="items"/>; null (and the index of the first repeated element) on duplicates.
    /// </summary>
    internal static EdnSet? TryCreateOwned(object?[] items, out int duplicateIndex)
    {
        duplicateIndex = -1;
        if (items.Length == 0) return Empty;
        var hasNil = false;
        if (items.Length <= EdnMap.LinearLimit)
        {
            for (var i = 0; i < items.Length; i++)
            {
                var x = items[i];
                if (x is null)
                {
                    if (hasNil) { duplicateIndex = i; return null; }
                    hasNil = true;
                    continue;
                }
                for (var j = 0; j < i; j++)
                {
                    if (EdnEquality.AreEqual(items[j], x)) { duplicateIndex = i; return null; }
                }
            }
            return new EdnSet(items, null, hasNil);
        }
        var index = new HashSet<object>(items.Length, EdnEquality.Instance);
        for (var i = 0; i < items.Length; i++)
        {
            var x = items[i];
            if (x is null)
            {
                if (hasNil) { duplicateIndex = i; return null; }
                hasNil = true;
            }
            else if (!index.Add(x))
            {
                duplicateIndex = i;
                return null;
            }
        }
        return new EdnSet(items, index, hasNil);
    }

    private static (object?[] Items, HashSet<object>? Index, bool HasNil) BuildDistinct(object?[] items)
    {
        var hasNil = false;
        var n = 0;
        if (items.Length <= EdnMap.LinearLimit)
        {
            for (var i = 0; i < items.Length; i++)
            {
                var x = items[i];
                var seen = false;
                if (x is null)
                {
                    seen = hasNil;
                    hasNil = true;
                }
                else
                {
                    for (var j = 0; j < n && !seen; j++) seen = EdnEquality.AreEqual(items[j], x);
                }
                if (!seen) items[n++] = x;
            }
            return (Shrink(items, n), null, hasNil);
        }
        var index = new HashSet<object>(items.Length, EdnEquality.Instance);
        for (var i = 0; i < items.Length; i++)
        {
            var x = items[i];
            bool added;
            if (x is null)
            {
                added = !hasNil;
                hasNil = true;
            }
            else
            {
                added = index.Add(x);
            }
            if (added) items[n++] = x;
        }
        return (Shrink(items, n), index, hasNil);
    }

    private static object?[] Shrink(object?[] items, int n)
    {
        if (n == items.Length) return items;
        if (n == 0) return Array.Empty<object?>();
        return items.AsSpan(0, n).ToArray();
    }

    /// <summary>Number of elements.</summary>
    public int Count => _items.Length;

    /// <summary>True when the set has an element equal (per <see cref="EdnEquality"/>) to <paramref name="item"/>.</summary>
    public bool Contains(object? item)
    {
        if (item is null) return _hasNil;
        var index = _index;
        if (index is null && _items.Length > EdnMap.LinearLimit) index = BuildIndex();
        if (index is not null) return index.Contains(item);
        foreach (var x in _items)
        {
            if (x is not null && EdnEquality.AreEqual(x, item)) return true;
        }
        return false;
    }

    /// <summary>The lookup of a set made by <see cref="FromDistinct"/>; threads that race each build one, the first
    /// published is kept (a set is read-only once published).</summary>
    private HashSet<object> BuildIndex()
    {
        var index = new HashSet<object>(_items.Length, EdnEquality.Instance);
        foreach (var x in _items)
        {
            if (x is not null) index.Add(x);
        }
        return Interlocked.CompareExchange(ref _index, index, null) ?? index;
    }

    /// <summary>The elements in insertion order as a span (no copy).</summary>
    public ReadOnlySpan<object?> AsSpan() => _items;

    internal object?[] RawItems => _items;

    /// <summary>An allocation-free enumerator (insertion order).</summary>
    public EdnSequence.Enumerator GetEnumerator() => new(_items);

    IEnumerator<object?> IEnumerable<object?>.GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    internal bool EqualsCore(EdnSet other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (_items.Length != other._items.Length) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // deep values: an exception, not a fatal overflow
        foreach (var x in _items)
        {
            if (!other.Contains(x)) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(EdnSet? other) => other is not null && EqualsCore(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EdnSet s && EqualsCore(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = _hash;
        if (h != 0) return h;
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        h = 0x3B9ACA;
        foreach (var x in _items) h = unchecked(h + EdnEquality.Mix(EdnEquality.Hash(x)));
        if (h == 0) h = 1;
        _hash = h;
        return h;
    }

    /// <summary>The EDN text of this set.</summary>
    public override string ToString() => EdnPrinter.Print(this);
}
