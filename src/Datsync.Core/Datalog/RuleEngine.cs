namespace Datsync.Core;

/// <summary>
/// Evaluates rules bottom-up, semi-naively, in tables: one per rule and set of bound argument positions, holding the
/// argument values it was asked for (seeds, from the callers' bound variables) and the tuples derived for them.
/// Each round runs a rule's bodies for the seeds that are new, and for the old seeds against the tuples other tables
/// derived in the previous round only; it ends when a round derives nothing and asks for nothing new. The iteration
/// is a loop, not recursion, so deep or cyclic data needs no stack, and sets of tuples make cycles end.
/// </summary>
/// <remarks>A call inside a <c>not</c> of a rule body runs in an engine of its own to completion first (stratified
/// negation); recursion through negation is an error past <see cref="MaxNegationDepth"/>.</remarks>
internal sealed class RuleEngine
{
    private sealed class Table(Rule rule, bool[] bound)
    {
        public readonly Rule Rule = rule;
        public readonly bool[] Bound = bound;
        public readonly List<object?[]> Seeds = [];
        public readonly HashSet<object?[]> SeedSet = new(RowComparer.Instance);
        public int Processed;
        public readonly HashSet<object?[]> Answers = new(RowComparer.Instance);
        public List<object?[]> DeltaPrev = [];
        public List<object?[]> DeltaCur = [];
    }

    private readonly Dictionary<Symbol, Rule> _rules;
    private readonly Dictionary<string, Table> _tables = new(StringComparer.Ordinal);
    private readonly List<Table> _order = [];
    private readonly Dictionary<RuleBranch, List<RuleCall>> _callsOf = [];
    private bool _solving;
    private readonly int _depth;

    /// <summary>How deep negations in rule bodies may nest engines (a rule that reaches itself through not).</summary>
    public const int MaxNegationDepth = 32;

    public RuleEngine(Dictionary<Symbol, Rule> rules, int depth = 0)
    {
        _rules = rules;
        _depth = depth;
    }

    /// <summary>True while deriving: rule calls then read the tables as they are.</summary>
    public bool Solving => _solving;

    /// <summary>A fresh engine for the rule calls inside a negation of a rule body, which it runs to completion.</summary>
    public RuleEngine Nested(object form) => _depth < MaxNegationDepth
        ? new RuleEngine(_rules, _depth + 1)
        : throw new QueryException($"Rules recurse through negation more than {MaxNegationDepth} levels deep at {QueryException.Form(form)}");

    /// <summary>Checks that every rule called by the clauses or by a rule body exists and gets its arity.</summary>
    public void Validate(IEnumerable<Clause> clauses)
    {
        foreach (var c in clauses.Concat(_rules.Values.SelectMany(r => r.Branches).SelectMany(b => b.Body)))
            foreach (var call in CallsIn(c, intoNot: true))
            {
                if (!_rules.TryGetValue(call.Name, out var rule)) throw new QueryException($"Unknown rule '{call.Name} in {QueryException.Form(call.Form)}");
                if (rule.Branches[0].Head.Length != call.Args.Length)
                    throw new QueryException($"Rule {call.Name} takes {rule.Branches[0].Head.Length} arguments, called with {call.Args.Length} in {QueryException.Form(call.Form)}");
            }
    }

    private static IEnumerable<RuleCall> CallsIn(Clause c, bool intoNot) => c switch
    {
        RuleCall r => [r],
        OrClause o => o.Branches.SelectMany(b => b).SelectMany(x => CallsIn(x, intoNot)),
        NotClause n when intoNot => n.Body.SelectMany(x => CallsIn(x, intoNot)),
        _ => [],
    };

    public Relation Call(RuleCall call, Relation rel, QueryContext ctx, RuleCall? deltaCall)
    {
        var rule = _rules.GetValueOrDefault(call.Name) ?? throw new QueryException($"Unknown rule '{call.Name} in {QueryException.Form(call.Form)}");
        var n = call.Args.Length;
        var bound = new bool[n];
        var slots = new int[n];
        for (var i = 0; i < n; i++)
        {
            var a = call.Args[i];
            slots[i] = Terms.IsVar(a) ? rel.IndexOf((Symbol)a!) : -1;
            bound[i] = Terms.IsConst(a) || slots[i] >= 0;
        }
        foreach (var b in rule.Branches)
            for (var i = 0; i < b.Required; i++)
                if (!bound[i])
                    throw new QueryException($"Insufficient bindings: {QueryException.Vars([b.Head[i]])} is required by rule {call.Name} and not bound in {QueryException.Form(call.Form)}");
        var key = call.Name.FullName + "/" + string.Concat(bound.Select(x => x ? 'b' : 'f'));
        if (!_tables.TryGetValue(key, out var table))
        {
            _tables[key] = table = new Table(rule, bound);
            _order.Add(table);
        }
        foreach (var row in rel.Rows)
        {
            var seed = new object?[bound.Count(x => x)];
            var k = 0;
            for (var i = 0; i < n; i++)
                if (bound[i]) seed[k++] = slots[i] >= 0 ? row[slots[i]] : call.Args[i];
            if (table.SeedSet.Add(seed)) table.Seeds.Add(seed);
        }
        if (!_solving) Solve(ctx);
        IEnumerable<object?[]> answers = ReferenceEquals(deltaCall, call) ? table.DeltaPrev : table.Answers;

        // the answers as a relation over the call's variables
        var vars = new List<Symbol>();
        var pos = new int[n];
        for (var i = 0; i < n; i++)
        {
            pos[i] = -1;
            if (Terms.IsVar(call.Args[i]))
            {
                var s = (Symbol)call.Args[i]!;
                var j = vars.IndexOf(s);
                if (j < 0) { j = vars.Count; vars.Add(s); }
                pos[i] = j;
            }
        }
        var rows = new List<object?[]>();
        foreach (var ans in answers)
        {
            var r = new object?[vars.Count];
            var set = new bool[vars.Count];
            var ok = true;
            for (var i = 0; i < n && ok; i++)
            {
                if (pos[i] >= 0)
                {
                    if (!set[pos[i]]) { r[pos[i]] = ans[i]; set[pos[i]] = true; }
                    else ok = QueryBuiltIns.ValueEquals(r[pos[i]], ans[i]);
                }
                else if (Terms.IsConst(call.Args[i])) ok = QueryBuiltIns.ValueEquals(call.Args[i], ans[i]);
            }
            if (ok) rows.Add(r);
        }
        return Relation.Join(rel, new Relation(vars.ToArray(), rows), ctx);
    }

    private void Solve(QueryContext ctx)
    {
        _solving = true;
        try
        {
            while (true)
            {
                var tables = _order.ToList();
                var from = new int[tables.Count];
                var to = new int[tables.Count];
                var work = false;
                for (var i = 0; i < tables.Count; i++)
                {
                    var t = tables[i];
                    from[i] = t.Processed;
                    to[i] = t.Seeds.Count;
                    t.DeltaPrev = t.DeltaCur;
                    t.DeltaCur = [];
                    work |= to[i] > from[i] || t.DeltaPrev.Count > 0;
                }
                if (!work) break;
                var anyDelta = tables.Any(t => t.DeltaPrev.Count > 0);
                for (var i = 0; i < tables.Count; i++)
                {
                    var t = tables[i];
                    foreach (var branch in t.Rule.Branches)
                    {
                        if (to[i] > from[i]) Derive(t, branch, t.Seeds.GetRange(from[i], to[i] - from[i]), null, ctx);
                        if (anyDelta && from[i] > 0)
                            foreach (var call in CallsOf(branch))
                                Derive(t, branch, t.Seeds.GetRange(0, from[i]), call, ctx);
                    }
                    t.Processed = to[i];
                }
            }
        }
        finally
        {
            _solving = false;
        }
    }

    private List<RuleCall> CallsOf(RuleBranch branch)
    {
        if (!_callsOf.TryGetValue(branch, out var calls))
            _callsOf[branch] = calls = branch.Body.SelectMany(c => CallsIn(c, intoNot: false)).ToList();
        return calls;
    }

    private void Derive(Table t, RuleBranch branch, List<object?[]> seeds, RuleCall? deltaCall, QueryContext ctx)
    {
        var head = branch.Head;
        var inVars = head.Where((_, i) => t.Bound[i]).ToArray();
        var input = new Relation(inVars, seeds);
        var result = Clauses.Run(branch.Body, input, ctx, deltaCall);
        var idx = head.Select(result.IndexOf).ToArray();
        for (var i = 0; i < idx.Length; i++)
            if (idx[i] < 0)
                throw new QueryException($"Insufficient bindings: {head[i]} of rule {t.Rule.Name} is not bound by its body {QueryException.Form(branch.Form)}");
        foreach (var row in result.Rows)
        {
            var ans = new object?[idx.Length];
            for (var i = 0; i < idx.Length; i++) ans[i] = row[idx[i]];
            if (t.Answers.Add(ans)) t.DeltaCur.Add(ans);
        }
        ctx.Count(result.Rows.Count + 1);
    }
}
