using System.CommandLine;
using Datsync.Core;

namespace Datsync.Cli.Commands;

/// <summary>A query given on the command line (<c>datsync query</c>, <c>datsync replica --query</c>): read and
/// parsed before anything starts, then run on a value and printed as EDN, after its plan with <c>--explain</c>.</summary>
internal sealed class QueryOutput
{
    private readonly string _verb;
    private readonly string _query;
    private readonly object?[] _inputs;

    private QueryOutput(string verb, string query, object?[] inputs)
    {
        _verb = verb;
        _query = query;
        _inputs = inputs;
    }

    /// <summary>The query's text.</summary>
    public string Text => _query;

    /// <summary>Its inputs after <c>$</c>.</summary>
    public object?[] Inputs => _inputs;

    public static Option<bool> ExplainOption() => new("--explain")
    {
        Description = "Print the plan first: the clauses in the order they ran, the index or join each used, the planner's estimate and the tuples in and out; the result is then the last line",
    };

    /// <summary>The query and its inputs read; a malformed query or an input that is not EDN is a
    /// <see cref="CliException"/> (exit 1) naming it.</summary>
    public static QueryOutput Read(string verb, string query, IEnumerable<string>? inputs)
    {
        object?[] values;
        try { values = (inputs ?? []).Select(EdnReader.Read).ToArray(); }
        catch (EdnReadException e) { throw new CliException($"an input is not EDN: {e.Message}"); }
        // the checks that need no database (syntax, unknown variables, :in), before a master is opened or reached
        try { QueryCache.Parse(query); }
        catch (QueryException e) { throw new CliException(e.Message); }
        return new QueryOutput(verb, query, values);
    }

    /// <summary>Runs the query on <paramref name="db"/> and prints the result (after the plan with
    /// <paramref name="explain"/>); 0, or 1 with one line on standard error when the query fails.</summary>
    public int Print(Db db, bool explain)
    {
        string text;
        try
        {
            if (explain)
            {
                var plan = db.Explain(_query, _inputs);
                text = plan + Environment.NewLine + EdnPrinter.Print(plan.Result);
            }
            else text = EdnPrinter.Print(db.Q(_query, _inputs));
        }
        catch (QueryException e) { return CliSupport.Error(_verb, e.Message); }
        Console.Out.WriteLine(text);
        return 0;
    }
}
