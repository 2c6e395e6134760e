namespace Datsync.Core;

/// <summary>Orders and runs <c>:where</c> clauses against a relation.</summary>
internal static partial class Clauses
{
    /// <summary>Runs the clauses in a cheap order: each next clause the one estimated to give the fewest rows given
    /// what is bound (<see cref="Plan"/>), as fused steps (<see cref="Fuse"/>). <paramref name="deltaCall"/>: the rule
    /// call that reads only last round's new tuples.</summary>
    public static Relation Run(IReadOnlyList<Clause> clauses, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        // not/or nest at most as deep as the parser allows; a thread with a small stack stops cleanly
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new QueryException($"Query clauses nested too deep for this thread's stack at {QueryException.Form(clauses.FirstOrDefault()?.Form)}");
        var bound = new HashSet<Symbol>(rel.Vars);
        foreach (var c in ctx.WrittenOrder ? clauses : Fuse(Plan(clauses, bound, ctx), bound, ctx))
        {
            // a pattern naming its entity by lookup ref or ident still resolves it: one naming nothing is an error
            // wherever the plan puts the pattern
            if (rel.Rows.Count == 0 && c is not (NotClause or FunctionClause { Binding: null } or PatternClause { Terms: [Keyword or IReadOnlyList<object?>, ..] }
                    or FusedScan { Patterns: [{ Terms: [Keyword or IReadOnlyList<object?>, ..] }, ..] }))
            {
                // nothing can match any more, but the remaining clauses still say which variables exist
                rel = new Relation(rel.Vars.Concat(Binds(c).Where(v => !rel.Has(v))).Distinct().ToArray(), []);
                ctx.Trace?.Skipped(c, rel);
                continue;
            }
            ctx.Observer?.Applying(c, rel, ctx);
            rel = ctx.Trace is { } trace ? trace.Step(c, rel, ctx, deltaCall) : Apply(c, rel, ctx, deltaCall);
        }
        return rel;
    }

    /// <summary>
    /// The planned clauses as the steps that run: a database pattern takes the comparisons that follow it once their
    /// variables are bound (they filter inside its scan), and patterns <c>[?e :attr v]</c> on one entity variable bound
    /// before them are read in one EAVT pass per entity (<see cref="Patterns.MatchEntity"/>).
    /// </summary>
    internal static List<Clause> Fuse(List<Clause> order, HashSet<Symbol> bound, QueryContext ctx)
    {
        var steps = new List<Clause>(order.Count);
        bound = new HashSet<Symbol>(bound);
        for (var i = 0; i < order.Count;)
        {
            if (order[i] is not PatternClause p || ctx.Sources.GetValueOrDefault(p.Source) is not Db db)
            {
                foreach (var v in Binds(order[i])) bound.Add(v);
                steps.Add(order[i++]);
                continue;
            }
            var entity = EntityVar(p, db, bound);
            var before = entity is null ? bound : new HashSet<Symbol>(bound);
            var group = new List<PatternClause> { p };
            var filters = new List<FunctionClause>();
            bound.UnionWith(p.Vars);
            var j = i + 1;
            while (j < order.Count)
            {
                if (order[j] is FunctionClause f && Comparison.OpOf(f) is not null && f.ArgVars.All(bound.Contains)) filters.Add(f);
                else if (entity is not null && order[j] is PatternClause q && q.Source.Equals(p.Source) && entity.Equals(EntityVar(q, db, before)))
                {
                    group.Add(q);
                    bound.UnionWith(q.Vars);
                }
                else break;
                j++;
            }
            steps.Add(group.Count == 1 && filters.Count == 0 ? p : new FusedScan(group.ToArray(), filters.ToArray()));
            i = j;
        }
        return steps;
    }

    /// <summary>The entity variable of a pattern an entity pass can read: <c>[?e :attr v]</c>, ?e bound, the attribute
    /// installed, no tx, v not ?e; else null.</summary>
    private static Symbol? EntityVar(PatternClause p, Db db, HashSet<Symbol> bound)
    {
        var t = p.Terms;
        if (t[0] is not Symbol e || !Terms.IsVar(e) || !bound.Contains(e)) return null;
        if (t[1] is not (Keyword or long) || db.AttributeOf(t[1]) is null || !Terms.IsBlank(t[3])) return null;
        return e.Equals(t[2]) ? null : e;
    }

    private static IEnumerable<Symbol> Binds(Clause c) => c switch
    {
        NotClause => [],
        FunctionClause f => f.OutVars,
        _ => c.Vars,
    };

    /// <summary>
    /// The order clauses run in, a pure function of the clauses, the bound variables and the database values: among
    /// the clauses that can run (predicates and functions need their arguments bound, not-join its variables),
    /// predicates and functions first, then the clause that sharing a variable with what is bound is estimated to give
    /// the fewest rows (<see cref="EstimateRows"/>; without statistics, the one with the most bound or constant
    /// positions). A plain <c>not</c> keeps its place, since what is bound there decides what it means.
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
                var s = Score(remaining[i], bound, ctx, remaining);
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

    /// <summary>
    /// The rows a clause is estimated to give for one binding of the <paramref name="bound"/> variables (for a clause
    /// that uses none of them, its rows in all), from the indexes (<see cref="Estimates"/>); -1 when there is no
    /// estimate (a source that is not a database, an attribute that is a variable, rules, or, not). A predicate gives
    /// at most its input row: 1; a fused step (<see cref="Fuse"/>), the product of its patterns' estimates.
    /// </summary>
    internal static long EstimateRows(Clause c, IReadOnlySet<Symbol> bound, QueryContext ctx)
    {
        if (c is FunctionClause) return 1;
        if (c is FusedScan s)
        {
            // the patterns one after the other, each per binding of what the ones before bound; filters only remove
            var now = new HashSet<Symbol>(bound);
            double rows = 1;
            foreach (var p in s.Patterns)
            {
                if (EstimatePattern(p, now, ctx, s.Filters) is not { } pe) return -1;
                rows *= pe.Rows;
                now.UnionWith(p.Vars);
            }
            return (long)Math.Ceiling(rows - 1e-6);
        }
        var e = EstimatePattern(c, bound, ctx);
        return e is { } x ? (long)Math.Ceiling(x.Rows - 1e-6) : -1;
    }

    /// <summary>Estimated rows per binding, and the datoms read once whatever is bound (a value looked up in an
    /// attribute that is not in AVET or VAET scans the whole attribute).</summary>
    private static (double Rows, double Scan)? EstimatePattern(Clause c, IReadOnlySet<Symbol> bound, QueryContext? ctx,
        IEnumerable<FunctionClause>? filters = null)
    {
        if (c is not PatternClause p || ctx?.Sources.GetValueOrDefault(p.Source) is not Db db) return null;
        var t = p.Terms;
        if (t[1] is not (Keyword or long) || db.AttributeOf(t[1]) is not { } a) return null;
        bool Known(object? x) => Terms.IsConst(x) || x is Symbol s && bound.Contains(s);
        var stats = Estimates.Of(db, a);
        double n = stats.Count;
        if (n == 0) return (0, 0);
        var eKnown = Known(t[0]);
        var vConst = Terms.IsConst(t[2]);
        var vKnown = Known(t[2]);
        double share = 1, rows, scan = 0;
        if (vConst) share = ValueCount(db, a, stats, t[2]) / n;
        else if (vKnown) share = stats.PerValue / n;
        // an entity holds PerEntity datoms of the attribute, each the value with the value's share of them
        if (eKnown) rows = stats.PerEntity * (vKnown ? Math.Min(1, share) : 1);
        else rows = share * n;
        if (!eKnown && vKnown && !a.IsRef && !a.InAvet) scan = n;
        if (Known(t[3])) rows *= 0.1;
        if (filters is not null && t[2] is Symbol vv && Terms.IsVar(vv) && !bound.Contains(vv)) rows *= FilterShare(db, a, stats, vv, filters, bound);
        return (rows, scan);
    }

    /// <summary>
    /// The share of an attribute's values that the comparisons on its value variable let through: against constants,
    /// counted over the AVET range they bound where there is one, else tried on the sample; a third for each
    /// comparison against a variable (its value is not known while planning).
    /// </summary>
    private static double FilterShare(Db db, Attribute a, Estimates.AttrStats stats, Symbol v, IEnumerable<FunctionClause> filters, IReadOnlySet<Symbol> bound)
    {
        var tests = new List<(CompareOp Op, object? Other)>();
        double share = 1;
        foreach (var f in filters)
        {
            if (Comparison.OpOf(f) is not { } op) continue;
            var (x, y) = (f.Args[0], f.Args[1]);
            if (v.Equals(x) && y is not Symbol) tests.Add((op, y));
            else if (v.Equals(y) && x is not Symbol) tests.Add((Comparison.Flip(op), x));
            else if (v.Equals(x) && y is Symbol ys && bound.Contains(ys) || v.Equals(y) && x is Symbol xs && bound.Contains(xs)) share /= 3;
        }
        if (tests.Count == 0 || stats.Count == 0) return share;
        if (Patterns.ValueRange(db, a, tests) is { } span) return share * Math.Min(1, Estimates.Count(db.Avet, span) / (double)stats.Count);
        if (stats.Sample.Length == 0) return share;
        var hits = 0;
        foreach (var d in stats.Sample)
            if (tests.All(t => Comparison.Eval(t.Op, d.V, t.Other))) hits++;
        return share * Math.Max(hits, 0.5) / stats.Sample.Length;
    }

    /// <summary>Datoms of an attribute holding a constant: counted in AVET or VAET, else the sample's share.</summary>
    private static double ValueCount(Db db, Attribute a, Estimates.AttrStats stats, object? v)
    {
        if (!db.TryEncodeValue(a, v, out var vn, out var vo)) return 0;
        if (a.IsRef) return Estimates.Count(db.Vaet, new ReverseDatoms(vn, a.Id));
        if (a.StoredInAvet) return Estimates.Count(db.Avet, new ValueSpan(a.Id, new(true, vn, vo), new(true, vn, vo)));
        return Estimates.Share(stats, vn, vo) * stats.Count;
    }

    /// <summary>Scores on one scale, the estimated rows: a structural tier t (10 entity known .. 17 nothing known, +5 a
    /// product) counts as 10^(t-9) rows where there is no estimate, so rules, or and collection patterns keep their
    /// places against each other and fall in between the estimated patterns.</summary>
    private static double Score(Clause c, HashSet<Symbol> bound, QueryContext? ctx, List<Clause> remaining)
    {
        switch (c)
        {
            case FunctionClause f:
                return f.ArgVars.All(bound.Contains) ? 0 : double.MaxValue;
            case NotClause n:
                return n.JoinVars!.All(bound.Contains) ? 0 : double.MaxValue;
            case OrClause o:
                if (!o.JoinVars.Take(o.Required).All(bound.Contains)) return double.MaxValue;
                return Tier(o.JoinVars.Any(bound.Contains) ? 12 : 17);
            case RuleCall r:
                return Tier(r.Args.Any(a => Terms.IsConst(a) || a is Symbol s && bound.Contains(s)) ? 12 : 17);
            case PatternClause p:
            {
                var product = bound.Count > 0 && !p.Vars.Any(bound.Contains); // a product: last resort
                if (EstimatePattern(p, bound, ctx, remaining.OfType<FunctionClause>()) is { } e)
                    return (e.Rows + e.Scan / 100 + 1) * (product ? 1e5 : 1);
                bool Known(object? t) => Terms.IsConst(t) || t is Symbol s && bound.Contains(s);
                var t = p.Terms;
                double score = Known(t[0]) ? 10 : Known(t[1]) && Known(t[2]) ? 11 : Known(t[2]) ? 13 : Known(t[1]) ? 14 : 16;
                return Tier(score + (product ? 5 : 0));
            }
            default:
                return Tier(20);
        }
    }

    private static double Tier(double t) => Math.Pow(10, t - 9);

    internal static Relation Apply(Clause c, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        switch (c)
        {
            case PatternClause p: return Patterns.Match(p, rel, ctx);
            case FusedScan s:
                return s.Patterns.Length == 1 ? Patterns.Match(s.Patterns[0], s.Filters, rel, ctx) : Patterns.MatchEntity(s.Patterns, s.Filters, rel, ctx);
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

/// <summary>One step of several planned clauses (<see cref="Clauses.Fuse"/>): database patterns (more than one: on one
/// bound entity, read in one EAVT pass) and the comparisons that filter inside their scan. Its form lists theirs.</summary>
internal sealed class FusedScan(PatternClause[] patterns, FunctionClause[] filters)
    : Clause(new EdnVector(patterns.Select(p => p.Form).Concat(filters.Select(f => f.Form))))
{
    public PatternClause[] Patterns { get; } = patterns;
    public FunctionClause[] Filters { get; } = filters;
    public override IEnumerable<Symbol> Vars => Patterns.SelectMany(p => p.Vars).Distinct();
}
