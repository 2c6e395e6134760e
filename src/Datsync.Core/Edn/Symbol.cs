namespace Datsync.Core;

/// <summary>An EDN symbol such as <c>foo/bar</c> or <c>inst</c>.</summary>
public sealed class Symbol : IComparable<Symbol>, IComparable, IEquatable<Symbol>
{
    public string? Namespace { get; }
    public string Name { get; }
    public string FullName { get; }

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

    public override string ToString() => FullName;
    public bool Equals(Symbol? other) => other is not null && string.Equals(FullName, other.FullName, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is Symbol s && Equals(s);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(FullName) * 17 + 3;
    public int CompareTo(Symbol? other) => other is null ? 1 : string.CompareOrdinal(FullName, other.FullName);
    public int CompareTo(object? obj) => CompareTo(obj as Symbol);
}
