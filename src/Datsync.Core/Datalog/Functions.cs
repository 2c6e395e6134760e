namespace Datsync.Core;

/// <summary>Predicates <c>[(pred args...)]</c> and functions <c>[(f args...) binding]</c>, row by row.</summary>
internal static class Functions
{
    /// <summary>The predicates applied one after the other.</summary>
    public static Relation Filter(Relation rel, IReadOnlyList<FunctionClause> predicates, QueryContext ctx)
    {
        foreach (var f in predicates) rel = Apply(f, rel, ctx);
        return rel;
    }

    public static Relation Apply(FunctionClause f, Relation rel, QueryContext ctx)
    {
        var unbound = f.ArgVars.Where(v => !rel.Has(v)).ToList();
        if (unbound.Count > 0)
            throw new QueryException($"Insufficient bindings: none of {QueryException.Vars(unbound)} is bound in {QueryException.Form(f.Form)}");
        // a comparison runs on the row's values directly: no argument array per row, no call through the table
        if (Comparison.Compile(f, rel.IndexOf) is { } cmp)
            return new Relation(rel.Vars, rel.Rows.Where(cmp.Test).ToList(), rel.Distinct, rel.Fixed);
        var fnSlot = Terms.IsVar(f.Fn) ? rel.IndexOf(f.Fn) : -1;
        var named = fnSlot >= 0 ? null
            : QueryBuiltIns.Find(f.Fn.FullName) ?? throw new QueryException($"Unknown function '{f.Fn} in {QueryException.Form(f.Form)}");
        var argSlots = f.Args.Select(a => Terms.IsVar(a) ? rel.IndexOf((Symbol)a!) : -1).ToArray();
        var args = new object?[f.Args.Length];
        for (var i = 0; i < args.Length; i++)
            if (argSlots[i] < 0) args[i] = Terms.IsSource(f.Args[i]) ? ctx.Source((Symbol)f.Args[i]!, f.Form) : f.Args[i];

        object? Call(object?[] row)
        {
            for (var i = 0; i < args.Length; i++) if (argSlots[i] >= 0) args[i] = row[argSlots[i]];
            var fn = named ?? row[fnSlot] as Func<object?[], object?>
                ?? throw new QueryException($"{f.Fn} is bound to {QueryException.Form(row[fnSlot])}, which is not a function (Func<object?[], object?>), in {QueryException.Form(f.Form)}");
            try { return fn((object?[])args.Clone()); }
            catch (QueryException e) { throw new QueryException($"{e.Message} in {QueryException.Form(f.Form)}", e); }
            catch (Exception e) when (e is not OutOfMemoryException and not InsufficientExecutionStackException)
            {
                throw new QueryException($"{e.GetType().Name}: {e.Message} in {QueryException.Form(f.Form)}", e);
            }
        }

        if (f.Binding is null)
        {
            var kept = rel.Rows.Where(r => Call(r) is not (null or false)).ToList();
            return new Relation(rel.Vars, kept, rel.Distinct, rel.Fixed);
        }
        var outVars = f.OutVars;
        var slots = outVars.Select(v => rel.IndexOf(v)).ToArray();
        var fresh = outVars.Where(v => !rel.Has(v)).ToArray();
        var freshIdx = fresh.Select(v => outVars.IndexOf(v)).ToArray();
        var vars = rel.Vars.Concat(fresh).ToArray();
        var rows = new List<object?[]>();
        foreach (var row in rel.Rows)
        {
            var value = Call(row);
            if (value is null) continue;
            foreach (var b in QueryEngine.Expand(f.Binding, value, outVars, f.Form))
            {
                var ok = true;
                for (var i = 0; i < slots.Length && ok; i++)
                    if (slots[i] >= 0) ok = QueryBuiltIns.ValueEquals(row[slots[i]], b[i]); // bound already: unify
                if (!ok) continue;
                var r = new object?[vars.Length];
                Array.Copy(row, r, row.Length);
                for (var i = 0; i < freshIdx.Length; i++) r[row.Length + i] = b[freshIdx[i]];
                rows.Add(r);
            }
            ctx.Count(1);
        }
        return new Relation(vars, rows);
    }
}
