using System.Collections;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>An immutable EDN list <c>(a b c)</c>. Equality is structural (see <see cref="EdnEquality"/>).</summary>
/// <remarks>
/// <c>new EdnList(otherSequence)</c> copies the elements of <c>otherSequence</c>; to make a list whose
/// single element is a sequence, pass an array: <c>new EdnList(new object?[] { inner })</c> or use a
/// collection expression <c>[inner]</c>.
/// </remarks>
[CollectionBuilder(typeof(EdnList), nameof(Create))]
public sealed class EdnList : IReadOnlyList<object?>, IEquatable<EdnList>
{
    /// <summary>The empty list <c>()</c>.</summary>
    public static EdnList Empty { get; } = new(Array.Empty<object?>(), owned: true);

    private readonly object?[] _items;
    private int _hash;

    /// <summary>A list of the given elements (copied).</summary>
    public EdnList(IEnumerable<object?> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items.ToArray();
    }

    /// <summary>A list of the given elements (copied).</summary>
    public EdnList(params object?[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items.Length == 0 ? Array.Empty<object?>() : (object?[])items.Clone();
    }

    private EdnList(object?[] items, bool owned)
    {
        _ = owned;
        _items = items;
    }

    /// <summary>Collection-expression builder: <c>EdnList l = [1L, "a"];</c></summary>
    public static EdnList Create(ReadOnlySpan<object?> items) => items.IsEmpty ? Empty : new(items.ToArray(), owned: true);

    /// <summary>Wraps an array without copying; the caller must not keep or mutate it.</summary>
    internal static EdnList Wrap(object?[] items) => items.Length == 0 ? Empty : new(items, owned: true);

    /// <summary>Number of elements.</summary>
    public int Count => _items.Length;

    /// <summary>The element at <paramref name="index"/>.</summary>
    public object? this[int index] => _items[index];

    /// <summary>The elements as a read-only span (no copy).</summary>
    public ReadOnlySpan<object?> AsSpan() => _items;

    /// <summary>An allocation-free enumerator.</summary>
    public Enumerator GetEnumerator() => new(_items);

    IEnumerator<object?> IEnumerable<object?>.GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    internal bool EqualsCore(EdnList other)
    {
        var a = _items;
        var b = other._items;
        if (a.Length != b.Length) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (!EdnEquality.AreEqual(a[i], b[i])) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(EdnList? other) => other is not null && (ReferenceEquals(this, other) || EqualsCore(other));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EdnList l && Equals(l);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = _hash;
        if (h != 0) return h;
        h = 0x4C1572;
        foreach (var item in _items) h = EdnEquality.CombineOrdered(h, EdnEquality.Hash(item));
        if (h == 0) h = 1;
        _hash = h;
        return h;
    }

    /// <summary>The EDN text of this list.</summary>
    public override string ToString() => EdnPrinter.Print(this);

    /// <summary>Enumerator over the elements.</summary>
    public struct Enumerator
    {
        private readonly object?[] _items;
        private int _index;

        internal Enumerator(object?[] items)
        {
            _items = items;
            _index = -1;
        }

        /// <summary>Advances to the next element.</summary>
        public bool MoveNext() => ++_index < _items.Length;

        /// <summary>The current element.</summary>
        public readonly object? Current => _items[_index];
    }
}
