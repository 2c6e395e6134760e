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
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public object? Q(string query, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(query);
        object? form;
        try { form = EdnReader.Read(query); }
        catch (EdnReadException e) { throw new QueryException($"Cannot read query: {e.Message}", e); }
        return Q(form!, inputs);
    }

    /// <summary>Runs a Datalog query given as data as <see cref="EdnReader"/> reads it (a vector <c>[:find ...]</c> or a map
    /// <c>{:find [...] ...}</c>; vectors are <see cref="EdnVector"/>s or any other lists, calls are <see cref="EdnList"/>s);
    /// see <see cref="Q(string, object?[])"/>.</summary>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public object? Q(object queryForm, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(queryForm);
        var all = new object?[(inputs?.Length ?? 0) + 1];
        all[0] = this;
        inputs?.CopyTo(all, 1);
        return QueryEngine.Run(queryForm, all);
    }
}
