namespace Datsync.Core;

/// <summary>
/// A Datalog query that cannot run: malformed, naming unknown variables, functions or rules, with too few bindings
/// for a predicate, or failing while it runs. The message names the offending form.
/// </summary>
public sealed class QueryException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public QueryException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and the error that caused it.</summary>
    public QueryException(string message, Exception inner) : base(message, inner) { }

    internal static string Form(object? form) => EdnPrinter.Describe(form);

    internal static string Vars(IEnumerable<Symbol> vars) => EdnPrinter.Describe(new EdnSet(vars));
}
