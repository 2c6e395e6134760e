namespace Datsync.Core;

/// <summary>The aggregates of <c>:find</c>, with DataScript's meaning.</summary>
internal static class QueryAggregates
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "sum", "avg", "median", "variance", "stddev", "count", "count-distinct", "distinct", "min", "max", "rand", "sample",
    };

    public static bool IsBuiltIn(string name) => Names.Contains(name);

    /// <summary>Aggregates one group's values; <paramref name="args"/> are the arguments before the variable.</summary>
    public static object? Apply(FindAggregate agg, object?[] args, List<object?> values)
    {
        var name = agg.Fn.FullName;
        if (!Names.Contains(name))
        {
            var custom = QueryFunctions.Aggregate(name) ?? throw new QueryException($"Unknown aggregate '{name}' in {QueryException.Form(agg.Form)}");
            return custom(values);
        }
        switch (name, args.Length)
        {
            case ("count", 0): return (long)values.Count;
            case ("count-distinct", 0): return (long)values.Distinct(ValueComparer.Instance).Count();
            case ("distinct", 0): return new EdnSet(values.Distinct(ValueComparer.Instance));
            case ("sum", 0): return Sum(values, agg);
            case ("avg", 0): return QueryBuiltIns.ToDouble(Sum(values, agg)) / values.Count;
            case ("median", 0): return Median(values, agg);
            case ("variance", 0): return Variance(values, agg);
            case ("stddev", 0): return Math.Sqrt(Variance(values, agg));
            case ("min", 0): return values.Aggregate((x, y) => QueryBuiltIns.Compare(y, x) < 0 ? y : x);
            case ("max", 0): return values.Aggregate((x, y) => QueryBuiltIns.Compare(y, x) > 0 ? y : x);
            case ("min", 1): return new EdnVector(Sorted(values).Take(Count(args[0], agg)));
            case ("max", 1): return new EdnVector(Sorted(values).AsEnumerable().Reverse().Take(Count(args[0], agg)));
            case ("rand", 0): return values[Random.Shared.Next(values.Count)];
            case ("rand", 1):
            {
                var n = Count(args[0], agg);
                return new EdnVector(Enumerable.Range(0, n).Select(_ => values[Random.Shared.Next(values.Count)]));
            }
            case ("sample", 1):
            {
                var distinct = values.Distinct(ValueComparer.Instance).ToArray();
                Random.Shared.Shuffle(distinct);
                return new EdnVector(distinct.Take(Count(args[0], agg)));
            }
            default:
                throw new QueryException($"Wrong number of arguments to aggregate {name} in {QueryException.Form(agg.Form)}");
        }
    }

    private static int Count(object? n, FindAggregate agg) => n is long l and >= 0 and <= QueryContext.MaxTuples
        ? (int)l
        : throw new QueryException($"Expected a count (a non-negative integer), got {QueryException.Form(n)} in {QueryException.Form(agg.Form)}");

    private static List<object?> Sorted(List<object?> values)
    {
        var copy = values.ToList();
        copy.Sort(QueryBuiltIns.Compare);
        return copy;
    }

    private static object Sum(List<object?> values, FindAggregate agg)
    {
        Check(values, agg);
        if (values.All(v => v is long))
        {
            long s = 0;
            try { foreach (var v in values) s = checked(s + (long)v!); return s; }
            catch (OverflowException) { return values.Sum(v => (double)(long)v!); }
        }
        return values.Sum(QueryBuiltIns.ToDouble);
    }

    private static object? Median(List<object?> values, FindAggregate agg)
    {
        Check(values, agg);
        var sorted = Sorted(values);
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (QueryBuiltIns.ToDouble(sorted[mid - 1]) + QueryBuiltIns.ToDouble(sorted[mid])) / 2;
    }

    private static double Variance(List<object?> values, FindAggregate agg)
    {
        Check(values, agg);
        var xs = values.Select(QueryBuiltIns.ToDouble).ToList();
        var mean = xs.Average();
        return xs.Sum(x => (x - mean) * (x - mean)) / xs.Count;
    }

    private static void Check(List<object?> values, FindAggregate agg)
    {
        foreach (var v in values)
            if (!QueryBuiltIns.IsNumber(v))
                throw new QueryException($"{agg.Fn} of a value that is not a number: {QueryException.Form(v)} in {QueryException.Form(agg.Form)}");
    }
}

/// <summary>Query value equality (numbers by value across types) as a comparer, for distinct values.</summary>
internal sealed class ValueComparer : IEqualityComparer<object?>
{
    public static readonly ValueComparer Instance = new();

    public new bool Equals(object? x, object? y) => QueryBuiltIns.ValueEquals(x, y);

    public int GetHashCode(object? obj) => obj switch
    {
        long l => ((double)l).GetHashCode(),
        int i => ((double)i).GetHashCode(),
        double d => d.GetHashCode(),
        float f => ((double)f).GetHashCode(),
        _ => EdnEquality.Instance.GetHashCode(obj),
    };
}

/// <summary>Equality of rows (value by value), for hash joins and distinct results.</summary>
internal sealed class RowComparer : IEqualityComparer<object?[]>
{
    public static readonly RowComparer Instance = new();

    public bool Equals(object?[]? x, object?[]? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null || x.Length != y.Length) return false;
        for (var i = 0; i < x.Length; i++)
            if (!ValueComparer.Instance.Equals(x[i], y[i])) return false;
        return true;
    }

    public int GetHashCode(object?[] obj)
    {
        var h = 17;
        foreach (var o in obj) h = unchecked(h * 31 + ValueComparer.Instance.GetHashCode(o));
        return h;
    }
}
