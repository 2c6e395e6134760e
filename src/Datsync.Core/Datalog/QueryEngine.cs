using System.Collections;

namespace Datsync.Core;

/// <summary>The state of one query run: its sources, its rules and how many tuples it has made so far.</summary>
internal sealed class QueryContext
{
    /// <summary>How many tuples one query may produce in all before it is stopped.</summary>
    public const long MaxTuples = 20_000_000;

    public readonly Dictionary<Symbol, object?> Sources = new();
    public RuleEngine? Rules;
    /// <summary>Run the clauses in the order written (DataScript's), not the planner's: to test the planner against.</summary>
    public readonly bool WrittenOrder;
    /// <summary>Records each clause run, for <see cref="Db.Explain(string, object?[])"/>; null: nothing is recorded.</summary>
    public readonly QueryTrace? Trace;
    /// <summary>Told of every clause before it runs (what a live query reads); null: nobody.</summary>
    public IClauseObserver? Observer;
    // shared by the contexts of one query (sub-contexts of not/or with another source, nested rule engines)
    private readonly long[] _tuples;

    public QueryContext(QueryOptions? options = null, QueryTrace? trace = null)
    {
        _tuples = new long[1];
        WrittenOrder = options is { Planner: false };
        Trace = trace;
    }

    private QueryContext(QueryContext parent)
    {
        _tuples = parent._tuples;
        Rules = parent.Rules;
        WrittenOrder = parent.WrittenOrder;
        Trace = parent.Trace;
        Observer = parent.Observer;
        foreach (var (k, v) in parent.Sources) Sources[k] = v;
    }

    /// <summary>A context of the same query with its own sources and rule tables, to change them.</summary>
    public QueryContext Branch() => new(this);

    public void Count(long n)
    {
        _tuples[0] += n;
        if (_tuples[0] > MaxTuples) throw new QueryException($"Query stopped: it produced over {MaxTuples} intermediate tuples");
    }

    public object Source(Symbol name, object form) =>
        Sources.TryGetValue(name, out var s) && s is not null ? s : throw new QueryException($"There is no source {name} for {QueryException.Form(form)}; add it to :in");
}

/// <summary>How a query runs, for tests. INTERNAL API.</summary>
/// <param name="Planner">False: the clauses run in the order written, as DataScript runs them (a predicate before its
/// arguments are bound is an error).</param>
internal sealed record QueryOptions(bool Planner = true);

/// <summary>Runs parsed queries: binds the inputs, orders the clauses, joins their relations, then finds.</summary>
internal static class QueryEngine
{
    private static readonly object Unset = new();

    /// <summary>Runs a query given as text or data; <paramref name="inputs"/> starts with the default source;
    /// <paramref name="observer"/> is told of every clause before it runs.</summary>
    public static object? Run(object query, object?[] inputs, QueryOptions? options = null, QueryTrace? trace = null, IClauseObserver? observer = null)
    {
        var form = query;
        try
        {
            var q = query is string text ? QueryCache.Parse(text) : QueryCache.Parse(query);
            form = q.Form;
            return RunParsed(q, inputs, new QueryContext(options, trace) { Observer = observer });
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new QueryException($"Query data nested too deep for this thread's stack in {QueryException.Form(form)}", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException
                                       or OverflowException or FormatException or KeyNotFoundException)
        {
            // values the engine cannot handle (a pull nested too deep, a map with a repeated key, ...) fail the query only
            throw new QueryException($"Query failed: {e.Message} in {QueryException.Form(form)}", e);
        }
    }

    private static object? RunParsed(ParsedQuery q, object?[] inputs, QueryContext ctx)
    {
        var rel = BindInputs(q, inputs, ctx);
        ctx.Rules?.Validate(q.Where);
        rel = Clauses.Run(q.Where, rel, ctx, null);
        return Find.Result(q, rel, ctx);
    }

    private static Relation BindInputs(ParsedQuery q, object?[] inputs, QueryContext ctx)
    {
        var bindings = q.In;
        var offset = 0;
        if (bindings.Length == 0 || bindings[0] is not BindSource { Name.Name: "$" })
        {
            ctx.Sources[Terms.DefaultSource] = inputs[0];
            offset = 1;
        }
        if (inputs.Length - offset != bindings.Length)
            throw new QueryException($"Wrong number of arguments for bindings {EdnPrinter.DescribeText("[" + string.Join(" ", bindings.Select(Describe)) + "]")}, {bindings.Length} required, {inputs.Length - offset} provided, in {QueryException.Form(q.Form)}");
        var rel = Relation.Unit();
        for (var i = 0; i < bindings.Length; i++)
        {
            var value = inputs[i + offset];
            switch (bindings[i])
            {
                case BindSource s:
                    if (value is not Db && (value is null or string || value is not IEnumerable))
                        throw new QueryException($"Source {s.Name} must be a database or a collection of tuples, got {QueryException.Form(value)}");
                    ctx.Sources[s.Name] = value is Db ? value : ((IEnumerable)value).Cast<object?>().ToList();
                    break;
                case BindRules:
                    ctx.Rules = new RuleEngine(QueryCache.ParseRules(value));
                    break;
                default:
                    var b = bindings[i];
                    var vars = new List<Symbol>();
                    b.CollectVars(vars);
                    var rows = Expand(b, value, vars, q.Form);
                    ctx.Count(rows.Count);
                    rel = Relation.Join(rel, new Relation(vars.ToArray(), rows), ctx);
                    break;
            }
        }
        return rel;
    }

    private static string Describe(Binding b) => b switch
    {
        BindSource s => s.Name.FullName,
        BindRules => "%",
        BindScalar s => s.Var.FullName,
        BindIgnore => "_",
        BindColl c => "[" + Describe(c.Item) + " ...]",
        BindTuple t => "[" + string.Join(" ", t.Items.Select(Describe)) + "]",
        _ => "?",
    };

    /// <summary>The tuples a value gives a binding, over <paramref name="vars"/> (the binding's variables in order).</summary>
    public static List<object?[]> Expand(Binding b, object? value, List<Symbol> vars, object form)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (b)
        {
            case BindIgnore:
                return [Fresh(vars.Count)];
            case BindScalar s:
            {
                var row = Fresh(vars.Count);
                row[vars.IndexOf(s.Var)] = value;
                return [row];
            }
            case BindColl c:
            {
                if (value is null or string or IReadOnlyDictionary<object, object?> || value is not IEnumerable items)
                    throw new QueryException($"Cannot bind value {QueryException.Form(value)} to collection {Describe(b)} in {QueryException.Form(form)}");
                var rows = new List<object?[]>();
                foreach (var item in items) rows.AddRange(Expand(c.Item, item, vars, form));
                return rows;
            }
            case BindTuple t:
            {
                if (value is null or string || value is not IEnumerable items)
                    throw new QueryException($"Cannot bind value {QueryException.Form(value)} to tuple {Describe(b)} in {QueryException.Form(form)}");
                var list = items.Cast<object?>().ToList();
                if (list.Count < t.Items.Length)
                    throw new QueryException($"Not enough elements in a collection {QueryException.Form(value)} to bind tuple {Describe(b)} in {QueryException.Form(form)}");
                var rows = new List<object?[]> { Fresh(vars.Count) };
                for (var i = 0; i < t.Items.Length; i++)
                {
                    var part = Expand(t.Items[i], list[i], vars, form);
                    var next = new List<object?[]>();
                    foreach (var r in rows)
                        foreach (var p in part)
                            if (Merge(r, p) is { } m) next.Add(m);
                    rows = next;
                }
                return rows;
            }
            default:
                throw new QueryException($"Cannot bind {Describe(b)} here in {QueryException.Form(form)}");
        }
    }

    private static object?[] Fresh(int n)
    {
        var row = new object?[n];
        Array.Fill(row, Unset);
        return row;
    }

    private static object?[]? Merge(object?[] a, object?[] b)
    {
        var r = (object?[])a.Clone();
        for (var i = 0; i < r.Length; i++)
        {
            if (ReferenceEquals(b[i], Unset)) continue;
            if (ReferenceEquals(r[i], Unset)) r[i] = b[i];
            else if (!QueryBuiltIns.ValueEquals(r[i], b[i])) return null;
        }
        return r;
    }

    internal static bool IsUnset(object? o) => ReferenceEquals(o, Unset);
}
