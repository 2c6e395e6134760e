using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Datsync.Core;

/// <summary>The functions and predicates every query may call, with DataScript's meaning.</summary>
internal static class QueryBuiltIns
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(5);

    private static readonly Dictionary<string, Func<object?[], object?>> Table = new(StringComparer.Ordinal)
    {
        ["="] = a => Chain(a, 1, (x, y) => ValueEquals(x, y)),
        ["=="] = a => Chain(a, 1, (x, y) => ValueEquals(x, y)),
        ["not="] = a => !(bool)Chain(a, 1, (x, y) => ValueEquals(x, y))!,
        ["!="] = a => !(bool)Chain(a, 1, (x, y) => ValueEquals(x, y))!,
        ["<"] = a => Chain(a, 1, (x, y) => Compare(x, y) < 0),
        [">"] = a => Chain(a, 1, (x, y) => Compare(x, y) > 0),
        ["<="] = a => Chain(a, 1, (x, y) => Compare(x, y) <= 0),
        [">="] = a => Chain(a, 1, (x, y) => Compare(x, y) >= 0),
        ["+"] = a => a.Aggregate((object?)0L, (x, y) => Arith(x, y, '+')),
        ["*"] = a => a.Aggregate((object?)1L, (x, y) => Arith(x, y, '*')),
        ["-"] = a => Arity(a, 1, int.MaxValue, "-") && a.Length == 1 ? Arith(0L, a[0], '-') : a.Skip(1).Aggregate(a[0], (x, y) => Arith(x, y, '-')),
        ["/"] = a => Arity(a, 1, int.MaxValue, "/") && a.Length == 1 ? Arith(1L, a[0], '/') : a.Skip(1).Aggregate(a[0], (x, y) => Arith(x, y, '/')),
        ["quot"] = a => Arity(a, 2, 2, "quot") ? Arith(a[0], a[1], 'q') : null,
        ["rem"] = a => Arity(a, 2, 2, "rem") ? Arith(a[0], a[1], 'r') : null,
        ["mod"] = a => Arity(a, 2, 2, "mod") ? Arith(a[0], a[1], 'm') : null,
        ["inc"] = a => Arity(a, 1, 1, "inc") ? Arith(a[0], 1L, '+') : null,
        ["dec"] = a => Arity(a, 1, 1, "dec") ? Arith(a[0], 1L, '-') : null,
        ["max"] = a => Arity(a, 1, int.MaxValue, "max") ? a.Aggregate((x, y) => Compare(Num(y), Num(x)) > 0 ? y : x) : null,
        ["min"] = a => Arity(a, 1, int.MaxValue, "min") ? a.Aggregate((x, y) => Compare(Num(y), Num(x)) < 0 ? y : x) : null,
        ["zero?"] = a => Arity(a, 1, 1, "zero?") && Sign(a[0]) == 0,
        ["pos?"] = a => Arity(a, 1, 1, "pos?") && Sign(a[0]) > 0,
        ["neg?"] = a => Arity(a, 1, 1, "neg?") && Sign(a[0]) < 0,
        ["even?"] = a => Arity(a, 1, 1, "even?") && Long(a[0], "even?") % 2 == 0,
        ["odd?"] = a => Arity(a, 1, 1, "odd?") && Long(a[0], "odd?") % 2 != 0,
        ["compare"] = a => Arity(a, 2, 2, "compare") ? (long)Math.Sign(Compare(a[0], a[1])) : null,
        ["str"] = a => string.Concat(a.Select(Str)),
        ["subs"] = a => Arity(a, 2, 3, "subs") ? Subs(a) : null,
        ["re-find"] = a => Arity(a, 2, 2, "re-find") ? ReFind(Re(a[0]), Text(a[1], "re-find")) : null,
        ["re-matches"] = a => Arity(a, 2, 2, "re-matches") ? ReMatches(Re(a[0]), Text(a[1], "re-matches")) : null,
        ["re-seq"] = a => Arity(a, 2, 2, "re-seq") ? ReSeq(Re(a[0]), Text(a[1], "re-seq")) : null,
        ["re-pattern"] = a => Arity(a, 1, 1, "re-pattern") ? Re(a[0]) : null,
        ["clojure.string/blank?"] = a => Arity(a, 1, 1, "blank?") && (a[0] is null || string.IsNullOrWhiteSpace(Text(a[0], "blank?"))),
        ["clojure.string/includes?"] = a => Arity(a, 2, 2, "includes?") && Text(a[0], "includes?").Contains(Text(a[1], "includes?"), StringComparison.Ordinal),
        ["clojure.string/starts-with?"] = a => Arity(a, 2, 2, "starts-with?") && Text(a[0], "starts-with?").StartsWith(Text(a[1], "starts-with?"), StringComparison.Ordinal),
        ["clojure.string/ends-with?"] = a => Arity(a, 2, 2, "ends-with?") && Text(a[0], "ends-with?").EndsWith(Text(a[1], "ends-with?"), StringComparison.Ordinal),
        ["identity"] = a => Arity(a, 1, 1, "identity") ? a[0] : null,
        ["vector"] = a => new EdnVector(a),
        ["list"] = a => new EdnList(a),
        ["hash-map"] = a => a.Length % 2 == 0 ? EdnMap.Of(a) : throw new QueryException("hash-map takes an even number of arguments"),
        ["count"] = a => Arity(a, 1, 1, "count") ? Count(a[0]) : null,
        ["nil?"] = a => Arity(a, 1, 1, "nil?") && a[0] is null,
        ["some?"] = a => Arity(a, 1, 1, "some?") && a[0] is not null,
        ["true?"] = a => Arity(a, 1, 1, "true?") && a[0] is true,
        ["false?"] = a => Arity(a, 1, 1, "false?") && a[0] is false,
        ["keyword"] = a => Arity(a, 1, 2, "keyword") ? MakeKeyword(a) : null,
        ["name"] = a => Arity(a, 1, 1, "name") ? a[0] switch { Keyword k => k.Name, Symbol s => s.Name, string s => s, _ => throw new QueryException($"name: {QueryException.Form(a[0])} is not a keyword, symbol or string") } : null,
        ["namespace"] = a => Arity(a, 1, 1, "namespace") ? a[0] switch { Keyword k => k.Namespace, Symbol s => s.Namespace, _ => throw new QueryException($"namespace: {QueryException.Form(a[0])} is not a keyword or symbol") } : null,
        ["type"] = a => Arity(a, 1, 1, "type") ? a[0]?.GetType().FullName : null,
        ["ground"] = a => Arity(a, 1, 1, "ground") ? a[0] : null,
        ["tuple"] = a => new EdnVector(a),
        ["untuple"] = a => Arity(a, 1, 1, "untuple") ? a[0] : null,
        ["get-else"] = GetElse,
        ["get-some"] = GetSome,
        ["missing?"] = Missing,
    };

    public static bool IsBuiltIn(string name) => Table.ContainsKey(name);

    public static Func<object?[], object?>? Find(string name) => Table.GetValueOrDefault(name) ?? QueryFunctions.Function(name);

    private static bool Arity(object?[] a, int min, int max, string fn) =>
        a.Length >= min && a.Length <= max ? true : throw new QueryException($"Wrong number of args ({a.Length}) passed to {fn}");

    private static object Chain(object?[] a, int min, Func<object?, object?, bool> test)
    {
        Arity(a, min, int.MaxValue, "comparison");
        for (var i = 1; i < a.Length; i++)
            if (!test(a[i - 1], a[i])) return false;
        return true;
    }

    // ---- values ----

    internal static bool IsNumber(object? x) => x is long or int or double or float or BigInteger or decimal or short or byte;

    private static object? Num(object? x) => IsNumber(x) ? x : throw new QueryException($"{QueryException.Form(x)} is not a number");

    /// <summary>Equality as in queries: numbers by value whatever their type (DataScript runs on JS numbers).</summary>
    internal static bool ValueEquals(object? x, object? y)
    {
        if (IsNumber(x) && IsNumber(y))
        {
            if (x is double or float || y is double or float) return ToDouble(x) == ToDouble(y);
            return ToBig(x) == ToBig(y);
        }
        return EdnEquality.Instance.Equals(x, y);
    }

    /// <summary>Clojure's compare: numbers by value, strings by UTF-16 code units, nil first, other kinds by kind.</summary>
    internal static int Compare(object? x, object? y)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // vectors compare element by element
        if (x is null) return y is null ? 0 : -1;
        if (y is null) return 1;
        if (IsNumber(x) && IsNumber(y))
        {
            if (x is long lx && y is long ly) return lx.CompareTo(ly);
            if (x is double or float || y is double or float) return ToDouble(x).CompareTo(ToDouble(y));
            return ToBig(x).CompareTo(ToBig(y));
        }
        switch (x)
        {
            case string sx when y is string sy: return Math.Sign(string.CompareOrdinal(sx, sy));
            case Keyword kx when y is Keyword ky: return Math.Sign(kx.CompareTo(ky));
            case Symbol yx when y is Symbol yy: return Math.Sign(yx.CompareTo(yy));
            case bool bx when y is bool by: return bx.CompareTo(by);
            case DateTime dx when y is DateTime dy: return dx.ToUniversalTime().CompareTo(dy.ToUniversalTime());
            case Guid gx when y is Guid gy: return gx.CompareTo(gy);
            case IReadOnlyList<object?> vx when y is IReadOnlyList<object?> vy:
                if (vx.Count != vy.Count) return vx.Count.CompareTo(vy.Count);
                for (var i = 0; i < vx.Count; i++)
                {
                    var c = Compare(vx[i], vy[i]);
                    if (c != 0) return c;
                }
                return 0;
        }
        var r = Rank(x).CompareTo(Rank(y));
        if (r != 0) return r;
        if (x is IComparable cx && x.GetType() == y.GetType()) return Math.Sign(cx.CompareTo(y));
        return string.CompareOrdinal(x.GetType().FullName, y.GetType().FullName);
    }

    private static int Rank(object x) => x switch
    {
        bool => 1,
        long or int or double or float or BigInteger or decimal => 2,
        string => 3,
        Keyword => 4,
        Symbol => 5,
        DateTime => 6,
        Guid => 7,
        IReadOnlyList<object?> => 8,
        _ => 9,
    };

    internal static double ToDouble(object? x) => x switch
    {
        long l => l,
        int i => i,
        double d => d,
        float f => f,
        BigInteger b => (double)b,
        decimal m => (double)m,
        short s => s,
        byte b => b,
        _ => throw new QueryException($"{QueryException.Form(x)} is not a number"),
    };

    private static BigInteger ToBig(object? x) => x switch
    {
        long l => l,
        int i => i,
        BigInteger b => b,
        decimal m => new BigInteger(m),
        short s => s,
        byte b => b,
        _ => throw new QueryException($"{QueryException.Form(x)} is not an integer"),
    };

    private static long Long(object? x, string fn) => x switch
    {
        long l => l,
        int i => i,
        _ => throw new QueryException($"{fn}: {QueryException.Form(x)} is not an integer"),
    };

    private static int Sign(object? x) => x switch
    {
        long l => Math.Sign(l),
        double d => Math.Sign(d),
        _ => Math.Sign(ToDouble(x)),
    };

    private static object Arith(object? x, object? y, char op)
    {
        if (!IsNumber(x) || !IsNumber(y))
            throw new QueryException($"Arithmetic on a value that is not a number: {QueryException.Form(IsNumber(x) ? y : x)}");
        if (x is double or float || y is double or float)
        {
            double a = ToDouble(x), b = ToDouble(y);
            return op switch
            {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                '/' => b == 0 ? throw new QueryException("Divide by zero") : a / b,
                'q' => b == 0 ? throw new QueryException("Divide by zero") : Math.Truncate(a / b),
                'r' => b == 0 ? throw new QueryException("Divide by zero") : a % b,
                _ => b == 0 ? throw new QueryException("Divide by zero") : ((a % b) + b) % b,
            };
        }
        var p = ToBig(x);
        var q = ToBig(y);
        BigInteger r;
        switch (op)
        {
            case '+': r = p + q; break;
            case '-': r = p - q; break;
            case '*': r = p * q; break;
            case '/':
                if (q.IsZero) throw new QueryException("Divide by zero");
                if (BigInteger.Remainder(p, q).IsZero) { r = p / q; break; }
                return (double)p / (double)q;
            case 'q':
                if (q.IsZero) throw new QueryException("Divide by zero");
                r = BigInteger.Divide(p, q); break;
            case 'r':
                if (q.IsZero) throw new QueryException("Divide by zero");
                r = BigInteger.Remainder(p, q); break;
            default:
                if (q.IsZero) throw new QueryException("Divide by zero");
                r = ((p % q) + q) % q; break;
        }
        return r >= long.MinValue && r <= long.MaxValue ? (object)(long)r : r;
    }

    internal static string Str(object? x) => x switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d == Math.Floor(d) && Math.Abs(d) < 1e21 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        Regex r => r.ToString(),
        _ => EdnPrinter.Print(x),
    };

    private static string Text(object? x, string fn) =>
        x as string ?? throw new QueryException($"{fn}: {QueryException.Form(x)} is not a string");

    private static object Subs(object?[] a)
    {
        var s = Text(a[0], "subs");
        var start = (int)Long(a[1], "subs");
        var end = a.Length == 3 ? (int)Long(a[2], "subs") : s.Length;
        if (start < 0 || end > s.Length || start > end) throw new QueryException($"subs: index out of range [{start} {end}] for a string of length {s.Length}");
        return s[start..end];
    }

    private static object Count(object? x) => x switch
    {
        null => 0L,
        string s => (long)s.Length,
        System.Collections.ICollection c => (long)c.Count,
        IReadOnlyCollection<object?> c => (long)c.Count,
        IReadOnlyDictionary<object, object?> m => (long)m.Count,
        _ => throw new QueryException($"count not supported on {QueryException.Form(x)}"),
    };

    private static object MakeKeyword(object?[] a)
    {
        if (a.Length == 1)
            return a[0] switch
            {
                Keyword k => k,
                Symbol s => Keyword.Intern(s.FullName),
                string s when s.Length > 0 => Keyword.Intern(s.StartsWith(':') ? s[1..] is { Length: > 0 } t ? t : s : s),
                _ => throw new QueryException($"keyword: cannot make a keyword of {QueryException.Form(a[0])}"),
            };
        var ns = a[0] as string;
        var name = Text(a[1], "keyword");
        if (name.Length == 0) throw new QueryException("keyword: a keyword needs a name");
        return Keyword.Intern(ns, name);
    }

    // ---- regular expressions ----

    private static Regex Re(object? x) => x switch
    {
        Regex r => r,
        string s => NewRegex(s),
        _ => throw new QueryException($"re-pattern: {QueryException.Form(x)} is not a string"),
    };

    private static Regex NewRegex(string pattern)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout); }
        catch (ArgumentException e) { throw new QueryException($"Invalid regular expression {QueryException.Form(pattern)}: {e.Message}", e); }
    }

    private static object? MatchValue(Match m)
    {
        if (!m.Success) return null;
        if (m.Groups.Count == 1) return m.Value;
        return new EdnVector(m.Groups.Cast<Group>().Select(g => g.Success ? (object?)g.Value : null));
    }

    private static object? ReFind(Regex r, string s) => Guard(() => MatchValue(r.Match(s)));

    private static object? ReMatches(Regex r, string s) => Guard(() =>
    {
        var m = r.Match(s);
        while (m.Success && (m.Index != 0 || m.Length != s.Length)) m = m.NextMatch();
        if (m.Success) return MatchValue(m);
        // an alternation may match the whole string only from a later attempt; anchor to be sure
        var anchored = new Regex("^(?:" + r + ")$", r.Options, RegexTimeout);
        return MatchValue(anchored.Match(s));
    });

    private static object? ReSeq(Regex r, string s) => Guard(() =>
    {
        var items = r.Matches(s).Select(MatchValue).ToList();
        return items.Count == 0 ? null : new EdnList(items);
    });

    private static object? Guard(Func<object?> f)
    {
        try { return f(); }
        catch (RegexMatchTimeoutException e) { throw new QueryException("Regular expression match took too long", e); }
    }

    // ---- database functions ----

    private static Db Source(object? x, string fn) => x as Db ?? throw new QueryException($"{fn}: the first argument must be a database source, got {QueryException.Form(x)}");

    private static Attribute Attr(Db db, object? a, string fn) =>
        db.AttributeOf(a) ?? throw new QueryException($"{fn}: {QueryException.Form(a)} is not an attribute");

    private static object? GetElse(object?[] a)
    {
        Arity(a, 4, 4, "get-else");
        var db = Source(a[0], "get-else");
        var attr = Attr(db, a[2], "get-else");
        if (attr.IsMany) throw new QueryException($"get-else: {attr.Ident} has cardinality many");
        if (a[3] is null) throw new QueryException("get-else: nil default value is not supported");
        if (db.EntId(a[1]) is not { } e) return a[3];
        var datoms = new List<Datom>(1);
        IndexScan.Collect(db.Eavt, new AttrDatoms(e, attr.Id), datoms, 1);
        return datoms.Count > 0 ? datoms[0].V : a[3];
    }

    private static object? GetSome(object?[] a)
    {
        Arity(a, 3, int.MaxValue, "get-some");
        var db = Source(a[0], "get-some");
        if (db.EntId(a[1]) is not { } e) return null;
        var datoms = new List<Datom>(1);
        foreach (var ax in a.Skip(2))
        {
            var attr = Attr(db, ax, "get-some");
            datoms.Clear();
            IndexScan.Collect(db.Eavt, new AttrDatoms(e, attr.Id), datoms, 1);
            if (datoms.Count > 0) return new EdnVector(attr.Ident, datoms[0].V);
        }
        return null;
    }

    private static object Missing(object?[] a)
    {
        Arity(a, 3, 3, "missing?");
        var db = Source(a[0], "missing?");
        var reverse = a[2] is Keyword { IsReverse: true } k ? k.Reversed : null;
        var attr = Attr(db, reverse ?? a[2], "missing?");
        if (db.EntId(a[1]) is not { } e) return true;
        var datoms = new List<Datom>(1);
        // :ns/_attr: no entity refers to this one by the attribute
        if (reverse is not null && attr.IsRef) IndexScan.Collect(db.Vaet, new ReverseDatoms(e, attr.Id), datoms, 1);
        else IndexScan.Collect(db.Eavt, new AttrDatoms(e, attr.Id), datoms, 1);
        return datoms.Count == 0;
    }
}
