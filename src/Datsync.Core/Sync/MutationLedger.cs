using System.Collections.Immutable;

namespace Datsync.Core;

/// <summary>
/// A mutation request id, <c>"{key}#{n}"</c>: the key of the sender's outbox (the client id, a slash and a random store
/// key, e.g. <c>alice/3f9c2a7e</c>; never a <c>#</c>) and the mutation's number in it (1, 2, 3, …: only growing, no gaps
/// in what the sender sends).
/// </summary>
/// <param name="Key">The outbox's key: non-empty, at most <see cref="MaxKeyLength"/> characters, no <c>#</c>.</param>
/// <param name="N">The mutation's number: 1 to 999 999 999 999 999 999.</param>
internal readonly record struct MutationId(string Key, long N)
{
    /// <summary>The longest key a mutation id may have.</summary>
    public const int MaxKeyLength = 512;

    /// <summary>The most digits a mutation number may have (18: any such number fits a long).</summary>
    public const int MaxDigits = 18;

    /// <summary>The mutation id a request id is, or null when it is not one: strictly a non-empty key of at most
    /// <see cref="MaxKeyLength"/> characters without <c>#</c>, then <c>#</c>, then 1 to <see cref="MaxDigits"/> ASCII
    /// digits without a leading zero. Anything else (no <c>#</c>, two of them, <c>#0</c>, <c>#007</c>, <c>#-1</c>,
    /// <c>#+1</c>, a 19-digit number, spaces…) is an ordinary request id.</summary>
    public static MutationId? Parse(string? requestId)
    {
        if (requestId is null) return null;
        var hash = requestId.IndexOf('#');
        if (hash <= 0 || hash > MaxKeyLength) return null;
        var digits = requestId.Length - hash - 1;
        if (digits is < 1 or > MaxDigits || requestId[hash + 1] == '0') return null;
        long n = 0;
        for (var i = hash + 1; i < requestId.Length; i++)
        {
            var c = requestId[i];
            if (c is < '0' or > '9') return null;
            n = n * 10 + (c - '0');
        }
        return new MutationId(requestId[..hash], n);
    }

    /// <summary>The request id: <c>"{key}#{n}"</c>.</summary>
    public override string ToString() => $"{Key}#{N}";
}

/// <summary>What the ledger knows of one key: its highest mutation handled, and the t of its latest commit.</summary>
/// <param name="Last">The highest mutation number of the key that was handled (committed, or rejected for good).</param>
/// <param name="T">The t of the key's latest committed mutation (0 when none of its mutations committed); the t of an
/// older mutation is not kept.</param>
/// <param name="LastRejected">Mutation <paramref name="Last"/> was rejected, not committed (then <paramref name="T"/> is
/// the t of an earlier one).</param>
internal readonly record struct MutationEntry(long Last, long T, bool LastRejected = false);

/// <summary>What to do with a mutation (<see cref="MutationLedger.Decide(MutationId)"/>).</summary>
internal abstract record MutationDecision
{
    private MutationDecision() { }

    /// <summary>Run it: it is the key's next mutation (or the first one seen of the key, whatever its number).</summary>
    public sealed record Commit : MutationDecision
    {
        public static readonly Commit Instance = new();
    }

    /// <summary>Handled already (its number is at most the key's last): not to be run again. <paramref name="T"/> is the
    /// t of the key's latest commit, which is this mutation's own t only when <paramref name="Last"/> is its number (the
    /// t of an older one is not kept); 0 when none of the key's mutations committed.</summary>
    /// <param name="T">The t of the key's latest commit, or 0.</param>
    /// <param name="Last">The key's last mutation handled.</param>
    /// <param name="LastRejected">The key's last mutation was rejected.</param>
    public sealed record Duplicate(long T, long Last, bool LastRejected) : MutationDecision;

    /// <summary>Too early: mutation <paramref name="Expected"/> of the key (and those after it, up to this one) has not
    /// been handled yet.</summary>
    public sealed record Early(long Expected) : MutationDecision;
}

/// <summary>
/// The master's record of the mutations it handled: per key (<see cref="MutationId.Key"/>) the highest mutation number
/// committed or rejected for good and the t of the key's latest commit. A key's mutations are run once each and in
/// order: the next one (<c>last + 1</c>) is run, one at most <c>last</c> is a duplicate, one beyond <c>last + 1</c> is
/// early. A key never seen starts at whatever number it first sends (a replica whose store was purged keeps counting
/// under a new key, and an outbox may have handed its first numbers to a master it no longer uses). So a sender must
/// send a key's first mutation alone, and the others once it is answered: a later one arriving first would be taken as
/// the key's start, and the first one, arriving after it, as a duplicate never run. After that, any loss, repetition or
/// reordering of the sends (the sender sending again whatever was not answered) runs each mutation once, in order.
/// Immutable and pure: every change returns the next ledger. It keeps one entry per key ever seen (never pruned).
/// </summary>
internal sealed class MutationLedger
{
    private readonly ImmutableDictionary<string, MutationEntry> _entries;

    private MutationLedger(ImmutableDictionary<string, MutationEntry> entries) => _entries = entries;

    /// <summary>The ledger of a master that handled no mutation.</summary>
    public static readonly MutationLedger Empty = new(ImmutableDictionary<string, MutationEntry>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>A ledger holding these entries (as a snapshot keeps them); a key given twice keeps its later entry.</summary>
    public static MutationLedger From(IEnumerable<KeyValuePair<string, MutationEntry>> entries)
    {
        var b = Empty._entries.ToBuilder();
        foreach (var (key, entry) in entries)
            if (!string.IsNullOrEmpty(key) && entry.Last > 0) b[key] = entry;
        return new MutationLedger(b.ToImmutable());
    }

    /// <summary>How many keys the ledger holds.</summary>
    public int Count => _entries.Count;

    /// <summary>Every key and its entry, in ordinal key order (stable for snapshots).</summary>
    public IEnumerable<KeyValuePair<string, MutationEntry>> Entries => _entries.OrderBy(e => e.Key, StringComparer.Ordinal);

    /// <summary>The entry of a key, or null when it has none.</summary>
    public MutationEntry? EntryOf(string key) => _entries.TryGetValue(key, out var e) ? e : null;

    /// <summary>What to do with a request: null when its id is not a mutation id (<see cref="MutationId.Parse"/>).</summary>
    public MutationDecision? Decide(string requestId) => MutationId.Parse(requestId) is { } id ? Decide(id) : null;

    /// <summary>What to do with a mutation: <see cref="MutationDecision.Commit"/>, <see cref="MutationDecision.Duplicate"/>
    /// or <see cref="MutationDecision.Early"/>.</summary>
    public MutationDecision Decide(MutationId id)
    {
        if (!_entries.TryGetValue(id.Key, out var e)) return MutationDecision.Commit.Instance;
        if (id.N <= e.Last) return new MutationDecision.Duplicate(e.T, e.Last, e.LastRejected);
        return id.N == e.Last + 1 ? MutationDecision.Commit.Instance : new MutationDecision.Early(e.Last + 1);
    }

    /// <summary>The ledger after the request committed as <paramref name="t"/>; itself when the request id is not a
    /// mutation id or the mutation is not beyond the key's last (replayed twice, say).</summary>
    public MutationLedger Committed(string requestId, long t) => Handled(requestId, t, rejected: false);

    /// <summary>The ledger after the request was rejected for good (an invalid or forbidden transaction): the mutation
    /// counts as handled, so that the next one may follow; the key's t stays that of its latest commit.</summary>
    public MutationLedger Rejected(string requestId) => Handled(requestId, 0, rejected: true);

    private MutationLedger Handled(string requestId, long t, bool rejected)
    {
        if (MutationId.Parse(requestId) is not { } id) return this;
        var had = _entries.TryGetValue(id.Key, out var e);
        if (had && id.N <= e.Last) return this;
        var next = rejected ? new MutationEntry(id.N, had ? e.T : 0, true) : new MutationEntry(id.N, t);
        return new MutationLedger(_entries.SetItem(id.Key, next));
    }
}
