using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Cli.Output;

/// <summary>How the CLI prints a transaction's outcome: <c>{:t T :tempids {...}}</c> or <c>{:error "category: message"}</c>,
/// each optionally led by <c>:tx N</c> (the input transaction's number, as <c>replay</c> prints it).</summary>
internal static class TxOutcome
{
    private static readonly Keyword Tx = Keyword.Intern("tx"), T = Keyword.Intern("t"),
        Tempids = Keyword.Intern("tempids"), Error = Keyword.Intern("error");

    public static string Accepted(long t, IReadOnlyDictionary<object, long> tempids, long? tx = null)
    {
        var ids = new EdnMap(tempids.OrderBy(kv => kv.Value).Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)));
        return EdnPrinter.Print(tx is { } n ? EdnMap.Of(Tx, n, T, t, Tempids, ids) : EdnMap.Of(T, t, Tempids, ids));
    }

    public static string Rejected(string error, long? tx = null) =>
        EdnPrinter.Print(tx is { } n ? EdnMap.Of(Tx, n, Error, error) : EdnMap.Of(Error, error));
}
