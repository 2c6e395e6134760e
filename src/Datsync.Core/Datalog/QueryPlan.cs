using System.Text;

namespace Datsync.Core;

/// <summary>What <see cref="Db.Explain(string, object?[])"/> returns: the clauses in the order the query ran them,
/// each with how it read its data and how many tuples it was expected to match and did make, and the query's result.</summary>
/// <param name="Steps">The <c>:where</c> clauses in the order they ran.</param>
/// <param name="Result">What <see cref="Db.Q(string, object?[])"/> returns for the same query and inputs.</param>
/// <remarks>Two plans are equal when their steps are, in order, and their results are equal EDN values.</remarks>
public sealed record QueryPlan(IReadOnlyList<QueryPlanStep> Steps, object? Result)
{
    /// <inheritdoc/>
    public bool Equals(QueryPlan? other) =>
        other is not null && Steps.SequenceEqual(other.Steps) && EdnEquality.Instance.Equals(Result, other.Result);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Steps.Count, EdnEquality.Instance.GetHashCode(Result));

    /// <summary>The plan as a table, one line per step (nested steps indented under theirs).</summary>
    public override string ToString()
    {
        var rows = new List<string[]> { new[] { "#", "clause", "strategy", "est.", "in", "out", "runs" } };
        void Add(IReadOnlyList<QueryPlanStep> steps, string prefix, int depth)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                var s = steps[i];
                var n = prefix + (i + 1);
                rows.Add([n, new string(' ', 2 * depth) + s.Clause, s.Strategy, s.EstimatedRows < 0 ? "-" : s.EstimatedRows.ToString(),
                    s.RowsIn.ToString(), s.RowsOut.ToString(), s.Runs.ToString()]);
                Add(s.Steps, n + ".", depth + 1);
            }
        }
        Add(Steps, "", 0);
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var r in rows)
        {
            if (text.Length > 0) text.Append('\n');
            // the step, clause and strategy to the left, counts to the right
            text.AppendJoin("  ", r.Select((cell, c) => c <= 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])));
        }
        return text.ToString();
    }
}

/// <summary>One clause of a <see cref="QueryPlan"/>.</summary>
/// <param name="Clause">The clause as EDN, as written.</param>
/// <param name="Strategy">How it read its data: for a pattern on a database the index and whether it looks up per
/// input tuple (<c>EAVT per entity</c>, <c>AVET per value</c>, <c>VAET per value</c>) or scans once and joins
/// (<c>AEVT scan + hash join</c>, <c>AVET lookup</c>, ...); <c>collection + hash join</c> for a collection source;
/// <c>predicate</c>, <c>function</c>, <c>not</c>, <c>not-join</c>, <c>or</c>, <c>or-join</c>, <c>rule</c>; <c>skipped</c>
/// when no tuple was left to extend.</param>
/// <param name="EstimatedRows">The planner's estimate of the tuples the clause matches for one input tuple, before it
/// ran; -1 when it has none.</param>
/// <param name="RowsIn">The tuples the clause was given.</param>
/// <param name="RowsOut">The tuples after it.</param>
/// <param name="Runs">How many times it ran: more than once in a rule body (a run per round and table) or a branch
/// run for each rule call; the rows are then the sums over the runs.</param>
/// <param name="Steps">For <c>not</c>, <c>or</c> and rule calls: the clauses they ran inside, in order.</param>
/// <remarks>Two steps are equal when every field is, the nested steps in order.</remarks>
public sealed record QueryPlanStep(string Clause, string Strategy, long EstimatedRows, long RowsIn, long RowsOut, int Runs,
    IReadOnlyList<QueryPlanStep> Steps)
{
    /// <inheritdoc/>
    public bool Equals(QueryPlanStep? other) =>
        other is not null && Clause == other.Clause && Strategy == other.Strategy && EstimatedRows == other.EstimatedRows
        && RowsIn == other.RowsIn && RowsOut == other.RowsOut && Runs == other.Runs && Steps.SequenceEqual(other.Steps);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Clause, Strategy, EstimatedRows, RowsIn, RowsOut, Runs, Steps.Count);
}

/// <summary>Collects the steps of a query run for <see cref="QueryPlan"/>: <see cref="Clauses.Run"/> hands each clause
/// to <see cref="Step"/>, and the steps that clause runs inside it (not, or, rule bodies) nest under it.</summary>
internal sealed class QueryTrace
{
    private sealed class Node(Clause clause, string strategy, long estimated)
    {
        public readonly Clause Clause = clause;
        public readonly string Strategy = strategy;
        public readonly long Estimated = estimated;
        public long In, Out;
        public int Runs = 1;
        public List<Node> Children = [];
    }

    private readonly List<Node> _steps = [];

    public Relation Step(Clause c, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        var node = new Node(c, Strategy(c, rel, ctx), Clauses.EstimateRows(c, new HashSet<Symbol>(rel.Vars), ctx)) { In = rel.Rows.Count };
        var mark = _steps.Count;
        var result = Clauses.Apply(c, rel, ctx, deltaCall);
        node.Children = Merge(_steps.GetRange(mark, _steps.Count - mark));
        _steps.RemoveRange(mark, _steps.Count - mark);
        node.Out = result.Rows.Count;
        _steps.Add(node);
        return result;
    }

    public void Skipped(Clause c, Relation rel) => _steps.Add(new Node(c, "skipped", -1));

    public IReadOnlyList<QueryPlanStep> Steps() => Public(Merge(_steps));

    private static IReadOnlyList<QueryPlanStep> Public(List<Node> nodes) =>
        nodes.Select(n => new QueryPlanStep(n.Clause.ToString(), n.Strategy, n.Estimated, n.In, n.Out, n.Runs, Public(n.Children))).ToArray();

    /// <summary>The runs of the same clause (a rule body's, round after round) as one step, in first-run order.</summary>
    private static List<Node> Merge(List<Node> nodes)
    {
        var byClause = new Dictionary<Clause, Node>(ReferenceEqualityComparer.Instance);
        var merged = new List<Node>();
        foreach (var n in nodes)
        {
            if (!byClause.TryGetValue(n.Clause, out var first))
            {
                byClause[n.Clause] = n;
                merged.Add(n);
                continue;
            }
            first.In += n.In;
            first.Out += n.Out;
            first.Runs += n.Runs;
            first.Children = Merge([.. first.Children, .. n.Children]);
        }
        return merged;
    }

    /// <summary>How <see cref="Patterns.Match(PatternClause, Relation, QueryContext)"/> reads a pattern's data given what is bound, decided as it decides:
    /// per input tuple when the entity is bound, or the value of a reference or AVET attribute; else one scan by
    /// the constants, joined.</summary>
    private static string Strategy(Clause c, Relation rel, QueryContext ctx) => c switch
    {
        FunctionClause { Binding: null } => "predicate",
        FunctionClause => "function",
        NotClause n => n.JoinVars is null ? "not" : "not-join",
        OrClause o => o.IsJoin ? "or-join" : "or",
        RuleCall => "rule",
        PatternClause p => PatternStrategy(p, rel, ctx),
        FusedScan f => FusedStrategy(f, rel, ctx),
        _ => "?",
    };

    /// <summary>A fused step (<see cref="Clauses.Fuse"/>): patterns on one bound entity read in one EAVT pass, or one
    /// pattern with the comparisons that run inside its scan (an AVET range when its value is free and in AVET).</summary>
    private static string FusedStrategy(FusedScan f, Relation rel, QueryContext ctx)
    {
        var filtered = f.Filters.Length > 0 ? $" + {f.Filters.Length} filter{(f.Filters.Length > 1 ? "s" : "")} in the scan" : "";
        if (f.Patterns.Length > 1) return $"EAVT entity pass ({f.Patterns.Length} patterns){filtered}";
        var p = f.Patterns[0];
        var t = p.Terms;
        var strategy = PatternStrategy(p, rel, ctx);
        var ranged = ctx.Sources.GetValueOrDefault(p.Source) is Db db && t[1] is Keyword or long && db.AttributeOf(t[1]) is { StoredInAvet: true }
                     && t[2] is Symbol v && Terms.IsVar(v) && !rel.Has(v)
                     && f.Filters.Any(x => Comparison.OpOf(x) is not (null or CompareOp.Ne) && x.Args.Contains(v));
        return (ranged ? "AVET range" + (rel.Vars.Length > 0 && !t.Any(x => x is Symbol s && rel.Has(s)) ? " + hash join" : "") : strategy) + filtered;
    }

    private static string PatternStrategy(PatternClause p, Relation rel, QueryContext ctx)
    {
        var joined = rel.Vars.Length > 0 ? " + hash join" : "";
        if (ctx.Sources.GetValueOrDefault(p.Source) is not Db db) return "collection" + joined;
        var t = p.Terms;
        bool Bound(int i) => Terms.IsVar(t[i]) && rel.Has((Symbol)t[i]!);
        var attr = t[1] is Keyword or long ? db.AttributeOf(t[1]) : null;
        if (Terms.IsConst(t[1]) && attr is null) return "none (no such attribute)";
        var perRow = Bound(0) || Bound(2) && attr is not null && (attr.IsRef || attr.InAvet);
        bool Known(int i) => Terms.IsConst(t[i]) || perRow && Bound(i);
        string index;
        if (Known(0)) index = perRow ? "EAVT per entity" : "EAVT entity";
        else if (attr is not null && Known(2) && attr.IsRef) index = perRow ? "VAET per value" : "VAET lookup";
        else if (attr is not null && Known(2) && attr.InAvet) index = perRow ? "AVET per value" : "AVET lookup";
        else if (attr is not null) index = "AEVT scan";
        else index = "EAVT full scan";
        return perRow ? index : index + joined;
    }
}
