namespace Datsync.Core;

/// <summary>Sees each clause a query applies, with the relation it is applied to (see <see cref="Clauses.Run"/>).</summary>
internal interface IClauseObserver
{
    void Applying(Clause clause, Relation input, QueryContext ctx);
}

/// <summary>
/// Records, while a query runs on <see cref="Db"/>, what it reads of it: for each data pattern the attribute, and
/// the entity and value positions as the constants written there, the values their variables had when the pattern
/// ran, or any.
/// </summary>
/// <remarks>
/// Why this misses no change: run the new value with the old value's plan. Up to the first step whose output
/// differs, every step sees the same input; that step is a pattern (or a function reading the database) whose
/// input is the same, so the datoms it matched differ, at the positions its input bound: a changed datom then fits
/// its topic. Predicates and functions of values only give the same output for the same input.
/// </remarks>
internal sealed class TopicCollector(Db db) : IClauseObserver
{
    public TopicSet Topics { get; } = new();

    public void Applying(Clause clause, Relation input, QueryContext ctx)
    {
        if (Topics.Everything) return;
        switch (clause)
        {
            case PatternClause p when ReferenceEquals(ctx.Sources.GetValueOrDefault(p.Source), db):
                Pattern(p.Terms, input);
                break;
            case FusedScan fused:
                // the patterns of one scan: each read at what its input bound (a later one sees no more than that)
                foreach (var p in fused.Patterns)
                    if (ReferenceEquals(ctx.Sources.GetValueOrDefault(p.Source), db)) Pattern(p.Terms, input);
                break;
            case FunctionClause f:
                Function(f, input, ctx);
                break;
        }
    }

    private void Pattern(object?[] t, Relation input)
    {
        List<Attribute?> attrs;
        if (Terms.IsConst(t[1]))
        {
            // an attribute that does not exist matches nothing until a schema change, which re-runs every query
            if (db.AttributeOf(t[1]) is not { } a) return;
            attrs = [a];
        }
        else if (Bound(t[1], input) is { } named)
        {
            attrs = [];
            foreach (var v in named)
                if (db.AttributeOf(v) is { } a && !attrs.Contains(a)) attrs.Add(a);
        }
        else attrs = [null];

        var entities = EntitiesAt(t[0], input);
        foreach (var a in attrs)
            Topics.Add(new Topic(a?.Id ?? Topic.AnyAttribute, entities is null ? null : [.. entities], ValuesAt(t[2], a, input)));
    }

    /// <summary>The entity ids a position reads, or null for any.</summary>
    private HashSet<long>? EntitiesAt(object? term, Relation input)
    {
        if (Terms.IsConst(term))
        {
            if (term is long l) return [l];
            LookupRef(term);
            return null;
        }
        if (Bound(term, input) is not { } values) return null;
        var set = new HashSet<long>();
        foreach (var v in values)
        {
            if (v is long l) set.Add(l);
            else return null; // an ident or a lookup ref given as input: any
        }
        return set;
    }

    /// <summary>The value keys a position reads, or null for any.</summary>
    private HashSet<object>? ValuesAt(object? term, Attribute? a, Relation input)
    {
        IEnumerable<object?> values;
        if (Terms.IsConst(term)) values = [term];
        else if (Bound(term, input) is { } bound) values = bound;
        else return null;
        var set = new HashSet<object>(TopicKeys.Comparer);
        foreach (var v in values)
        {
            // a ref named by ident or lookup ref, or a value of an attribute not known here: any value
            if (v is Keyword or IReadOnlyList<object?> && (a is null || a.IsRef))
            {
                LookupRef(v);
                return null;
            }
            set.Add(TopicKeys.Of(v));
        }
        return set;
    }

    /// <summary>A lookup ref reads its unique attribute at its value (anything else: nothing).</summary>
    public void LookupRef(object? term)
    {
        if (term is IReadOnlyList<object?> { Count: 2 } lr && db.AttributeOf(lr[0]) is { } la)
            Topics.Add(new Topic(la.Id, null, new HashSet<object>(TopicKeys.Comparer) { TopicKeys.Of(lr[1]) }));
    }

    /// <summary>The distinct values a variable has in the input, or null when the term is not a bound variable.</summary>
    private static HashSet<object?>? Bound(object? term, Relation input)
    {
        if (term is not Symbol s || !Terms.IsVar(s)) return null;
        var col = input.IndexOf(s);
        if (col < 0) return null;
        var values = new HashSet<object?>(EdnEquality.Instance);
        foreach (var row in input.Rows) values.Add(row[col]);
        return values;
    }

    private void Function(FunctionClause f, Relation input, QueryContext ctx)
    {
        var reads = f.Args.Any(a => Terms.IsSource(a) && ReferenceEquals(ctx.Sources.GetValueOrDefault((Symbol)a!), db));
        if (!reads) return;
        var a = f.Args;
        var name = f.Fn.Name;
        var attrArgs = name switch
        {
            "get-else" or "missing?" when a.Length >= 3 => a[2..3],
            "get-some" when a.Length >= 3 => a[2..],
            _ => null,
        };
        // a function of ours or of the application given the whole database may read anything
        if (f.Fn.Namespace is not null || attrArgs is null || !Terms.IsSource(a[0]) || attrArgs.Any(x => !Terms.IsConst(x)))
        {
            Topics.SetEverything();
            return;
        }
        var entities = EntitiesAt(a[1], input);
        foreach (var x in attrArgs)
        {
            var reverse = x is Keyword { IsReverse: true } k ? k.Reversed : null;
            if (db.AttributeOf(reverse ?? x) is not { } attr) continue;
            if (reverse is not null && attr.IsRef)
                Topics.Add(new Topic(attr.Id, null, entities is null ? null : new HashSet<object>(entities.Select(e => (object)e), TopicKeys.Comparer)));
            else
                Topics.Add(new Topic(attr.Id, entities is null ? null : [.. entities], null));
        }
    }

    /// <summary>What a pull of <paramref name="pattern"/> from <paramref name="roots"/> (null: any entity) reads.</summary>
    public void Pull(PullPattern pattern, HashSet<long>? roots) => Pull(pattern, roots, new HashSet<PullPattern>(ReferenceEqualityComparer.Instance));

    private void Pull(PullPattern pattern, HashSet<long>? roots, HashSet<PullPattern> seen)
    {
        // nested patterns read any entity (roots null); a pattern read from given roots is read again as a nested one,
        // since a recursion's target is the pattern itself
        if (Topics.Everything || (roots is null && !seen.Add(pattern))) return;
        if (pattern.Wildcard)
        {
            // * pulls component entities whole, at any depth
            if (db.Schema.Attributes.Any(x => x.IsComponent)) { Topics.SetEverything(); return; }
            Topics.Add(new Topic(Topic.AnyAttribute, roots is null ? null : [.. roots], null));
        }
        foreach (var spec in pattern.Specs)
        {
            if (spec.IsDbId) continue;
            if (spec.Forward is { } forward && db.AttributeOf(forward) is { IsRef: true } ra)
            {
                Topics.Add(new Topic(ra.Id, null, roots is null ? null : new HashSet<object>(roots.Select(e => (object)e), TopicKeys.Comparer)));
                Nested(spec, ra, seen);
                continue;
            }
            if (db.AttributeOf(spec.Name) is not { } a) continue;
            Topics.Add(new Topic(a.Id, roots is null ? null : [.. roots], null));
            Nested(spec, a, seen);
        }
    }

    private void Nested(AttrSpec spec, Attribute a, HashSet<PullPattern> seen)
    {
        if (!a.IsRef) return;
        if (spec.Sub is { } sub) Pull(sub, null, seen);
        else if (spec.RecursionTarget is { } target) Pull(target, null, seen);
        else if (a.IsComponent) Topics.SetEverything(); // a component without a pattern is pulled whole
    }
}
