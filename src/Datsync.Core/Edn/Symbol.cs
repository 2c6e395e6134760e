namespace Datsync.Core;

/// <summary>An EDN symbol such as <c>foo/bar</c> or <c>inst</c>.</summary>
public sealed class Symbol : IComparable<Symbol>, IComparable, IEquatable<Symbol>
{
    /// <summary>Namespace part (before the slash), or null.</summary>
    public string? Namespace { get; }

    /// <summary>Name part (after the slash), or the whole symbol when it has no namespace.</summary>
    public string Name { get; }

    /// <summary>The symbol as written, e.g. <c>foo/bar</c>.</summary>
    public string FullName { get; }

    /// <summary>The symbol with the given text, e.g. <c>foo/bar</c>; its namespace is what comes before the first
    /// slash.</summary>
    /// <param name="fullName">The symbol's text; not empty.</param>
    public Symbol(string fullName)
    {
        if (string.IsNullOrEmpty(fullName)) throw new ArgumentException("a symbol needs a name", nameof(fullName));
        FullName = fullName;
        var slash = fullName.IndexOf('/');
        if (slash > 0 && fullName.Length > 1)
        {
            Namespace = fullName[..slash];
            Name = fullName[(slash + 1)..];
        }
        else
        {
            Name = fullName;
        }
    }

    /// <summary>The symbol's text, <see cref="FullName"/>.</summary>
    public override string ToString() => FullName;
    /// <summary>True when both symbols have the same text (ordinal).</summary>
    public bool Equals(Symbol? other) => other is not null && string.Equals(FullName, other.FullName, StringComparison.Ordinal);
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Symbol s && Equals(s);
    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(FullName) * 17 + 3;
    /// <summary>Orders by the symbols' text, ordinally.</summary>
    public int CompareTo(Symbol? other) => other is null ? 1 : string.CompareOrdinal(FullName, other.FullName);
    /// <inheritdoc cref="CompareTo(Symbol?)" />
    public int CompareTo(object? obj) => CompareTo(obj as Symbol);
}
