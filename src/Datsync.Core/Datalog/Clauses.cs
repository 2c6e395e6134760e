namespace Datsync.Core;

/// <summary>Orders and runs <c>:where</c> clauses against a relation.</summary>
internal static class Clauses
{
    /// <summary>Runs the clauses in a cheap order: each next clause the one that shares the most with what is bound
    /// (<see cref="Plan"/>). <paramref name="deltaCall"/>: the rule call that reads only last round's new tuples.</summary>
    public static Relation Run(IReadOnlyList<Clause> clauses, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        // not/or nest at most as deep as the parser allows; a thread with a small stack stops cleanly
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new QueryException($"Query clauses nested too deep for this thread's stack at {QueryException.Form(clauses.FirstOrDefault()?.Form)}");
        var bound = new HashSet<Symbol>(rel.Vars);
        foreach (var c in Plan(clauses, bound, ctx))
        {
            // a pattern naming its entity by lookup ref or ident still resolves it: one naming nothing is an error
            // wherever the plan puts the pattern
            if (rel.Rows.Count == 0 && c is not (NotClause or FunctionClause { Binding: null } or PatternClause { Terms: [Keyword or IReadOnlyList<object?>, ..] }))
            {
                // nothing can match any more, but the remaining clauses still say which variables exist
                rel = new Relation(rel.Vars.Concat(Binds(c).Where(v => !rel.Has(v))).Distinct().ToArray(), []);
                continue;
            }
            rel = Apply(c, rel, ctx, deltaCall);
        }
        return rel;
    }

    private static IEnumerable<Symbol> Binds(Clause c) => c switch
    {
        NotClause => [],
        FunctionClause f => f.OutVars,
        _ => c.Vars,
    };

    /// <summary>
    /// The order clauses run in, a pure function of the clauses and the bound variables: among the clauses that can
    /// run (predicates and functions need their arguments bound, not-join its variables), predicates and functions
    /// first, then the pattern or call with the most bound or constant positions that shares a variable with what is
    /// bound (between two attribute scans, the attribute with fewer datoms, counted up to a cap); a plain <c>not</c>
    /// keeps its place, since what is bound there decides what it means.
    /// </summary>
    public static List<Clause> Plan(IReadOnlyList<Clause> clauses, HashSet<Symbol> bound, QueryContext? ctx)
    {
        var remaining = clauses.ToList();
        var order = new List<Clause>(remaining.Count);
        bound = new HashSet<Symbol>(bound);
        while (remaining.Count > 0)
        {
            var barrier = remaining.FindIndex(c => c is NotClause { JoinVars: null });
            var limit = barrier < 0 ? remaining.Count : barrier;
            Clause? best = null;
            var bestScore = double.MaxValue;
            for (var i = 0; i < limit; i++)
            {
                var s = Score(remaining[i], bound, ctx);
                if (s < bestScore) { best = remaining[i]; bestScore = s; }
            }
            // nothing before a not can run: the not runs (it checks its own bindings), or the first clause fails
            best ??= barrier >= 0 ? remaining[barrier] : remaining[0];
            remaining.Remove(best);
            order.Add(best);
            foreach (var v in Binds(best)) bound.Add(v);
        }
        return order;
    }

    /// <summary>How many datoms of an attribute the planner counts at most to compare scans.</summary>
    private const int EstimateCap = 256;

    private static double Score(Clause c, HashSet<Symbol> bound, QueryContext? ctx)
    {
        switch (c)
        {
            case FunctionClause f:
                return f.ArgVars.All(bound.Contains) ? 0 : double.MaxValue;
            case NotClause n:
                return n.JoinVars!.All(bound.Contains) ? 0 : double.MaxValue;
            case OrClause o:
                if (!o.JoinVars.Take(o.Required).All(bound.Contains)) return double.MaxValue;
                return o.JoinVars.Any(bound.Contains) ? 12 : 17;
            case RuleCall r:
                return r.Args.Any(a => Terms.IsConst(a) || a is Symbol s && bound.Contains(s)) ? 12 : 17;
            case PatternClause p:
            {
                bool Known(object? t) => Terms.IsConst(t) || t is Symbol s && bound.Contains(s);
                var t = p.Terms;
                double score = Known(t[0]) ? 10 : Known(t[1]) && Known(t[2]) ? 11 : Known(t[2]) ? 13 : Known(t[1]) ? 14 : 16;
                if (!Known(t[0]) && ctx?.Sources.GetValueOrDefault(p.Source) is Db db && (t[1] is Keyword or long) && db.AttributeOf(t[1]) is { } a)
                {
                    // a value without AVET or VAET is found by scanning the attribute; among attribute scans, the
                    // smaller attribute first (counted up to a cap, so the estimate stays cheap)
                    if (score == 11 && !a.InAvet && !a.IsRef) score = 12.5;
                    if (score == 14) score += (double)db.AttributeDatoms(a.Id).Take(EstimateCap).Count() / (EstimateCap + 1);
                }
                if (bound.Count > 0 && !p.Vars.Any(bound.Contains)) score += 5; // a product: last resort
                return score;
            }
            default:
                return 20;
        }
    }

    private static Relation Apply(Clause c, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        switch (c)
        {
            case PatternClause p: return Patterns.Match(p, rel, ctx);
            case FunctionClause f: return Functions.Apply(f, rel, ctx);
            case NotClause n: return Not(n, rel, ctx);
            case OrClause o: return Or(o, rel, ctx, deltaCall);
            case RuleCall r:
                var rules = ctx.Rules ?? throw new QueryException($"Missing rules var '%' in :in for {QueryException.Form(r.Form)}");
                return rules.Call(r, rel, ctx, deltaCall);
            default: throw new QueryException($"Cannot run clause {QueryException.Form(c.Form)}");
        }
    }

    private static QueryContext WithSource(QueryContext ctx, Symbol source, object form)
    {
        if (source.Name == "$") return ctx;
        var sub = ctx.Branch();
        sub.Sources[Terms.DefaultSource] = ctx.Source(source, form);
        return sub;
    }

    private static Relation Not(NotClause n, Relation rel, QueryContext ctx)
    {
        Symbol[] shared;
        if (n.JoinVars is { } jv)
        {
            var missing = jv.Where(v => !rel.Has(v)).ToList();
            if (missing.Count > 0)
                throw new QueryException($"Insufficient bindings: {QueryException.Vars(missing)} not bound in {QueryException.Form(n.Form)}");
            shared = jv.Distinct().ToArray();
        }
        else
        {
            var vars = new HashSet<Symbol>();
            foreach (var b in n.Body) QueryParser.CollectAllVars(b, vars);
            foreach (var b in n.Body) if (b is NotClause inner) vars.UnionWith(inner.Vars);
            shared = vars.Where(rel.Has).ToArray();
            if (shared.Length == 0)
                throw new QueryException($"Insufficient bindings: none of {QueryException.Vars(vars)} is bound in {QueryException.Form(n.Form)}");
        }
        var input = rel.Project(shared);
        var sub = WithSource(ctx, n.Source, n.Form);
        if (ctx.Rules is { Solving: true } rules && n.Body.Any(QueryParser.ContainsRuleCall))
        {
            // a rule body's negation needs complete tables: the calls inside it run to their own fixpoint first
            // (stratified negation); a rule that reaches itself through not nests until the limit
            if (ReferenceEquals(sub, ctx)) sub = ctx.Branch();
            sub.Rules = rules.Nested(n.Form);
        }
        var result = Run(n.Body, input, sub, null);
        var found = new HashSet<object?[]>(result.Project(shared).Rows, RowComparer.Instance);
        if (found.Count == 0) return rel;
        var idx = shared.Select(rel.IndexOf).ToArray();
        var rows = rel.Rows.Where(r => !found.Contains(idx.Select(i => r[i]).ToArray())).ToList();
        return new Relation(rel.Vars, rows);
    }

    private static Relation Or(OrClause o, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        var missing = o.JoinVars.Take(o.Required).Where(v => !rel.Has(v)).ToList();
        if (missing.Count > 0)
            throw new QueryException($"Insufficient bindings: {QueryException.Vars(missing)} not bound in {QueryException.Form(o.Form)}");
        var shared = o.JoinVars.Where(rel.Has).Distinct().ToArray();
        var input = rel.Project(shared);
        var sub = WithSource(ctx, o.Source, o.Form);
        var vars = o.JoinVars.Distinct().ToArray();
        var seen = new HashSet<object?[]>(RowComparer.Instance);
        var rows = new List<object?[]>();
        foreach (var branch in o.Branches)
        {
            var r = Run(branch, input, sub, deltaCall);
            var unbound = vars.Where(v => !r.Has(v)).ToList();
            if (unbound.Count > 0)
                throw new QueryException($"Insufficient bindings: {QueryException.Vars(unbound)} not bound in {QueryException.Form(o.Form)}");
            foreach (var row in r.Project(vars).Rows)
                if (seen.Add(row)) rows.Add(row);
        }
        return Relation.Join(rel, new Relation(vars, rows), ctx);
    }
}
