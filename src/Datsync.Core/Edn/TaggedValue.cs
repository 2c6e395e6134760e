namespace Datsync.Core;

/// <summary>
/// A tagged literal <c>#tag value</c> whose tag the reader does not interpret (anything but
/// <c>#inst</c>, <c>#uuid</c> and <c>#uri</c>). Equality is structural (see <see cref="EdnEquality"/>).
/// </summary>
/// <param name="Tag">The tag symbol, without the <c>#</c>.</param>
/// <param name="Value">The tagged form.</param>
public sealed record TaggedValue(Symbol Tag, object? Value)
{
    /// <summary>The tag symbol, without the <c>#</c>.</summary>
    public Symbol Tag { get; init; } = Tag ?? throw new ArgumentNullException(nameof(Tag));

    /// <inheritdoc/>
    public bool Equals(TaggedValue? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // deep values: an exception, not a fatal overflow
        return Tag.Equals(other.Tag) && EdnEquality.AreEqual(Value, other.Value);
    }

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        return EdnEquality.CombineOrdered(Tag.GetHashCode(), EdnEquality.Hash(Value));
    }

    /// <summary>The EDN text <c>#tag value</c>.</summary>
    public override string ToString() => EdnPrinter.Print(this);
}
