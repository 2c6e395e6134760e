using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>An immutable EDN list <c>(a b c)</c>. Equality is structural (see <see cref="EdnEquality"/>).</summary>
/// <remarks>
/// <c>new EdnList(otherSequence)</c> copies the elements of <c>otherSequence</c>; to make a list whose
/// single element is a sequence, pass an array: <c>new EdnList(new object?[] { inner })</c> or use a
/// collection expression <c>[inner]</c>.
/// </remarks>
[CollectionBuilder(typeof(EdnList), nameof(Create))]
public sealed class EdnList : EdnSequence, IEquatable<EdnList>
{
    private const int Seed = 0x4C1572;

    /// <summary>The empty list <c>()</c>.</summary>
    public static EdnList Empty { get; } = new(Array.Empty<object?>(), owned: true);

    /// <summary>A list of the given elements (copied).</summary>
    public EdnList(IEnumerable<object?> items) : base(Copy(items), Seed) { }

    /// <summary>A list of the given elements (copied).</summary>
    public EdnList(params object?[] items) : base(Copy(items), Seed) { }

    private EdnList(object?[] items, bool owned) : base(items, Seed) => _ = owned;

    /// <summary>Collection-expression builder: <c>EdnList l = [1L, "a"];</c></summary>
    public static EdnList Create(ReadOnlySpan<object?> items) => items.IsEmpty ? Empty : new(items.ToArray(), owned: true);

    /// <summary>Wraps an array without copying; the caller must not keep or mutate it.</summary>
    internal static EdnList Wrap(object?[] items) => items.Length == 0 ? Empty : new(items, owned: true);

    /// <inheritdoc/>
    public bool Equals(EdnList? other) => other is not null && (ReferenceEquals(this, other) || EqualsCore(other));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => base.Equals(obj);

    /// <inheritdoc/>
    public override int GetHashCode() => base.GetHashCode();
}
