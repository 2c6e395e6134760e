namespace Datsync.Core;

/// <summary>
/// The parsed forms of recent queries and rule sets, so a query run again is not parsed again. Only what does not
/// depend on a database is kept: the parse (clauses, find spec, bindings, the variable checks). The order clauses run
/// in is planned on every run, since it follows the database's estimates.
/// </summary>
/// <remarks>A parsed query is immutable and shared by every run that uses it; each run has its own
/// <see cref="QueryContext"/>, relations and rule tables.</remarks>
internal static class QueryCache
{
    /// <summary>How many distinct queries (and, apart, rule sets) are kept; the least recently used goes first.</summary>
    public const int Capacity = 512;

    /// <summary>The longest query text (or rule text) kept, in characters, and the most values in query data kept: a
    /// few huge queries must not hold memory the way many small ones do not.</summary>
    public const int MaxSize = 16_384;

    private static readonly Lru<string, ParsedQuery> Texts = new(Capacity, StringComparer.Ordinal);
    private static readonly Lru<object, ParsedQuery> Forms = new(Capacity, EdnEquality.Instance);
    private static readonly Lru<string, Dictionary<Symbol, Rule>> RuleTexts = new(Capacity, StringComparer.Ordinal);
    private static readonly Lru<object, Dictionary<Symbol, Rule>> RuleForms = new(Capacity, EdnEquality.Instance);

    /// <summary>The query text read and parsed, or the parse of the same text before.</summary>
    public static ParsedQuery Parse(string text) => text.Length <= MaxSize
        ? Texts.GetOrAdd(text, static t => QueryParser.Parse(Read(t, "query")!))
        : QueryParser.Parse(Read(text, "query")!);

    /// <summary>The query data parsed, or the parse of equal data before (only for data whose equal values mean the
    /// same query, see <see cref="IsExact"/>).</summary>
    public static ParsedQuery Parse(object form) =>
        IsExact(form, top: true, MaxSize) ? Forms.GetOrAdd(form, QueryParser.Parse) : QueryParser.Parse(form);

    /// <summary>The rules of a <c>%</c> input (EDN text or data) parsed, or their parse before.</summary>
    public static Dictionary<Symbol, Rule> ParseRules(object? rules) => rules switch
    {
        string { Length: <= MaxSize } text => RuleTexts.GetOrAdd(text, static t => QueryParser.ParseRules(Read(t, "rules"))),
        not (null or string) when IsExact(rules, top: false, MaxSize) => RuleForms.GetOrAdd(rules, static r => QueryParser.ParseRules(r)),
        _ => QueryParser.ParseRules(rules),
    };

    /// <summary>How many parses are kept now (queries and rule sets), for tests.</summary>
    internal static int Count => Texts.Count + Forms.Count + RuleTexts.Count + RuleForms.Count;

    /// <summary>How many lookups found a kept parse, for tests.</summary>
    internal static long Hits => Texts.Hits + Forms.Hits + RuleTexts.Hits + RuleForms.Hits;

    private static object? Read(string text, string what)
    {
        try { return EdnReader.Read(text); }
        catch (EdnReadException e) { throw new QueryException($"Cannot read {what}: {e.Message}", e); }
    }

    /// <summary>
    /// True when data equal to <paramref name="form"/> (by <see cref="EdnEquality"/>) is the same query to the last
    /// detail: vectors, lists, symbols, keywords, strings, longs, booleans, characters and nil only (and a map at the
    /// top, whose key order means nothing). Numbers of other types (<c>12</c> equals <c>12N</c>, <c>1.0M</c> equals
    /// <c>1.00M</c>), nested maps and sets (their order shows in results) and mutable lists are parsed every time, and
    /// so is data of more than <paramref name="size"/> values.
    /// </summary>
    private static bool IsExact(object? form, bool top, int size)
    {
        var left = size;
        return Exact(form, top, 0, ref left);
    }

    private static bool Exact(object? form, bool top, int depth, ref int left)
    {
        if (depth > 64 || --left < 0) return false;
        switch (form)
        {
            case null or Keyword or Symbol or string or long or bool or char:
                return true;
            case EdnSequence seq:
                foreach (var x in seq)
                    if (!Exact(x, false, depth + 1, ref left)) return false;
                return true;
            case EdnMap map when top:
                foreach (var (k, v) in map)
                    if (!Exact(k, false, depth + 1, ref left) || !Exact(v, false, depth + 1, ref left)) return false;
                return true;
            default:
                return false;
        }
    }

    /// <summary>A bounded map kept in least-recently-used order, safe to share between threads.</summary>
    private sealed class Lru<TKey, TValue>(int capacity, IEqualityComparer<TKey> comparer) where TKey : notnull
    {
        private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = new(comparer);
        private readonly LinkedList<(TKey Key, TValue Value)> _order = new();
        private readonly Lock _lock = new();
        private long _hits;

        public int Count { get { lock (_lock) return _map.Count; } }

        public long Hits => Interlocked.Read(ref _hits);

        public TValue GetOrAdd(TKey key, Func<TKey, TValue> make)
        {
            lock (_lock)
            {
                if (_map.TryGetValue(key, out var node))
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                    Interlocked.Increment(ref _hits);
                    return node.Value.Value;
                }
            }
            // parsed outside the lock (a failure is not kept); two threads parsing the same new query keep the first
            var value = make(key);
            lock (_lock)
            {
                if (_map.TryGetValue(key, out var node)) return node.Value.Value;
                _map[key] = _order.AddFirst((key, value));
                if (_map.Count > capacity)
                {
                    _map.Remove(_order.Last!.Value.Key);
                    _order.RemoveLast();
                }
                return value;
            }
        }
    }
}
