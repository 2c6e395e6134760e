namespace Datsync.Core;

/// <summary>What one transaction changes in a client's scoped replica: the datoms to deliver at its t (schema datoms
/// first, then retractions, then assertions; each at t) and the scope after it.</summary>
internal sealed record ScopeDelta(IReadOnlyList<Datom> Datoms, ScopeState Next, bool Reevaluated)
{
    /// <summary>True when nothing of the transaction reaches the client (its delta at t is empty).</summary>
    public bool IsEmpty => Datoms.Count == 0;

    /// <summary>
    /// The delta of the transaction that made <paramref name="dbAfter"/> with <paramref name="txData"/>, for a client
    /// whose scope before it is <paramref name="before"/>: the transaction's own visible datoms; for entities that
    /// became visible, their visible datoms and the references from visible entities into them; for entities that
    /// stopped being visible, the retraction of what was visible of them and of the references into them. The visible
    /// set is evaluated again only when the transaction touches its topics.
    /// </summary>
    /// <remarks>
    /// A datom that is not in the transaction is in both values, so its visibility changes only when its entity, its
    /// reference's value entity or its attribute changes standing; those are the candidates examined, read from the
    /// indexes of <paramref name="dbAfter"/> (the value before is never needed: what it held beyond the value after is
    /// the transaction's retractions). <paramref name="before"/> need not be of t - 1: a scope that no transaction
    /// since concerned is still right.
    /// </remarks>
    public static ScopeDelta Of(ScopeState before, Db dbAfter, IReadOnlyList<Datom> txData)
    {
        var t = dbAfter.BasisT;
        var (evaluation, changed, evaluated) = before.Query.Next(before.Evaluation, dbAfter, txData);
        var v0 = before.Entities;
        var v1 = changed ? ScopeState.EntitiesOf(evaluation) : v0;
        var schemaTx = txData.Any(d => SchemaRules.IsSchemaAttr(d.A));
        var a0 = before.Attributes;
        var a1 = schemaTx ? before.Policy.AllowedAttributes(dbAfter.Schema, before.Identity) : a0;
        var next = before with { T = t, Entities = v1, Attributes = a1, Evaluation = evaluation };

        // idents before the transaction: the value after's, undone by its :db/ident datoms
        var identTx = new Dictionary<long, bool>(); // entity -> had an ident before
        foreach (var d in txData)
            if (d.A == BuiltIns.IdentId)
                identTx[d.E] = identTx.GetValueOrDefault(d.E) || !d.Added;
        bool IsIdent1(long e) => dbAfter.Ident(e) is not null;
        bool IsIdent0(long e) => identTx.TryGetValue(e, out var had) ? had : IsIdent1(e);

        var candidates = new Dictionary<Datom, (bool InBefore, bool InAfter)>(FactComparer.Instance);
        foreach (var d in txData) candidates[d] = (!d.Added, d.Added);
        void FromAfter(IEnumerable<Datom> datoms)
        {
            foreach (var d in datoms) candidates.TryAdd(d, (true, true));
        }

        var moved = new HashSet<long>(identTx.Keys);
        if (!ReferenceEquals(v0, v1))
        {
            foreach (var e in v0) if (!v1.Contains(e)) moved.Add(e);
            foreach (var e in v1) if (!v0.Contains(e)) moved.Add(e);
        }
        foreach (var e in moved)
        {
            if (v0.Contains(e) != v1.Contains(e)) FromAfter(dbAfter.Datoms(IndexType.Eavt, e));
            var target0 = v0.Contains(e) || IsIdent0(e);
            var target1 = v1.Contains(e) || IsIdent1(e);
            if (target0 != target1) FromAfter(dbAfter.Datoms(IndexType.Vaet, e));
        }
        if (!ReferenceEquals(a0, a1))
        {
            foreach (var a in a0.Where(a => !a1.Contains(a)).Concat(a1.Where(a => !a0.Contains(a))))
                FromAfter(dbAfter.AttributeDatoms(a).Where(d => v0.Contains(d.E) || v1.Contains(d.E)));
        }

        var schema = new List<Datom>();
        var retracted = new List<Datom>();
        var asserted = new List<Datom>();
        foreach (var (d, (inBefore, inAfter)) in candidates)
        {
            var vis0 = inBefore && ScopeView.Sees(d, v0, a0, dbAfter.Schema, IsIdent0);
            var vis1 = inAfter && ScopeView.Sees(d, v1, a1, dbAfter.Schema, IsIdent1);
            if (vis0 == vis1) continue;
            var at = d.WithAdded(vis1, t);
            (SchemaRules.IsSchemaAttr(d.A) ? schema : vis1 ? asserted : retracted).Add(at);
        }
        schema.AddRange(retracted);
        schema.AddRange(asserted);
        return new ScopeDelta(schema, next, evaluated);
    }

    /// <summary>
    /// The difference between two filtered values of one client (its scope under an old and a new policy or identity):
    /// the retractions of what only <paramref name="filteredBefore"/> holds, then the assertions of what only
    /// <paramref name="filteredAfter"/> holds, at <paramref name="filteredAfter"/>'s t.
    /// </summary>
    public static IReadOnlyList<Datom> Between(Db filteredBefore, Db filteredAfter)
    {
        var t = filteredAfter.BasisT;
        var after = new HashSet<Datom>(filteredAfter.Datoms(IndexType.Eavt), FactComparer.Instance);
        var retracted = new List<Datom>();
        foreach (var d in filteredBefore.Datoms(IndexType.Eavt))
            if (!after.Remove(d)) retracted.Add(d.WithAdded(false, t));
        var asserted = after.Select(d => d.WithAdded(true, t)).OrderBy(d => d, Comparer<Datom>.Create(EavtOrder.Compare));
        // schema datoms first, as in every delta
        return retracted.Concat(asserted).OrderBy(d => SchemaRules.IsSchemaAttr(d.A) ? 0 : 1).ToList();
    }

    /// <summary>Datoms as facts: entity, attribute, value.</summary>
    internal sealed class FactComparer : IEqualityComparer<Datom>
    {
        public static readonly FactComparer Instance = new();
        public bool Equals(Datom? x, Datom? y) => x is not null && y is not null && x.SameFact(y);
        public int GetHashCode(Datom d) => HashCode.Combine(d.E, d.A, Encoded.ValueHash(d.N, d.O));
    }
}
