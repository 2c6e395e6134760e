namespace Datsync.Core;

/// <summary>One evaluation of a live query: its result at <see cref="T"/> and what it read to get it, or the
/// <see cref="Error"/> it failed with there (a query can fail on some values, e.g. a lookup ref that finds nothing;
/// then any transaction may mend it).</summary>
internal sealed record LiveResult(long T, object? Result, TopicSet Topics, QueryException? Error = null)
{
    public bool SameAs(LiveResult other) =>
        EdnEquality.Instance.Equals(Result, other.Result) && Error?.Message == other.Error?.Message;
}

/// <summary>
/// A query or a pull kept up to date: <see cref="Run"/> evaluates it and records its topics; <see cref="Next"/>, given
/// its last evaluation and a transaction, decides whether the result may have changed and if so gives the new one
/// (maintained from the datoms when the query is one pattern, re-run otherwise). Pure: no state between calls.
/// </summary>
internal abstract class LiveQuery
{
    /// <summary>The shape of results, for their differences.</summary>
    public abstract FindShape Shape { get; }

    /// <summary>Evaluates on <paramref name="db"/> and records its topics; a failure is kept as the result's error.</summary>
    public LiveResult Run(Db db)
    {
        try { return Evaluate(db); }
        catch (QueryException e) { return new LiveResult(db.BasisT, null, TopicSet.All(), e); }
    }

    protected abstract LiveResult Evaluate(Db db);

    /// <summary>The evaluation after the transaction that made <paramref name="after"/> from <paramref name="last"/>'s
    /// value with <paramref name="txData"/>; <c>Changed</c> false when its result stays what it was.</summary>
    public (LiveResult Result, bool Changed, bool Evaluated) Next(LiveResult last, Db after, IReadOnlyList<Datom> txData)
    {
        if (!last.Topics.MayBeChangedBy(txData)) return (last with { T = after.BasisT }, false, false);
        var next = Reevaluate(last, after, txData);
        return (next, !next.SameAs(last), true);
    }

    /// <summary>The evaluation on <paramref name="after"/>, for a transaction its topics say may change it: kept from
    /// the datoms where the query allows, run again otherwise.</summary>
    public LiveResult Reevaluate(LiveResult last, Db after, IReadOnlyList<Datom> txData) => Maintain(last, after, txData) ?? Run(after);

    /// <summary>The new evaluation made from the datoms alone, or null to re-run.</summary>
    protected virtual LiveResult? Maintain(LiveResult last, Db after, IReadOnlyList<Datom> txData) => null;

    /// <summary>A query of <see cref="Db.Q(object, object?[])"/> with its inputs (after <c>$</c>).</summary>
    /// <exception cref="QueryException">The query is malformed.</exception>
    public static LiveQuery Of(object query, object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(query);
        // read and parsed as Db.Q reads them (each run then finds this parse in the cache)
        return new DatalogLive(query, query is string text ? QueryCache.Parse(text) : QueryCache.Parse(query), inputs);
    }

    /// <summary>A pull of one entity.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public static LiveQuery OfPull(object pattern, object entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (pattern is string text)
        {
            try { pattern = EdnReader.Read(text) ?? throw new ArgumentException("A pull pattern cannot be nil", nameof(pattern)); }
            catch (EdnReadException e) { throw new ArgumentException($"Cannot read pull pattern: {e.Message}", nameof(pattern), e); }
        }
        return new PullLive(PullPattern.Parse(pattern), entity);
    }

    private sealed class DatalogLive(object query, ParsedQuery parsed, object?[] inputs) : LiveQuery
    {
        private readonly OnePattern? _one = OnePattern.Of(parsed, inputs);

        public override FindShape Shape => parsed.Shape;

        protected override LiveResult Evaluate(Db db)
        {
            var collector = new TopicCollector(db);
            var all = new object?[inputs.Length + 1];
            all[0] = db;
            inputs.CopyTo(all, 1);
            var result = ResultValues.Canonical(QueryEngine.Run(query, all, observer: collector));
            foreach (var p in parsed.Find.OfType<FindPull>())
            {
                if (p.Source.Name != "$") continue; // another source is an input: it does not change
                if (p.Pattern is Symbol) collector.Topics.SetEverything(); // a pattern given as input
                else collector.Pull(PullPattern.Parse(p.Pattern!), null);
            }
            return new LiveResult(db.BasisT, result, collector.Topics);
        }

        protected override LiveResult? Maintain(LiveResult last, Db after, IReadOnlyList<Datom> txData) =>
            _one is not null && last is { Error: null, Result: EdnSet set } && !txData.Any(d => SchemaRules.IsSchemaAttr(d.A))
                ? last with { T = after.BasisT, Result = _one.Apply(set, after, txData) }
                : null;
    }

    private sealed class PullLive(PullPattern pattern, object entity) : LiveQuery
    {
        public override FindShape Shape => FindShape.Scalar;

        protected override LiveResult Evaluate(Db db)
        {
            var collector = new TopicCollector(db);
            var e = db.EntId(entity);
            // an id reads its datoms even before it has any; a lookup ref also reads its resolution (an ident's is the
            // schema's, and a schema change re-runs everything)
            if ((entity as long? ?? e) is { } id) collector.Pull(pattern, [id]);
            collector.LookupRef(entity);
            var result = e is { } found ? ResultValues.Canonical(db.Pull(pattern, found)) : null;
            return new LiveResult(db.BasisT, result, collector.Topics);
        }
    }

    /// <summary>
    /// A query of one data pattern on <c>$</c> that finds every variable of it: each datom of a transaction adds or
    /// removes exactly one tuple, so the result is kept from the datoms.
    /// </summary>
    private sealed class OnePattern
    {
        private readonly object?[] _terms;
        private readonly int[] _positions; // for each find element, the pattern position (0 e, 2 v) it reads

        private OnePattern(object?[] terms, int[] positions)
        {
            _terms = terms;
            _positions = positions;
        }

        public static OnePattern? Of(ParsedQuery q, object?[] inputs)
        {
            if (q.Shape != FindShape.Relation || q.With.Length > 0 || q.ReturnKeys is not null || inputs.Length > 0) return null;
            if (q.In.Length > 1 || q.In.Length == 1 && q.In[0] is not BindSource { Name.Name: "$" }) return null;
            if (q.Where is not [PatternClause { Source.Name: "$" } p]) return null;
            var t = p.Terms;
            if (!Terms.IsBlank(t[3]) || t[1] is not Keyword) return null;
            if (!(t[0] is long || Terms.IsVar(t[0]))) return null;
            if (!(Terms.IsVar(t[2]) || Terms.IsBlank(t[2]) || t[2] is string or bool or double or long)) return null;
            if (t[0] is Symbol se && t[2] is Symbol sv && se.Equals(sv)) return null;
            var vars = p.Vars.ToList();
            if (q.Find.Length != vars.Count || q.Find.Any(f => f is not FindVar)) return null;
            var positions = new int[q.Find.Length];
            for (var i = 0; i < positions.Length; i++)
            {
                var v = ((FindVar)q.Find[i]).Var;
                positions[i] = v.Equals(t[0]) ? 0 : v.Equals(t[2]) ? 2 : -1;
                if (positions[i] < 0) return null;
            }
            return new OnePattern(t, positions);
        }

        public EdnSet Apply(EdnSet before, Db after, IReadOnlyList<Datom> txData)
        {
            var a = after.AttributeOf(_terms[1]);
            if (a is null) return before;
            var added = new List<object?>();
            var removed = new HashSet<object?>(EdnEquality.Instance);
            foreach (var d in txData)
            {
                if (d.A != a.Id) continue;
                if (_terms[0] is long e && d.E != e) continue;
                var v = d.V;
                if (Terms.IsConst(_terms[2]) && !QueryBuiltIns.ValueEquals(_terms[2], v)) continue;
                var tuple = new object?[_positions.Length];
                for (var i = 0; i < tuple.Length; i++) tuple[i] = _positions[i] == 0 ? d.E : v;
                var vector = new EdnVector(tuple);
                if (d.Added) added.Add(vector);
                else removed.Add(vector);
            }
            if (added.Count == 0 && removed.Count == 0) return before;
            var items = new List<object?>(before.Count + added.Count);
            foreach (var x in before) if (!removed.Contains(x)) items.Add(x);
            items.AddRange(added);
            return new EdnSet(items);
        }
    }
}

/// <summary>What changed between two results of a live query: tuples (or values) added and removed.</summary>
internal static class ResultDiff
{
    public static (IReadOnlyList<object?> Added, IReadOnlyList<object?> Removed) Of(FindShape shape, object? before, object? after)
    {
        if (EdnEquality.Instance.Equals(before, after)) return ([], []);
        if (shape is FindShape.Relation or FindShape.Collection
            && (before is null or IReadOnlyCollection<object?>) && (after is null or IReadOnlyCollection<object?>))
        {
            // as multisets: a relation with :with repeats tuples
            var counts = new Dictionary<object, int>(EdnEquality.Instance);
            var nil = 0;
            foreach (var x in (IEnumerable<object?>?)before ?? [])
                if (x is null) nil++;
                else counts[x] = counts.GetValueOrDefault(x) + 1;
            var added = new List<object?>();
            foreach (var x in (IEnumerable<object?>?)after ?? [])
            {
                if (x is null) { if (nil > 0) nil--; else added.Add(null); continue; }
                if (counts.TryGetValue(x, out var n) && n > 0) counts[x] = n - 1;
                else added.Add(x);
            }
            var removed = new List<object?>();
            foreach (var (x, n) in counts) for (var i = 0; i < n; i++) removed.Add(x);
            for (var i = 0; i < nil; i++) removed.Add(null);
            return (added, removed);
        }
        return (after is null ? [] : [after], before is null ? [] : [before]);
    }
}

/// <summary>Results as values that compare by content: pulled maps and lists become <see cref="EdnMap"/>s and
/// <see cref="EdnVector"/>s, so two evaluations that found the same thing are equal.</summary>
internal static class ResultValues
{
    public static object? Canonical(object? x)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (x)
        {
            case EdnSet set:
                return set.Any(NeedsCanonical) ? new EdnSet(set.Select(Canonical)) : set;
            case EdnVector v:
                return v.Any(NeedsCanonical) ? new EdnVector(v.Select(Canonical)) : v;
            case EdnMap m:
                return m.Any(kv => NeedsCanonical(kv.Value)) ? Map(m) : m;
            case IReadOnlyDictionary<object, object?> d:
                return Map(d);
            case string or byte[]:
                return x;
            case IReadOnlyList<object?> l:
                return new EdnVector(l.Select(Canonical));
            default:
                return x;
        }
    }

    private static EdnMap Map(IReadOnlyDictionary<object, object?> d) =>
        new(d.Select(kv => new KeyValuePair<object?, object?>(kv.Key, Canonical(kv.Value))));

    private static bool NeedsCanonical(object? x) => x switch
    {
        EdnSet s => s.Any(NeedsCanonical),
        EdnVector v => v.Any(NeedsCanonical),
        EdnMap m => m.Any(kv => NeedsCanonical(kv.Value)),
        IReadOnlyDictionary<object, object?> => true,
        string or byte[] => false,
        IReadOnlyList<object?> => true,
        _ => false,
    };
}
