using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>An immutable EDN vector <c>[a b c]</c>. Equality is structural (see <see cref="EdnEquality"/>).</summary>
/// <remarks>
/// <c>new EdnVector(otherSequence)</c> copies the elements of <c>otherSequence</c>; to make a vector whose
/// single element is a sequence, pass an array: <c>new EdnVector(new object?[] { inner })</c> or use a
/// collection expression <c>[inner]</c>.
/// </remarks>
[CollectionBuilder(typeof(EdnVector), nameof(Create))]
public sealed class EdnVector : EdnSequence, IEquatable<EdnVector>
{
    private const int Seed = 0x2F1E5A;

    /// <summary>The empty vector <c>[]</c>.</summary>
    public static EdnVector Empty { get; } = new(Array.Empty<object?>(), owned: true);

    /// <summary>A vector of the given elements (copied).</summary>
    public EdnVector(IEnumerable<object?> items) : base(Copy(items), Seed) { }

    /// <summary>A vector of the given elements (copied).</summary>
    public EdnVector(params object?[] items) : base(Copy(items), Seed) { }

    private EdnVector(object?[] items, bool owned) : base(items, Seed) => _ = owned;

    /// <summary>Collection-expression builder: <c>EdnVector v = [1L, "a"];</c></summary>
    public static EdnVector Create(ReadOnlySpan<object?> items) => items.IsEmpty ? Empty : new(items.ToArray(), owned: true);

    /// <summary>Wraps an array without copying; the caller must not keep or mutate it.</summary>
    internal static EdnVector Wrap(object?[] items) => items.Length == 0 ? Empty : new(items, owned: true);

    /// <inheritdoc/>
    public bool Equals(EdnVector? other) => other is not null && (ReferenceEquals(this, other) || EqualsCore(other));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => base.Equals(obj);

    /// <inheritdoc/>
    public override int GetHashCode() => base.GetHashCode();
}
