namespace Datsync.Core;

/// <summary>Turns the final relation into the result the find spec asks for: projection, aggregates, pulls, maps.</summary>
internal static class Find
{
    public static object? Result(ParsedQuery q, Relation rel, QueryContext ctx)
    {
        var needed = new List<Symbol>();
        void Need(Symbol v) { if (!needed.Contains(v)) needed.Add(v); }
        foreach (var e in q.Find)
            switch (e)
            {
                case FindVar v: Need(v.Var); break;
                case FindPull p:
                    Need(p.Var);
                    if (Terms.IsVar(p.Pattern)) Need((Symbol)p.Pattern!);
                    break;
                case FindAggregate a:
                    foreach (var x in a.Args) if (Terms.IsVar(x)) Need((Symbol)x!);
                    break;
            }
        foreach (var w in q.With) Need(w);
        var unknown = needed.Where(v => !rel.Has(v)).ToList();
        if (unknown.Count > 0)
            throw new QueryException($"Query for unknown vars: {QueryException.Form(new EdnVector(unknown))} in {QueryException.Form(q.Form)}");
        var distinct = rel.Project(needed);
        var col = needed.Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        var pullers = new Dictionary<FindPull, Func<object?, object?, object?>>();
        foreach (var p in q.Find.OfType<FindPull>()) pullers[p] = Puller(p, ctx);

        object? Value(FindElem e, object?[] row) => e switch
        {
            FindVar v => row[col[v.Var]],
            FindPull p => pullers[p](row[col[p.Var]], Terms.IsVar(p.Pattern) ? row[col[(Symbol)p.Pattern!]] : p.Pattern),
            _ => throw new InvalidOperationException("an aggregate is not a row value"),
        };

        List<object?[]> tuples;
        var hasAggregates = q.Find.Any(e => e is FindAggregate);
        if (!hasAggregates)
        {
            tuples = distinct.Rows.Select(r => q.Find.Select(e => Value(e, r)).ToArray()).ToList();
        }
        else
        {
            var groupElems = q.Find.Where(e => e is not FindAggregate).ToArray();
            var groups = new Dictionary<object?[], List<object?[]>>(RowComparer.Instance);
            var order = new List<object?[]>();
            foreach (var r in distinct.Rows)
            {
                var key = groupElems.Select(e => e is FindPull p ? r[col[p.Var]] : Value(e, r)).ToArray(); // a pull groups by its entity
                if (!groups.TryGetValue(key, out var members)) { groups[key] = members = []; order.Add(key); }
                members.Add(r);
            }
            tuples = [];
            foreach (var key in order)
            {
                var members = groups[key];
                var t = new object?[q.Find.Length];
                var k = 0;
                for (var i = 0; i < q.Find.Length; i++)
                {
                    if (q.Find[i] is FindAggregate a)
                    {
                        var args = a.Args[..^1].Select(x => Terms.IsVar(x) ? members[0][col[(Symbol)x!]] : x).ToArray();
                        var values = members.Select(m => m[col[a.Var]]).ToList();
                        t[i] = QueryAggregates.Apply(a, args, values);
                    }
                    else
                    {
                        t[i] = q.Find[i] is FindPull ? Value(q.Find[i], members[0]) : key[k];
                        k++;
                    }
                }
                tuples.Add(t);
            }
        }

        object Row(object?[] t)
        {
            if (q.ReturnKeys is not { } keys) return new EdnVector(t);
            var kv = new object?[keys.Length * 2];
            for (var i = 0; i < keys.Length; i++) { kv[2 * i] = keys[i]; kv[2 * i + 1] = t[i]; }
            return EdnMap.Of(kv);
        }

        return q.Shape switch
        {
            FindShape.Relation => q.With.Length > 0 && !hasAggregates ? new EdnVector(tuples.Select(Row)) : new EdnSet(tuples.Select(Row)),
            // rows are distinct before pulls, as in DataScript: two entities may pull to the same map
            FindShape.Collection => new EdnVector(tuples.Select(t => t[0])),
            FindShape.Scalar => tuples.Count > 0 ? tuples[0][0] : null,
            // DataScript gives a map of nils for a tuple with keys that finds nothing
            _ => tuples.Count > 0 ? Row(tuples[0]) : q.ReturnKeys is not null ? Row(new object?[q.Find.Length]) : null,
        };
    }

    private static Func<object?, object?, object?> Puller(FindPull p, QueryContext ctx)
    {
        if (ctx.Source(p.Source, p.Var) is not Db db)
            throw new QueryException($"pull needs a database source, {p.Source} is a collection");
        var parsed = new Dictionary<object, PullPattern>(EdnEquality.Instance!);
        return (eid, pattern) =>
        {
            if (pattern is null) throw new QueryException($"pull pattern is nil in (pull {p.Var} ...)");
            if (!parsed.TryGetValue(pattern, out var pp))
            {
                try { pp = PullPattern.Parse(pattern); }
                catch (ArgumentException ex) { throw new QueryException($"Cannot parse pull pattern {QueryException.Form(pattern)}: {ex.Message}", ex); }
                parsed[pattern] = pp;
            }
            if (db.EntId(eid) is not { } e) return null;
            var m = new Puller(db, pp).Pull(e, pp);
            return m.Count == 0 ? null : ToEdn(m);
        };
    }

    /// <summary>Pull results as EDN values, so rows holding them compare by value.</summary>
    private static object? ToEdn(object? x)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        return x switch
        {
            Dictionary<object, object?> m => new EdnMap(m.Select(kv => new KeyValuePair<object?, object?>(kv.Key, ToEdn(kv.Value)))),
            List<object?> l => new EdnVector(l.Select(ToEdn)),
            _ => x,
        };
    }
}
