using System.Collections.Concurrent;

namespace Datsync.Core;

/// <summary>An EDN keyword such as <c>:db/ident</c>. Interned: two equal keywords are the same object.</summary>
/// <remarks>
/// The intern table holds its keywords weakly, so a keyword read once from a client's text and then dropped does not
/// stay in memory for the life of the process. While anything references a keyword, every lookup of its name returns
/// that same object; once nothing does, the collector may take it, and the next lookup of the name makes a new one
/// (nobody can tell, since nobody holds the old one). Dead entries are swept out of the table after enough
/// insertions, on a thread-pool thread, so the table stays proportional to the live keywords.
/// </remarks>
public sealed class Keyword : IComparable<Keyword>, IComparable
{
    private static readonly ConcurrentDictionary<string, WeakReference<Keyword>> Table = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, WeakReference<Keyword>>.AlternateLookup<ReadOnlySpan<char>> SpanTable =
        Table.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The fewest insertions between two sweeps of dead entries.</summary>
    private const int MinSweepInterval = 4096;

    private static int _insertsSinceSweep;
    // a sweep is considered once this many insertions have happened since the last one: the live count the last sweep
    // left (at least MinSweepInterval), so sweeping costs O(1) per insertion and the table stays within about twice
    // the live keywords
    private static int _sweepAfter = MinSweepInterval;
    private static int _gen0AtLastSweep = -1;
    private static int _sweepQueued;

    /// <summary>Entries in the intern table, dead ones not yet swept included (a diagnostic for tests and benchmarks).</summary>
    internal static int InternedCount => Table.Count;

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
        return Table.TryGetValue(fullName, out var w) && w.TryGetTarget(out var k) ? k : InternSlow(fullName);
    }

    /// <summary>
    /// The keyword for a full name given as characters, without the leading colon. Looks the name up
    /// without allocating when the keyword already exists (used by the EDN reader).
    /// </summary>
    internal static Keyword InternChars(ReadOnlySpan<char> fullName) =>
        SpanTable.TryGetValue(fullName, out var w) && w.TryGetTarget(out var k) ? k : InternSlow(fullName.ToString());

    /// <summary>
    /// The name is missing from the table or its keyword has been collected. Whichever thread installs its new
    /// keyword first wins: the others see their TryAdd or TryUpdate fail, go round again and find the winner's keyword.
    /// A weak reference whose target is gone never comes back, so replacing or removing it cannot lose a live keyword.
    /// </summary>
    private static Keyword InternSlow(string fullName)
    {
        while (true)
        {
            if (Table.TryGetValue(fullName, out var old))
            {
                if (old.TryGetTarget(out var live)) return live;
                var k = new Keyword(fullName);
                if (Table.TryUpdate(fullName, new WeakReference<Keyword>(k), old))
                {
                    NoteInsert();
                    return k;
                }
            }
            else
            {
                var k = new Keyword(fullName);
                if (Table.TryAdd(fullName, new WeakReference<Keyword>(k)))
                {
                    NoteInsert();
                    return k;
                }
            }
        }
    }

    /// <summary>Counts an insertion; after enough of them, and a collection since the last sweep, queues a sweep.</summary>
    private static void NoteInsert()
    {
        if (Interlocked.Increment(ref _insertsSinceSweep) < Volatile.Read(ref _sweepAfter)) return;
        // no collection since the last sweep: no weak reference can have been cleared, so a sweep would find nothing
        if (GC.CollectionCount(0) == Volatile.Read(ref _gen0AtLastSweep)) return;
        if (Interlocked.CompareExchange(ref _sweepQueued, 1, 0) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            try { Sweep(); }
            finally { Volatile.Write(ref _sweepQueued, 0); }
        }, null);
    }

    /// <summary>
    /// Removes the entries whose keyword has been collected and returns how many it removed. Safe to run beside
    /// lookups and insertions: an entry is removed only while it still holds the dead reference the sweep saw, so an
    /// entry another thread has just revived with a new keyword stays.
    /// </summary>
    internal static int Sweep()
    {
        Volatile.Write(ref _gen0AtLastSweep, GC.CollectionCount(0));
        Interlocked.Exchange(ref _insertsSinceSweep, 0);
        var removed = 0;
        foreach (var entry in Table)
        {
            if (!entry.Value.TryGetTarget(out _) && Table.TryRemove(entry)) removed++;
        }
        Volatile.Write(ref _sweepAfter, Math.Max(MinSweepInterval, Table.Count));
        return removed;
    }

    /// <summary>True for the reverse-reference form <c>:ns/_name</c>.</summary>
    public bool IsReverse => Name.Length > 1 && Name[0] == '_';

    /// <summary><c>:ns/_name</c> for <c>:ns/name</c> and back.</summary>
    public Keyword Reversed => IsReverse ? Intern(Namespace, Name[1..]) : Intern(Namespace, "_" + Name);

    /// <summary>The keyword as EDN text, with its leading colon, e.g. <c>:db/ident</c>.</summary>
    public override string ToString() => ":" + FullName;
    /// <inheritdoc />
    public override int GetHashCode() => _hash;
    /// <summary>Reference equality: keywords are interned, so equal keywords are the same object.</summary>
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>Orders by namespace (none first), then by name, both ordinally.</summary>
    public int CompareTo(Keyword? other)
    {
        if (ReferenceEquals(this, other)) return 0;
        if (other is null) return 1;
        var c = string.CompareOrdinal(Namespace, other.Namespace);
        return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
    }

    /// <inheritdoc cref="CompareTo(Keyword?)" />
    public int CompareTo(object? obj) => CompareTo(obj as Keyword);

    /// <summary>The interned keyword for a full name such as <c>db/ident</c> (see <see cref="Intern(string)"/>).</summary>
    public static implicit operator Keyword(string fullName) => Intern(fullName);
}
