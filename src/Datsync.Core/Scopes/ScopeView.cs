namespace Datsync.Core;

/// <summary>
/// A client's scope as of one t, without the value itself: the visible entities, the allowed attributes, and the live
/// evaluation whose topics say which transactions may change the visible set. Immutable; <see cref="ScopeDelta.Of"/>
/// gives the next one. A failed evaluation (a rule that errs on this value) sees no entity: scopes fail closed.
/// </summary>
internal sealed record ScopeState(ScopePolicy Policy, ClientIdentity Identity, long T, IReadOnlySet<long> Entities,
    IReadOnlySet<int> Attributes, LiveResult Evaluation, LiveQuery Query)
{
    /// <summary>The scope of <paramref name="identity"/> on <paramref name="db"/>.</summary>
    public static ScopeState Of(ScopePolicy policy, ClientIdentity identity, Db db)
    {
        var query = policy.VisibleLive(identity);
        var evaluation = query.Run(db);
        return new ScopeState(policy, identity, db.BasisT, EntitiesOf(evaluation), policy.AllowedAttributes(db.Schema, identity), evaluation, query);
    }

    /// <summary>The topics of the visible set's evaluation.</summary>
    public TopicSet Topics => Evaluation.Topics;

    internal static IReadOnlySet<long> EntitiesOf(LiveResult evaluation)
    {
        var set = new HashSet<long>();
        if (evaluation is { Error: null, Result: IEnumerable<object?> tuples })
            foreach (var t in tuples)
                if (t is IReadOnlyList<object?> { Count: > 0 } row && row[0] is long e) set.Add(e);
        return set;
    }
}

/// <summary>
/// A client's scope on one value: Datomic's <c>filter</c> of the master's value to what the client may read. Pure.
/// The visibility of a datom is decided here only (<see cref="IsVisible(Datom)"/>); see <see cref="ScopePolicy"/> for the rule.
/// </summary>
internal sealed class ScopeView
{
    public ScopeState State { get; }
    public Db Db { get; }

    /// <summary>A scope on the value it was evaluated on (same t).</summary>
    public ScopeView(ScopeState state, Db db)
    {
        if (state.T != db.BasisT) throw new ArgumentException($"the scope is of t={state.T}, the value of t={db.BasisT}", nameof(db));
        State = state;
        Db = db;
    }

    /// <summary>The scope of <paramref name="identity"/> on <paramref name="db"/>.</summary>
    public static ScopeView Of(ScopePolicy policy, ClientIdentity identity, Db db) => new(ScopeState.Of(policy, identity, db), db);

    /// <summary>The entities <paramref name="identity"/> sees on <paramref name="db"/>, and the evaluation (with its topics)
    /// that found them.</summary>
    public static (IReadOnlySet<long> Entities, LiveResult Evaluation) Visible(ScopePolicy policy, Db db, ClientIdentity identity)
    {
        var s = ScopeState.Of(policy, identity, db);
        return (s.Entities, s.Evaluation);
    }

    /// <summary>The visible entities.</summary>
    public IReadOnlySet<long> Entities => State.Entities;

    /// <summary>True when the client sees <paramref name="d"/> (a datom of <see cref="Db"/>, or one it could hold).</summary>
    public bool IsVisible(Datom d) => Sees(d, State.Entities, State.Attributes, Db.Schema, e => Db.Ident(e) is not null);

    /// <summary>The one visibility rule: schema datoms always; others when the entity is visible and the attribute
    /// allowed, and a reference's value entity visible or an ident.</summary>
    internal static bool Sees(Datom d, IReadOnlySet<long> entities, IReadOnlySet<int> attributes, Schema schema, Func<long, bool> isIdent)
    {
        if (SchemaRules.IsSchemaAttr(d.A)) return true;
        if (!entities.Contains(d.E) || !attributes.Contains(d.A)) return false;
        if (schema[d.A] is not { IsRef: true }) return true;
        var v = (long)d.V;
        return entities.Contains(v) || isIdent(v);
    }

    /// <summary>The schema datoms (every attribute and ident) beyond the built-in ones, in AEVT order.</summary>
    internal static IEnumerable<Datom> SchemaDatoms(Db db)
    {
        for (var a = BuiltIns.IdentId; a <= BuiltIns.LastSchemaAttrId; a++)
            foreach (var d in db.AttributeDatoms(a))
                if (d.E >= EntityIds.FirstUser) yield return d;
    }

    /// <summary>The visible datoms of one entity, from EAVT.</summary>
    internal IEnumerable<Datom> EntityDatoms(long e)
    {
        foreach (var d in Db.Datoms(IndexType.Eavt, e))
            if (!SchemaRules.IsSchemaAttr(d.A) && IsVisible(d)) yield return d;
    }

    /// <summary>
    /// What a replica of this scope is bootstrapped from: the schema datoms first, then the visible datoms of each
    /// visible entity (by id), read from EAVT entity by entity rather than by scanning the value. Built-in datoms,
    /// which every value holds, are left out.
    /// </summary>
    public IEnumerable<Datom> BootstrapDatoms()
    {
        foreach (var d in SchemaDatoms(Db)) yield return d;
        foreach (var e in State.Entities.Order())
            foreach (var d in EntityDatoms(e))
                yield return d;
    }

    /// <summary>The filtered value: the visible datoms as a database of the same basis t (its schema read from the
    /// schema datoms, which are all visible). Its <see cref="Db.MaxEntityId"/> is the highest visible id, not the
    /// master's, so it tells nothing of entities the client does not see.</summary>
    public Db Filter() => Db.FromDatoms(BootstrapDatoms().ToList(), Db.BasisT);
}
