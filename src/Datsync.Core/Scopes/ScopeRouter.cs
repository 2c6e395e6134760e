namespace Datsync.Core;

/// <summary>Which clients a transaction concerns: those whose visible set it may change (their topics match), and
/// those it delivers datoms to without changing their set (a datom names one of their visible entities, or is schema).
/// Every other client's delta at that t is empty and its scope stays as it is.</summary>
internal sealed record ScopeRouting<TClient>(IReadOnlySet<TClient> Reevaluate, IReadOnlySet<TClient> Deliver, int Examined)
    where TClient : class
{
    /// <summary>Every client concerned: run <see cref="ScopeDelta.Of"/> for these only.</summary>
    public IEnumerable<TClient> Concerned => Reevaluate.Concat(Deliver.Where(c => !Reevaluate.Contains(c)));

    /// <summary>For each client the transaction delivers to without re-evaluating its set (not a schema transaction):
    /// the transaction's datoms whose entity it sees, in the transaction's order.</summary>
    internal IReadOnlyDictionary<TClient, List<Datom>>? Own { get; init; }

    /// <summary>
    /// What to hand <see cref="ScopeDelta.Of"/> for <paramref name="client"/>: the whole transaction when the client's
    /// set may change (or the transaction is schema), else only its datoms whose entity the client sees. The delta is
    /// the same: with the set and the attributes unchanged, a datom of the transaction is visible only when its entity
    /// is, and the topics that did not match the whole transaction do not match a part of it. So the work per concerned
    /// client grows with the datoms that concern it, not with the size of the transaction.
    /// </summary>
    public IReadOnlyList<Datom> TxDataFor(TClient client, IReadOnlyList<Datom> txData) =>
        !Reevaluate.Contains(client) && Own is { } own ? own.TryGetValue(client, out var mine) ? mine : [] : txData;
}

/// <summary>
/// The scopes of many clients, indexed so that a transaction finds the clients it concerns without looking at the
/// others: each scope's topics in a <see cref="TopicIndex{TSub}"/>, and each visible entity to the clients that see it.
/// The work per transaction grows with its datoms and the clients they concern, not with the number of clients.
/// Not thread-safe: one owner.
/// </summary>
internal sealed class ScopeRouter<TClient> where TClient : class
{
    private readonly TopicIndex<TClient> _topics = new();
    private readonly Dictionary<long, HashSet<TClient>> _byEntity = new();
    private readonly Dictionary<TClient, IReadOnlySet<long>> _entities = new(ReferenceEqualityComparer.Instance);

    /// <summary>How many clients are routed.</summary>
    public int Count => _entities.Count;

    /// <summary>Sets (or replaces) a client's scope; call it with every scope <see cref="ScopeDelta.Of"/> returns.</summary>
    public void Set(TClient client, ScopeState scope)
    {
        _topics.Set(client, scope.Topics);
        var old = _entities.GetValueOrDefault(client);
        if (ReferenceEquals(old, scope.Entities)) return;
        if (old is not null)
            foreach (var e in old)
                if (!scope.Entities.Contains(e)) Drop(e, client);
        foreach (var e in scope.Entities)
            if (old is null || !old.Contains(e))
            {
                if (!_byEntity.TryGetValue(e, out var set)) _byEntity[e] = set = new HashSet<TClient>(ReferenceEqualityComparer.Instance);
                set.Add(client);
            }
        _entities[client] = scope.Entities;
    }

    public void Remove(TClient client)
    {
        _topics.Remove(client);
        if (!_entities.Remove(client, out var old)) return;
        foreach (var e in old) Drop(e, client);
    }

    /// <summary>The clients the transaction that made <paramref name="dbAfter"/> with <paramref name="txData"/> concerns.</summary>
    public ScopeRouting<TClient> Route(Db dbAfter, IReadOnlyList<Datom> txData)
    {
        var reevaluate = _topics.Affected(txData, out var examined);
        var deliver = new HashSet<TClient>(ReferenceEqualityComparer.Instance);
        if (txData.Any(d => SchemaRules.IsSchemaAttr(d.A)))
        {
            // schema is visible to every client
            foreach (var c in _entities.Keys) deliver.Add(c);
            return new ScopeRouting<TClient>(reevaluate, deliver, examined + _entities.Count);
        }
        var own = new Dictionary<TClient, List<Datom>>(ReferenceEqualityComparer.Instance);
        foreach (var d in txData)
        {
            if (_byEntity.TryGetValue(d.E, out var seers))
            {
                examined += seers.Count;
                foreach (var c in seers)
                {
                    deliver.Add(c);
                    if (!own.TryGetValue(c, out var list)) own[c] = list = [];
                    list.Add(d);
                }
            }
            if (dbAfter.Schema[d.A] is { IsRef: true }) examined += Collect((long)d.V, deliver);
        }
        return new ScopeRouting<TClient>(reevaluate, deliver, examined) { Own = own };
    }

    private int Collect(long e, HashSet<TClient> into)
    {
        if (!_byEntity.TryGetValue(e, out var clients)) return 0;
        into.UnionWith(clients);
        return clients.Count;
    }

    private void Drop(long e, TClient client)
    {
        if (!_byEntity.TryGetValue(e, out var set)) return;
        set.Remove(client);
        if (set.Count == 0) _byEntity.Remove(e);
    }
}
