using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>
/// The stream of one session's scoped client (a scoped server): its bootstrap is the master's value filtered to the
/// scope, and then the deltas the scope hub made for it (<see cref="ScopeHubActor"/>) — only the visible datoms, with
/// the datoms that moved in or out, never the master's value — each after the one before it, skipping the transactions
/// that do not concern the client, and empty deltas that move its t on to where the stream is complete. The deltas sent
/// are kept for a replica's range requests. Not thread-safe: the session's state.
/// </summary>
internal sealed class SessionScope(ScopesInForce scopes, string clientId)
{
    /// <summary>Scoped deltas kept for a replica's range requests (the journal's cannot be filtered).</summary>
    public const int Kept = 1024;

    private readonly LinkedList<TxDelta> _sent = new();

    /// <summary>Grows with every bootstrap; what the hub sends for an older one is dropped.</summary>
    public long Generation { get; private set; }

    /// <summary>The t of the last delta of the stream (the bootstrap's basis at first); null before a bootstrap starts.</summary>
    public long? LastT { get; private set; }

    /// <summary>Who the client is under the scopes in force now (its roles as they are).</summary>
    public ClientIdentity Identity => scopes.Current.IdentityOf(clientId);

    /// <summary>The bootstrap of the client on <paramref name="db"/>: the filtered value's image and the scope it was
    /// filtered to. Pure; runs off the session's thread.</summary>
    public static (BootstrapImage Image, ScopeState State) ImageOf(ServerScopes scopes, ClientIdentity identity, Db db, int chunkSize)
    {
        var view = ScopeView.Of(scopes.Policy, identity, db);
        return (BootstrapImage.Of(view.Filter(), chunkSize), view.State);
    }

    /// <summary><see cref="ImageOf(ServerScopes, ClientIdentity, Db, int)"/> under the scopes in force now.</summary>
    public (BootstrapImage Image, ScopeState State) ImageOf(Db db, int chunkSize)
    {
        var now = scopes.Current;
        return ImageOf(now, now.IdentityOf(clientId), db, chunkSize);
    }

    /// <summary>A bootstrap is under way: the stream before it ends, and the hub's deltas for it are dropped.</summary>
    public long Reset()
    {
        LastT = null;
        _sent.Clear();
        return ++Generation;
    }

    /// <summary>The stream starts from <paramref name="state"/> (a bootstrap at its t is being sent).</summary>
    public void Start(ScopeState state)
    {
        LastT = state.T;
        _sent.Clear();
    }

    /// <summary>
    /// The replica's deltas of the hub's <paramref name="s"/>: each delta of this stream, with its request id and
    /// tempids only when <paramref name="ours"/> says the request was this client's (another client's stay its own),
    /// then an empty delta up to the t the stream is complete through. Null when the deltas do not continue the stream
    /// (the session must bootstrap its replica again).
    /// </summary>
    public List<TxDelta>? Take(ScopedDeltas s, Func<string, bool> ours)
    {
        var list = new List<TxDelta>(s.Deltas.Count + 1);
        if (s.Generation != Generation || LastT is not { } last) return list; // for an older bootstrap
        foreach (var d in s.Deltas)
        {
            if (d.Prev != last) return null;
            var mine = d.RequestId is { } id && ours(id);
            var delta = mine || d.RequestId is null && d.Tempids is null ? d : d with { RequestId = null, Tempids = null };
            Keep(delta);
            list.Add(delta);
            last = d.T;
        }
        if (s.ThroughT > last)
        {
            var on = new TxDelta(s.ThroughT, DateTime.MinValue, []) { After = last };
            Keep(on);
            list.Add(on);
            last = s.ThroughT;
        }
        LastT = last;
        return list;
    }

    private void Keep(TxDelta d)
    {
        _sent.AddLast(d);
        if (_sent.Count > Kept) _sent.RemoveFirst();
    }

    /// <summary>The deltas of the stream from <paramref name="fromT"/> through the first at or after
    /// <paramref name="toT"/> (the stream may skip <paramref name="toT"/>), when the kept ones cover that range — the
    /// first of them follows a t before <paramref name="fromT"/> — else null. Empty when the stream has nothing after
    /// <paramref name="fromT"/> yet.</summary>
    public List<TxDelta>? Range(long fromT, long toT)
    {
        if (LastT is not { } last || fromT > last) return [];
        var list = new List<TxDelta>();
        foreach (var d in _sent)
        {
            if (d.T < fromT) continue;
            if (list.Count == 0 && d.Prev >= fromT) return null; // what came before it is no longer kept
            list.Add(d);
            if (d.T >= toT) break;
        }
        return list.Count == 0 ? null : list;
    }
}
