using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>
/// The scope of one session's client (a scoped server): its bootstrap is the master's value filtered to the scope, and
/// each delta of the log becomes the delta of the scoped replica at the same t — only the visible datoms, with the
/// datoms that moved in or out (<see cref="ScopeDelta.Of"/>), never the master's value. Per session: each session
/// evaluates its own scope for each transaction (the live evaluation's topics skip the re-evaluation of the visible set
/// for transactions that cannot change it). Not thread-safe: the session's state.
/// </summary>
internal sealed class SessionScope(ServerScopes scopes, ClientIdentity identity)
{
    /// <summary>Scoped deltas kept for a replica's range requests (the journal's cannot be filtered).</summary>
    public const int Kept = 1024;

    private readonly LinkedList<TxDelta> _sent = new();
    private ScopeState? _state;

    /// <summary>The t of the scope the deltas are filtered from; null before the first bootstrap.</summary>
    public long? T => _state?.T;

    /// <summary>The bootstrap of the client on <paramref name="db"/>: the filtered value's image and the scope it was
    /// filtered to. Pure; runs off the session's thread.</summary>
    public static (BootstrapImage Image, ScopeState State) ImageOf(ServerScopes scopes, ClientIdentity identity, Db db, int chunkSize)
    {
        var view = ScopeView.Of(scopes.Policy, identity, db);
        return (BootstrapImage.Of(view.Filter(), chunkSize), view.State);
    }

    public (BootstrapImage Image, ScopeState State) ImageOf(Db db, int chunkSize) => ImageOf(scopes, identity, db, chunkSize);

    /// <summary>Deltas are filtered from <paramref name="state"/> on (a bootstrap at its t was sent).</summary>
    public void Start(ScopeState state)
    {
        _state = state;
        _sent.Clear();
    }

    /// <summary>A bootstrap is under way: deltas are dropped until it starts (the new subscription sends them again).</summary>
    public void Reset()
    {
        _state = null;
        _sent.Clear();
    }

    /// <summary>
    /// The scoped deltas of <paramref name="deltas"/> (those already filtered left out), or <c>Lost</c> when the scope
    /// cannot follow: a delta after a gap, or one read back from the journal, which carries no master value at its t to
    /// filter against (the replica must be bootstrapped again). <paramref name="ours"/>: true for the request ids of
    /// this client, whose deltas keep their request id and tempids (another client's stay its own).
    /// </summary>
    public (List<TxDelta> Deltas, bool Lost) Filter(IReadOnlyList<TxDelta> deltas, Func<string, bool> ours)
    {
        var list = new List<TxDelta>(deltas.Count);
        if (_state is null) return (list, false);
        foreach (var d in deltas)
        {
            if (d.T <= _state.T) continue; // sent already
            if (d.T != _state.T + 1 || d.MasterValue is not { } after || after.BasisT != d.T) return (list, true);
            var delta = ScopeDelta.Of(_state, after, d.TxData);
            _state = delta.Next;
            var mine = d.RequestId is { } id && ours(id);
            var scoped = TxDelta.From(after, d.T, delta.Datoms, mine ? d.RequestId : null, mine ? d.Tempids : null) with
            {
                TxInstant = d.TxInstant,
                MasterValue = null, // a scoped replica applies its datoms; the master's value holds what it may not see
                TraceParent = d.TraceParent,
            };
            list.Add(scoped);
            _sent.AddLast(scoped);
            if (_sent.Count > Kept) _sent.RemoveFirst();
        }
        return (list, false);
    }

    /// <summary>The scoped deltas <paramref name="fromT"/>..<paramref name="toT"/> when all are kept, else null.</summary>
    public List<TxDelta>? Range(long fromT, long toT)
    {
        if (_sent.First is not { } first || first.Value.T > fromT || _state is null || toT > _state.T) return null;
        return _sent.Where(d => d.T >= fromT && d.T <= toT).ToList();
    }
}
