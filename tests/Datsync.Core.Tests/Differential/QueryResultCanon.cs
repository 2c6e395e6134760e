using System.Globalization;
using System.Text.Json;
using Datsync.Core;

namespace Datsync.Core.Tests.Differential;

/// <summary>
/// A query result in difftest.py's canonical form (shared/oracle/difftest.py, canon_result and query_agrees), so that
/// ours and DataScript's compare as the oracle compares them: relations, collections and collection-valued aggregates
/// as multisets, map keys by name, many-valued pulled attributes as multisets, numbers to ten digits and then within
/// 1e-9 relative (a long 2 equals a double 2.0), and a scalar or tuple find equal to any row DataScript admits.
/// </summary>
internal sealed class QueryResultCanon
{
    private readonly string _tag;
    private readonly string? _text;
    private readonly double _number;
    private readonly IReadOnlyList<QueryResultCanon> _items;
    private readonly string _repr;

    private QueryResultCanon(string tag, string? text = null, double number = 0, IEnumerable<QueryResultCanon>? items = null, bool sort = false)
    {
        _tag = tag;
        _text = text;
        _number = number;
        var list = (items ?? []).ToList();
        if (sort) list.Sort((a, b) => string.CompareOrdinal(a._repr, b._repr));
        _items = list;
        _repr = tag + "(" + (text is null ? "" : JsonSerializer.Serialize(text)) + (tag == "n" ? number.ToString("R", CultureInfo.InvariantCulture) : "")
            + string.Join(",", _items.Select(i => i._repr)) + ")";
    }

    public override string ToString() => _repr;

    /// <summary>Equal, numbers within 1e-9 relative (as difftest.py's approx).</summary>
    public bool Agrees(QueryResultCanon other)
    {
        if (_tag != other._tag || _text != other._text || _items.Count != other._items.Count) return false;
        if (_tag == "n" && _number != other._number)
        {
            var diff = Math.Abs(_number - other._number);
            if (diff > Math.Max(1e-9 * Math.Max(Math.Abs(_number), Math.Abs(other._number)), 1e-12)) return false;
        }
        for (var i = 0; i < _items.Count; i++)
            if (!_items[i].Agrees(other._items[i])) return false;
        return true;
    }

    /// <summary>Whether our result agrees with DataScript's entry (<c>ok</c>, <c>result</c>, <c>choices</c>) for a query of this shape.</summary>
    public static bool Agree(JsonElement shape, object? ours, JsonElement ds)
    {
        var s = new Shape(shape);
        if (Result(s, ours).Agrees(Result(s, FromJson(ds.GetProperty("result"))))) return true;
        if (s.Find is "scalar" or "tuple" && ds.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            var o = Result(s, ours);
            foreach (var row in choices.EnumerateArray())
            {
                var r = FromJson(row);
                if (o.Agrees(s.Find == "scalar" ? r is IReadOnlyList<object?> { Count: > 0 } l ? Elem(s.Elems[0], l[0]) : Bad(r) : Row(s, r))) return true;
            }
        }
        return false;
    }

    private sealed class Shape(JsonElement shape)
    {
        public readonly string Find = shape.GetProperty("find").GetString()!;
        public readonly string[] Elems = shape.GetProperty("elems").EnumerateArray().Select(e => e.GetString()!).ToArray();
        public readonly string[]? Keys = shape.GetProperty("keys").ValueKind == JsonValueKind.Array
            ? shape.GetProperty("keys").EnumerateArray().Select(e => e.GetString()!).ToArray() : null;
    }

    /// <summary>DataScript's clj->js result as plain values: arrays as lists, objects as maps with string keys, numbers as doubles.</summary>
    private static object? FromJson(JsonElement x) => x.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => x.GetDouble(),
        JsonValueKind.String => x.GetString(),
        JsonValueKind.Array => x.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => x.EnumerateObject().ToDictionary(p => (object)p.Name, p => FromJson(p.Value)),
        _ => throw new InvalidOperationException($"unexpected JSON {x}"),
    };

    private static bool IsMap(object? x) => x is IReadOnlyDictionary<object, object?> or IDictionary<object, object?>;

    private static IEnumerable<KeyValuePair<object, object?>> Entries(object x) =>
        x as IEnumerable<KeyValuePair<object, object?>> ?? throw new InvalidOperationException($"not a map: {x}");

    private static bool IsSeq(object? x) => x is System.Collections.IEnumerable and not string && !IsMap(x);

    private static string MapKey(object k) => k switch
    {
        Keyword kw => kw.FullName,
        Symbol sym => sym.FullName,
        _ => Convert.ToString(k, CultureInfo.InvariantCulture)!,
    };

    private static QueryResultCanon Bad(object? x) => new("bad", x is null ? "nil" : EdnPrinter.Print(x));

    private static QueryResultCanon Val(object? x) => x switch
    {
        null => new("nil"),
        bool b => new("b", b ? "true" : "false"),
        long or int or short or byte or double or float or decimal or System.Numerics.BigInteger => Number(Convert.ToDouble(x, CultureInfo.InvariantCulture)),
        Keyword k => new("kw", k.FullName),
        Symbol s => new("sym", s.FullName),
        string s => new("s", s),
        _ when IsMap(x) => new("m", items: Entries(x!).Select(e => Pair(MapKey(e.Key), Val(e.Value))), sort: true),
        EdnSet set => new("set", items: set.Select(Val), sort: true),
        System.Collections.IEnumerable seq => new("v", items: seq.Cast<object?>().Select(Val)),
        _ => new("?", EdnPrinter.Print(x)),
    };

    private static QueryResultCanon Number(double d)
    {
        var v = double.Parse(d.ToString("G10", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return new("n", number: v == 0 ? 0.0 : v);
    }

    private static QueryResultCanon Pair(string key, QueryResultCanon v) => new("kv", key, items: [v]);

    private static QueryResultCanon Multiset(object? xs, Func<object?, QueryResultCanon> f) =>
        IsSeq(xs) ? new("ms", items: ((System.Collections.IEnumerable)xs!).Cast<object?>().Select(f), sort: true) : Bad(xs);

    private static QueryResultCanon Pull(object? x) => IsMap(x)
        ? new("m", items: Entries(x!).Select(e => Pair(MapKey(e.Key), IsSeq(e.Value) ? Multiset(e.Value, Pull) : Pull(e.Value))), sort: true)
        : Val(x);

    private static QueryResultCanon Elem(string kind, object? v) => kind switch
    {
        "pull" => Pull(v),
        "set" or "coll" => Multiset(v, Val), // (distinct ?x); (min n ?x), (max n ?x)
        _ => Val(v),
    };

    private static QueryResultCanon Row(Shape s, object? row)
    {
        if (s.Keys is { } keys)
        {
            if (!IsMap(row)) return Bad(row);
            var d = Entries(row!).ToDictionary(e => MapKey(e.Key), e => e.Value);
            if (!d.Keys.Order(StringComparer.Ordinal).SequenceEqual(keys.Order(StringComparer.Ordinal)))
                return new("bad-keys", string.Join(" ", d.Keys.Order(StringComparer.Ordinal)));
            return new("row", items: keys.Zip(s.Elems, (n, k) => Pair(n, Elem(k, d[n]))));
        }
        if (!IsSeq(row) || row is EdnSet) return Bad(row);
        var items = ((System.Collections.IEnumerable)row!).Cast<object?>().ToList();
        if (items.Count != s.Elems.Length) return Bad(row);
        return new("row", items: s.Elems.Zip(items, Elem));
    }

    private static QueryResultCanon Result(Shape s, object? x) => s.Find switch
    {
        "rel" => Multiset(x, row => Row(s, row)),
        "coll" => Multiset(x, v => Elem(s.Elems[0], v)),
        _ when x is null => new("nil"),
        "scalar" => Elem(s.Elems[0], x),
        _ => Row(s, x),
    };
}
