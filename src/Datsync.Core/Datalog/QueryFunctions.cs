using System.Collections.Concurrent;

namespace Datsync.Core;

/// <summary>
/// Functions, predicates and aggregates written in C# that queries call by symbol, next to the built-ins:
/// <c>QueryFunctions.Register("my/score", args => ...)</c>, then <c>[(my/score ?x) ?s]</c> in <c>:where</c>.
/// Process-wide; a built-in's name cannot be taken.
/// </summary>
public static class QueryFunctions
{
    private static readonly ConcurrentDictionary<string, Func<object?[], object?>> Functions = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Func<IReadOnlyList<object?>, object?>> Aggregates = new(StringComparer.Ordinal);

    /// <summary>Registers (or replaces) a function or predicate; a predicate keeps a row when it returns neither
    /// null nor false. Arguments arrive as decoded values (long, string, Keyword, ...), a source as its <see cref="Db"/>.</summary>
    /// <exception cref="ArgumentException">The symbol names a built-in.</exception>
    public static void Register(string symbol, Func<object?[], object?> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (QueryBuiltIns.IsBuiltIn(symbol)) throw new ArgumentException($"{symbol} is a built-in query function", nameof(symbol));
        Functions[symbol] = function;
    }

    /// <summary>Registers (or replaces) an aggregate for <c>:find</c>: it gets the group's values (repeats kept).</summary>
    /// <exception cref="ArgumentException">The symbol names a built-in aggregate.</exception>
    public static void RegisterAggregate(string symbol, Func<IReadOnlyList<object?>, object?> aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (QueryAggregates.IsBuiltIn(symbol)) throw new ArgumentException($"{symbol} is a built-in aggregate", nameof(symbol));
        Aggregates[symbol] = aggregate;
    }

    /// <summary>Removes a registered function or aggregate; true when there was one.</summary>
    public static bool Unregister(string symbol) =>
        Functions.TryRemove(symbol, out _) | Aggregates.TryRemove(symbol, out _);

    internal static Func<object?[], object?>? Function(string symbol) => Functions.GetValueOrDefault(symbol);

    internal static Func<IReadOnlyList<object?>, object?>? Aggregate(string symbol) => Aggregates.GetValueOrDefault(symbol);
}
