using System.Collections.Concurrent;

namespace Datsync.Core;

/// <summary>An EDN keyword such as <c>:db/ident</c>. Interned: two equal keywords are the same object.</summary>
public sealed class Keyword : IComparable<Keyword>, IComparable
{
    private static readonly ConcurrentDictionary<string, Keyword> Table = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Keyword>.AlternateLookup<ReadOnlySpan<char>> SpanTable =
        Table.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Namespace part (before the slash), or null.</summary>
    public string? Namespace { get; }

    /// <summary>Name part (after the slash).</summary>
    public string Name { get; }

    /// <summary>The keyword without its leading colon, e.g. <c>db/ident</c>.</summary>
    public string FullName { get; }

    private readonly int _hash;

    private Keyword(string fullName)
    {
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
        _hash = StringComparer.Ordinal.GetHashCode(fullName) * 31 + 7;
    }

    /// <summary>The keyword <c>:ns/name</c> (or <c>:name</c> when ns is null).</summary>
    public static Keyword Intern(string? ns, string name) => Intern(ns is null ? name : ns + "/" + name);

    /// <summary>The keyword for a full name, with or without the leading colon.</summary>
    public static Keyword Intern(string fullName)
    {
        if (fullName.Length > 0 && fullName[0] == ':') fullName = fullName[1..];
        if (fullName.Length == 0) throw new ArgumentException("a keyword needs a name", nameof(fullName));
        return Table.TryGetValue(fullName, out var k) ? k : Table.GetOrAdd(fullName, static n => new Keyword(n));
    }

    /// <summary>
    /// The keyword for a full name given as characters, without the leading colon. Looks the name up
    /// without allocating when the keyword already exists (used by the EDN reader).
    /// </summary>
    internal static Keyword InternChars(ReadOnlySpan<char> fullName)
    {
        if (SpanTable.TryGetValue(fullName, out var k)) return k;
        return Intern(fullName.ToString());
    }

    /// <summary>True for the reverse-reference form <c>:ns/_name</c>.</summary>
    public bool IsReverse => Name.Length > 1 && Name[0] == '_';

    /// <summary><c>:ns/_name</c> for <c>:ns/name</c> and back.</summary>
    public Keyword Reversed => IsReverse ? Intern(Namespace, Name[1..]) : Intern(Namespace, "_" + Name);

    public override string ToString() => ":" + FullName;
    public override int GetHashCode() => _hash;
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public int CompareTo(Keyword? other)
    {
        if (ReferenceEquals(this, other)) return 0;
        if (other is null) return 1;
        var c = string.CompareOrdinal(Namespace, other.Namespace);
        return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
    }

    public int CompareTo(object? obj) => CompareTo(obj as Keyword);

    public static implicit operator Keyword(string fullName) => Intern(fullName);
}
