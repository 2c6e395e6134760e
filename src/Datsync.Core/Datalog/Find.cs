namespace Datsync.Core;

/// <summary>Turns the final relation into the result the find spec asks for: projection, aggregates, pulls, maps.</summary>
internal static class Find
{
    public static object? Result(ParsedQuery q, Relation rel, QueryContext ctx)
    {
        if (PlainColumns(q, rel) is { } plain) return PlainResult(q, rel, plain.Find, plain.Needed);
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

    /// <summary>For a find of variables only (no aggregates, no pulls), all bound: the column of each find element
    /// and of each distinct variable of the find and <c>:with</c> (in the general path's order); else null.</summary>
    private static (int[] Find, int[] Needed)? PlainColumns(ParsedQuery q, Relation rel)
    {
        var find = new int[q.Find.Length];
        for (var i = 0; i < find.Length; i++)
        {
            if (q.Find[i] is not FindVar v) return null;
            if ((find[i] = rel.IndexOf(v.Var)) < 0) return null; // the general path reports it
        }
        var needed = new List<int>(find.Length + q.With.Length);
        foreach (var c in find) if (!needed.Contains(c)) needed.Add(c);
        foreach (var w in q.With)
        {
            var c = rel.IndexOf(w);
            if (c < 0) return null;
            if (!needed.Contains(c)) needed.Add(c);
        }
        return (find, needed.ToArray());
    }

    /// <summary>
    /// The general path's result for a find of plain variables, read by column. Rows are made distinct on the needed
    /// columns as <see cref="Relation.Project"/> makes them (unless the relation knows they are), then a relation
    /// result drops the rows its set finds equal; the set trusts rows whose values cannot be equal unless the same.
    /// </summary>
    private static object? PlainResult(ParsedQuery q, Relation rel, int[] find, int[] needed)
    {
        var rows = rel.Rows;
        switch (q.Shape)
        {
            case FindShape.Scalar:
                // the first row stays first however rows are made distinct
                return rows.Count > 0 ? rows[0][find[0]] : null;
            case FindShape.Tuple:
                if (rows.Count > 0) return Row(q, Take(rows[0], find));
                // DataScript gives a map of nils for a tuple with keys that finds nothing
                return q.ReturnKeys is not null ? Row(q, new object?[find.Length]) : null;
        }
        var known = KnownDistinct(rel, needed);
        if (!known)
        {
            // the general path's projection: the rows now hold the needed columns in order
            rows = rel.Project(needed.Select(c => rel.Vars[c]).ToArray()).Rows;
            find = Reindex(find, needed);
        }
        if (q.Shape == FindShape.Collection)
        {
            var c = find[0];
            var items = new object?[rows.Count];
            for (var i = 0; i < items.Length; i++) items[i] = rows[i][c];
            return EdnVector.Wrap(items);
        }
        var result = new object?[rows.Count];
        var trusted = true;
        for (var i = 0; i < result.Length; i++)
        {
            var r = rows[i];
            var t = new object?[find.Length];
            for (var j = 0; j < t.Length; j++)
            {
                var x = r[find[j]];
                trusted &= Unambiguous(x);
                t[j] = x;
            }
            result[i] = Row(q, t);
        }
        if (q.With.Length > 0) return EdnVector.Wrap(result);
        // rows that differ in a value of these kinds are not equal as EDN either (NaN is unequal to itself as a
        // query value, 0.0 and -0.0 may be two datoms): trusted, the set need not look for repeats
        return trusted ? EdnSet.FromDistinct(result, hasNil: false) : EdnSet.FromOwned(result);
    }

    /// <summary>Whether the rows differ in the given columns, as <see cref="Relation.Project"/> finds.</summary>
    private static bool KnownDistinct(Relation rel, int[] needed)
    {
        if (!rel.Distinct) return false;
        for (var c = rel.Fixed; c < rel.Vars.Length; c++)
            if (Array.IndexOf(needed, c) < 0) return false;
        return true;
    }

    private static int[] Reindex(int[] find, int[] needed)
    {
        var r = new int[find.Length];
        for (var i = 0; i < r.Length; i++) r[i] = Array.IndexOf(needed, find[i]);
        return r;
    }

    private static object?[] Take(object?[] row, int[] cols)
    {
        var t = new object?[cols.Length];
        for (var i = 0; i < t.Length; i++) t[i] = row[cols[i]];
        return t;
    }

    /// <summary>A value that equals (as EDN) only a value of the same kind and bits, so distinct datoms' values
    /// differ as EDN, and query-unequal values (numbers across types) are EDN-unequal too.</summary>
    private static bool Unambiguous(object? x) => x switch
    {
        null or long or string or Keyword or bool => true,
        double d => d != 0 && !double.IsNaN(d),
        _ => false,
    };

    /// <summary>A result row of a fresh array: a vector owning it, or the <c>:keys</c> map.</summary>
    private static object Row(ParsedQuery q, object?[] t)
    {
        if (q.ReturnKeys is not { } keys) return EdnVector.Wrap(t);
        var kv = new object?[keys.Length * 2];
        for (var i = 0; i < keys.Length; i++) { kv[2 * i] = keys[i]; kv[2 * i + 1] = t[i]; }
        return EdnMap.Of(kv);
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
