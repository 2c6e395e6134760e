using System.Collections;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace Datsync.Core;

/// <summary>
/// An immutable EDN map <c>{k v, ...}</c> that keeps insertion order. Keys compare with <see cref="EdnEquality"/>.
/// </summary>
/// <remarks>
/// EDN allows <c>nil</c> as a key. The <see cref="IReadOnlyDictionary{TKey, TValue}"/> view (enumeration,
/// <see cref="Keys"/>, <see cref="Values"/>, the interface's <c>Count</c>) covers the non-nil keys only;
/// <see cref="Entries"/> and <see cref="Count"/> cover every entry. The lookup members
/// (<see cref="ContainsKey"/>, <see cref="TryGetValue"/>, the indexer) also accept <c>null</c>.
/// </remarks>
public sealed class EdnMap : IReadOnlyDictionary<object, object?>, IEquatable<EdnMap>
{
    /// <summary>Maps up to this size are searched linearly instead of through a hash index.</summary>
    internal const int LinearLimit = 8;

    /// <summary>The empty map <c>{}</c>.</summary>
    public static EdnMap Empty { get; } = new(Array.Empty<KeyValuePair<object?, object?>>(), null, -1);

    private readonly KeyValuePair<object?, object?>[] _entries;
    private readonly Dictionary<object, int>? _index;
    private readonly int _nilIndex;
    private ReadOnlyCollection<KeyValuePair<object?, object?>>? _entriesView;
    private int _hash;

    /// <summary>A map of the given entries, in order.</summary>
    /// <exception cref="ArgumentException">Two entries have equal keys.</exception>
    public EdnMap(IEnumerable<KeyValuePair<object?, object?>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var array = entries.ToArray();
        if (!TryIndex(array, out var index, out var nilIndex, out var duplicate))
        {
            throw new ArgumentException($"duplicate map key {EdnPrinter.Describe(array[duplicate].Key)}", nameof(entries));
        }
        _entries = array;
        _index = index;
        _nilIndex = nilIndex;
    }

    private EdnMap(KeyValuePair<object?, object?>[] entries, Dictionary<object, int>? index, int nilIndex)
    {
        _entries = entries;
        _index = index;
        _nilIndex = nilIndex;
    }

    /// <summary>A map from alternating keys and values: <c>EdnMap.Of(":a", 1L, ":b", 2L)</c> has no keywords,
    /// <c>EdnMap.Of(Keyword.Intern("a"), 1L)</c> does.</summary>
    /// <exception cref="ArgumentException">An odd number of arguments, or a duplicate key.</exception>
    public static EdnMap Of(params object?[] keysAndValues)
    {
        ArgumentNullException.ThrowIfNull(keysAndValues);
        if ((keysAndValues.Length & 1) != 0) throw new ArgumentException("expected alternating keys and values", nameof(keysAndValues));
        var entries = new KeyValuePair<object?, object?>[keysAndValues.Length / 2];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new KeyValuePair<object?, object?>(keysAndValues[2 * i], keysAndValues[(2 * i) + 1]);
        }
        return CreateChecked(entries);
    }

    /// <summary>A map of the entries of any typed dictionary or pair sequence, in its enumeration order.</summary>
    /// <exception cref="ArgumentException">Two entries have equal keys.</exception>
    public static EdnMap Create<TKey, TValue>(IEnumerable<KeyValuePair<TKey, TValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<KeyValuePair<object?, object?>>();
        foreach (var e in entries) list.Add(new KeyValuePair<object?, object?>(e.Key, e.Value));
        return CreateChecked(list.ToArray());
    }

    private static EdnMap CreateChecked(KeyValuePair<object?, object?>[] entries)
    {
        return TryCreateOwned(entries, out var duplicate)
            ?? throw new ArgumentException($"duplicate map key {EdnPrinter.Describe(entries[duplicate].Key)}", nameof(entries));
    }

    /// <summary>
    /// Takes ownership of <paramref name="entries"/>; null (and the index of the first repeated key) on duplicates.
    /// </summary>
    internal static EdnMap? TryCreateOwned(KeyValuePair<object?, object?>[] entries, out int duplicateIndex)
    {
        if (entries.Length == 0)
        {
            duplicateIndex = -1;
            return Empty;
        }
        if (!TryIndex(entries, out var index, out var nilIndex, out duplicateIndex)) return null;
        return new EdnMap(entries, index, nilIndex);
    }

    private static bool TryIndex(KeyValuePair<object?, object?>[] entries, out Dictionary<object, int>? index, out int nilIndex, out int duplicate)
    {
        index = null;
        nilIndex = -1;
        duplicate = -1;
        if (entries.Length <= LinearLimit)
        {
            for (var i = 0; i < entries.Length; i++)
            {
                var k = entries[i].Key;
                if (k is null)
                {
                    if (nilIndex >= 0) { duplicate = i; return false; }
                    nilIndex = i;
                    continue;
                }
                for (var j = 0; j < i; j++)
                {
                    if (EdnEquality.AreEqual(entries[j].Key, k)) { duplicate = i; return false; }
                }
            }
            return true;
        }
        var dict = new Dictionary<object, int>(entries.Length, EdnEquality.Instance);
        for (var i = 0; i < entries.Length; i++)
        {
            var k = entries[i].Key;
            if (k is null)
            {
                if (nilIndex >= 0) { duplicate = i; return false; }
                nilIndex = i;
            }
            else if (!dict.TryAdd(k, i))
            {
                duplicate = i;
                return false;
            }
        }
        index = dict;
        return true;
    }

    /// <summary>Number of entries, including a nil-keyed one.</summary>
    public int Count => _entries.Length;

    int IReadOnlyCollection<KeyValuePair<object, object?>>.Count => _nilIndex < 0 ? _entries.Length : _entries.Length - 1;

    /// <summary>All entries in insertion order, including a nil-keyed one.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entriesView ??= new ReadOnlyCollection<KeyValuePair<object?, object?>>(_entries);

    /// <summary>All entries in insertion order as a span (no copy).</summary>
    public ReadOnlySpan<KeyValuePair<object?, object?>> AsSpan() => _entries;

    internal KeyValuePair<object?, object?>[] RawEntries => _entries;

    /// <summary>The non-nil keys in insertion order.</summary>
    public IEnumerable<object> Keys
    {
        get
        {
            foreach (var e in _entries)
            {
                if (e.Key is not null) yield return e.Key;
            }
        }
    }

    /// <summary>The values of the non-nil keys, in insertion order (aligned with <see cref="Keys"/>).</summary>
    public IEnumerable<object?> Values
    {
        get
        {
            foreach (var e in _entries)
            {
                if (e.Key is not null) yield return e.Value;
            }
        }
    }

    /// <summary>The value for <paramref name="key"/> (which may be null for the nil key).</summary>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    public object? this[object? key]
    {
        get
        {
            var i = IndexOf(key);
            if (i < 0) throw new KeyNotFoundException($"key {EdnPrinter.Describe(key)} is not in the map");
            return _entries[i].Value;
        }
    }

    /// <summary>True when the map has <paramref name="key"/> (which may be null for the nil key).</summary>
    public bool ContainsKey(object? key) => IndexOf(key) >= 0;

    /// <summary>The value for <paramref name="key"/> (which may be null for the nil key), if present.</summary>
    public bool TryGetValue(object? key, [MaybeNullWhen(false)] out object? value)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            value = null;
            return false;
        }
        value = _entries[i].Value;
        return true;
    }

    /// <summary>Position of <paramref name="key"/> in <see cref="Entries"/>, or -1.</summary>
    public int IndexOf(object? key)
    {
        if (key is null) return _nilIndex;
        if (_index is not null) return _index.TryGetValue(key, out var i) ? i : -1;
        var entries = _entries;
        for (var j = 0; j < entries.Length; j++)
        {
            var k = entries[j].Key;
            if (k is not null && EdnEquality.AreEqual(k, key)) return j;
        }
        return -1;
    }

    /// <summary>Enumerates the entries with non-nil keys in insertion order.</summary>
    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        foreach (var e in _entries)
        {
            if (e.Key is not null) yield return new KeyValuePair<object, object?>(e.Key, e.Value);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal bool EqualsCore(EdnMap other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (_entries.Length != other._entries.Length) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // deep values: an exception, not a fatal overflow
        foreach (var e in _entries)
        {
            var j = other.IndexOf(e.Key);
            if (j < 0 || !EdnEquality.AreEqual(e.Value, other._entries[j].Value)) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(EdnMap? other) => other is not null && EqualsCore(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EdnMap m && EqualsCore(m);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = _hash;
        if (h != 0) return h;
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        h = 0x6D4A11;
        foreach (var e in _entries)
        {
            h = unchecked(h + EdnEquality.Mix(EdnEquality.CombineOrdered(EdnEquality.Hash(e.Key), EdnEquality.Hash(e.Value))));
        }
        if (h == 0) h = 1;
        _hash = h;
        return h;
    }

    /// <summary>The EDN text of this map.</summary>
    public override string ToString() => EdnPrinter.Print(this);
}
