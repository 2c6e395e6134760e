using System.Collections;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>What EDN lists and vectors share: an immutable array of elements with structural equality.
/// A list never equals a vector, so equality also compares the concrete type.</summary>
public abstract class EdnSequence : IReadOnlyList<object?>
{
    private protected readonly object?[] Items;
    private readonly int _seed;
    private int _hash;

    private protected EdnSequence(object?[] items, int seed)
    {
        Items = items;
        _seed = seed;
    }

    private protected static object?[] Copy(IEnumerable<object?> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.ToArray();
    }

    private protected static object?[] Copy(object?[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.Length == 0 ? Array.Empty<object?>() : (object?[])items.Clone();
    }

    /// <summary>Number of elements.</summary>
    public int Count => Items.Length;

    /// <summary>The element at <paramref name="index"/>.</summary>
    public object? this[int index] => Items[index];

    internal object?[] RawItems => Items;

    /// <summary>The elements as a read-only span (no copy).</summary>
    public ReadOnlySpan<object?> AsSpan() => Items;

    /// <summary>An allocation-free enumerator.</summary>
    public Enumerator GetEnumerator() => new(Items);

    IEnumerator<object?> IEnumerable<object?>.GetEnumerator() => ((IEnumerable<object?>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Items.GetEnumerator();

    internal bool EqualsCore(EdnSequence other)
    {
        if (other.GetType() != GetType()) return false;
        RuntimeHelpers.EnsureSufficientExecutionStack(); // deep values: an exception rather than a fatal overflow
        var a = Items;
        var b = other.Items;
        if (a.Length != b.Length) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (!EdnEquality.AreEqual(a[i], b[i])) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EdnSequence s && (ReferenceEquals(this, s) || EqualsCore(s));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = _hash;
        if (h != 0) return h;
        RuntimeHelpers.EnsureSufficientExecutionStack();
        h = _seed;
        foreach (var item in Items) h = EdnEquality.CombineOrdered(h, EdnEquality.Hash(item));
        if (h == 0) h = 1;
        _hash = h;
        return h;
    }

    /// <summary>The EDN text.</summary>
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
