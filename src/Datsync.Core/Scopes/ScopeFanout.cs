namespace Datsync.Core;

/// <summary>
/// The scopes of many clients and their deltas per transaction, made for the concerned clients only: a
/// <see cref="ScopeRouter{TClient}"/> over each client's <see cref="ScopeState"/>, which it keeps. What a per-master
/// owner of the scoped sessions runs for each transaction of the log, in t order. Every client it does not name has an
/// empty delta at that t, and its scope stays as it is (a scope that no transaction since concerned is still right:
/// <see cref="ScopeDelta.Of"/> takes it at any later t). Not thread-safe: one owner.
/// </summary>
internal sealed class ScopeFanout<TClient> where TClient : class
{
    private readonly ScopeRouter<TClient> _router = new();
    private readonly Dictionary<TClient, ScopeState> _states = new(ReferenceEqualityComparer.Instance);

    /// <summary>How many clients are held.</summary>
    public int Count => _states.Count;

    /// <summary>The index entries the router examined for the latest transaction (a stats hook for tests and benchmarks).</summary>
    public int LastExamined { get; private set; }

    /// <summary>Sets (or replaces) a client's scope, e.g. the one its bootstrap was filtered to.</summary>
    public void Set(TClient client, ScopeState scope)
    {
        _states[client] = scope;
        _router.Set(client, scope);
    }

    public void Remove(TClient client)
    {
        if (_states.Remove(client)) _router.Remove(client);
    }

    /// <summary>The client's scope as last made (its t is that of the latest transaction that concerned it).</summary>
    public ScopeState? StateOf(TClient client) => _states.GetValueOrDefault(client);

    /// <summary>
    /// The deltas of the transaction that made <paramref name="dbAfter"/> with <paramref name="txData"/> for the clients
    /// it concerns (an empty one when it concerns a client's scope without a datom it sees). A client whose scope is
    /// already at or past that t is left out. <paramref name="also"/> (e.g. the client whose request it was) gets its
    /// delta too, empty when nothing of the transaction reaches it.
    /// </summary>
    public List<(TClient Client, ScopeDelta Delta)> Route(Db dbAfter, IReadOnlyList<Datom> txData, TClient? also = null)
    {
        var routing = _router.Route(dbAfter, txData);
        LastExamined = routing.Examined;
        var deltas = new List<(TClient, ScopeDelta)>();
        var concerned = routing.Concerned;
        if (also is not null && !routing.Reevaluate.Contains(also) && !routing.Deliver.Contains(also)) concerned = concerned.Append(also);
        foreach (var c in concerned)
        {
            if (!_states.TryGetValue(c, out var state) || state.T >= dbAfter.BasisT) continue;
            var delta = ScopeDelta.Of(state, dbAfter, routing.TxDataFor(c, txData));
            Set(c, delta.Next);
            deltas.Add((c, delta));
        }
        return deltas;
    }
}
