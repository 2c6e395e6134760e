namespace Datsync.Core;

public sealed partial class Db
{
    /// <summary>
    /// Runs a Datalog query (DataScript's language) written as EDN, e.g.
    /// <c>[:find ?n :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(&gt;= ?a ?min)]]</c>.
    /// This value is the first input <c>$</c> (a query without <c>:in</c> means <c>:in $</c>); <paramref name="inputs"/>
    /// fill the rest of <c>:in</c> in order: a <see cref="Db"/> or a collection of tuples for <c>$name</c>, a value for
    /// <c>?x</c>, a collection for <c>[?x ...]</c>, <c>[?a ?b]</c> and <c>[[?a ?b]]</c>, rules (EDN data or text) for
    /// <c>%</c>. When <c>:in</c> does not start with <c>$</c>, this value is still the default source and the inputs
    /// fill every binding.
    /// </summary>
    /// <returns>By find spec: an <see cref="EdnSet"/> of <see cref="EdnVector"/>s (relation; an <see cref="EdnVector"/>
    /// of them with <c>:with</c> and no aggregate), an <see cref="EdnVector"/> (<c>[?x ...]</c> or <c>[?x ?y]</c>), a
    /// value (<c>?x .</c>), or maps for <c>:keys</c>/<c>:strs</c>/<c>:syms</c>; null when a scalar or tuple finds nothing.</returns>
    /// <remarks>The parse of a query (and of the rules given for <c>%</c>) is kept for the next run of the same text
    /// or data, up to a bound; the order of its clauses is planned again on every run, from this value's data.</remarks>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public object? Q(string query, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(query);
        return QueryEngine.Run(query, WithThis(inputs));
    }

    /// <summary>Runs a Datalog query given as data as <see cref="EdnReader"/> reads it (a vector <c>[:find ...]</c> or a map
    /// <c>{:find [...] ...}</c>; vectors are <see cref="EdnVector"/>s or any other lists, calls are <see cref="EdnList"/>s);
    /// see <see cref="Q(string, object?[])"/>.</summary>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public object? Q(object queryForm, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(queryForm);
        return QueryEngine.Run(queryForm, WithThis(inputs));
    }

    /// <summary>A query that finds one value (<c>[:find ?x . ...]</c>), as <typeparamref name="T"/>; <c>default</c>
    /// when it finds nothing. Values convert as <see cref="Entity.Get{T}"/>'s do (an entity id to <c>long</c>, an
    /// integer to a narrower integral type that holds it).</summary>
    /// <exception cref="QueryException">The query is malformed or fails, finds another shape, or its value is not a
    /// <typeparamref name="T"/>.</exception>
    public T? QScalar<T>(string query, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (QueryCache.Parse(query).Shape != FindShape.Scalar)
            throw new QueryException($"QScalar needs a find of one value ([:find ?x . ...]), not {QueryException.Form(query)}");
        return Typed<T>(Q(query, inputs), "the value");
    }

    /// <summary>A query that finds a collection (<c>[:find [?x ...] ...]</c>) or one column of tuples
    /// (<c>[:find ?x ...]</c>), each value as <typeparamref name="T"/>.</summary>
    /// <exception cref="QueryException">The query is malformed or fails, finds another shape, or a value is not a
    /// <typeparamref name="T"/>.</exception>
    public IReadOnlyList<T> QCollection<T>(string query, params object?[] inputs) => Q(query, inputs) switch
    {
        EdnVector v when QueryCache.Parse(query).Shape == FindShape.Collection => v.Select(x => Typed<T>(x, "a value")!).ToArray(),
        EdnSet rows => rows.Select(r => r is EdnVector { Count: 1 } t ? Typed<T>(t[0], "a value")!
            : throw new QueryException($"QCollection needs a find of one element, not {QueryException.Form(query)}")).ToArray(),
        _ => throw new QueryException($"QCollection needs a find of a collection or of one element, not {QueryException.Form(query)}"),
    };

    /// <summary>A query that finds tuples of two elements (<c>[:find ?a ?b ...]</c>), as typed pairs.</summary>
    /// <exception cref="QueryException">The query is malformed or fails, finds another shape, or a value is not of its
    /// element's type.</exception>
    public IReadOnlyList<(T1, T2)> QTuples<T1, T2>(string query, params object?[] inputs) =>
        Rows(query, inputs, 2).Select(r => (Typed<T1>(r[0], "element 1")!, Typed<T2>(r[1], "element 2")!)).ToArray();

    /// <summary>A query that finds tuples of three elements (<c>[:find ?a ?b ?c ...]</c>), as typed triples.</summary>
    /// <exception cref="QueryException">The query is malformed or fails, finds another shape, or a value is not of its
    /// element's type.</exception>
    public IReadOnlyList<(T1, T2, T3)> QTuples<T1, T2, T3>(string query, params object?[] inputs) =>
        Rows(query, inputs, 3).Select(r => (Typed<T1>(r[0], "element 1")!, Typed<T2>(r[1], "element 2")!, Typed<T3>(r[2], "element 3")!)).ToArray();

    private IEnumerable<EdnVector> Rows(string query, object?[] inputs, int width) => Q(query, inputs) switch
    {
        EdnSet rows => rows.Select(r => r is EdnVector t && t.Count == width ? t
            : throw new QueryException($"QTuples needs a find of {width} elements, not {QueryException.Form(query)}")),
        EdnVector rows when QueryCache.Parse(query).Shape == FindShape.Relation => rows.Cast<EdnVector>(), // with :with
        _ => throw new QueryException($"QTuples needs a find of {width} elements, not {QueryException.Form(query)}"),
    };

    private static T? Typed<T>(object? value, string what)
    {
        if (value is null) return default;
        return (T?)(TypedValues.As(typeof(T), value, out var why)
                    ?? throw new QueryException($"{what} of the query's result {why}"));
    }

    /// <summary>Runs a query as <see cref="Q(string, object?[])"/> does and returns, with its result, the plan it ran:
    /// the <c>:where</c> clauses in the order chosen, each with the index or join it used, the planner's estimate and
    /// the tuples it was given and made (<see cref="QueryPlan.ToString"/> prints it as a table).</summary>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public QueryPlan Explain(string query, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Explain((QueryOptions?)null, query, inputs);
    }

    /// <summary>Explains a query given as data; see <see cref="Explain(string, object?[])"/> and <see cref="Q(object, object?[])"/>.</summary>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public QueryPlan Explain(object queryForm, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(queryForm);
        return Explain((QueryOptions?)null, queryForm, inputs);
    }

    /// <summary>Runs a query with the given options (the clauses in written order, for tests). INTERNAL API.</summary>
    internal object? Q(QueryOptions options, object query, params object?[] inputs) => QueryEngine.Run(query, WithThis(inputs), options);

    /// <summary>Explains a query run with the given options (null: the defaults). INTERNAL API.</summary>
    internal QueryPlan Explain(QueryOptions? options, object query, params object?[]? inputs)
    {
        var trace = new QueryTrace();
        var result = QueryEngine.Run(query, WithThis(inputs), options, trace);
        return new QueryPlan(trace.Steps(), result);
    }

    private object?[] WithThis(object?[]? inputs)
    {
        var all = new object?[(inputs?.Length ?? 0) + 1];
        all[0] = this;
        inputs?.CopyTo(all, 1);
        return all;
    }
}
