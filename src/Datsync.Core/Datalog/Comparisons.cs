namespace Datsync.Core;

/// <summary>The comparison predicates a scan can run on a candidate datom before it makes a row.</summary>
internal enum CompareOp : byte { Lt, Gt, Le, Ge, Eq, Ne }

/// <summary>
/// A two-argument comparison predicate (<c>&lt; &gt; &lt;= &gt;= = == not= !=</c>) compiled against a row layout: each
/// side a column or a constant. It means what <see cref="QueryBuiltIns"/> means (Clojure's compare, numbers by value),
/// with longs, doubles and strings compared without a call through the built-in table or an argument array.
/// </summary>
internal sealed class Comparison
{
    public readonly CompareOp Op;
    /// <summary>Column of each side; -1 for a constant.</summary>
    public readonly int LeftSlot, RightSlot;
    public readonly object? LeftConst, RightConst;
    public readonly FunctionClause Clause;

    private Comparison(FunctionClause clause, CompareOp op, int ls, object? lc, int rs, object? rc)
    {
        Clause = clause; Op = op; LeftSlot = ls; LeftConst = lc; RightSlot = rs; RightConst = rc;
    }

    /// <summary>The operator of a predicate this class can run, or null (other functions, arities, a bound function).</summary>
    public static CompareOp? OpOf(FunctionClause f)
    {
        if (f.Binding is not null || Terms.IsVar(f.Fn) || f.Args.Length != 2) return null;
        // a symbol argument that is not a variable ($, _) keeps the general path and its messages
        foreach (var a in f.Args) if (a is Symbol && !Terms.IsVar(a)) return null;
        return f.Fn.FullName switch
        {
            "<" => CompareOp.Lt,
            ">" => CompareOp.Gt,
            "<=" => CompareOp.Le,
            ">=" => CompareOp.Ge,
            "=" or "==" => CompareOp.Eq,
            "not=" or "!=" => CompareOp.Ne,
            _ => null,
        };
    }

    /// <summary>The predicate over the columns <paramref name="slotOf"/> gives its variables; null when it is not a
    /// comparison this class runs or a variable has no column.</summary>
    public static Comparison? Compile(FunctionClause f, Func<Symbol, int> slotOf)
    {
        if (OpOf(f) is not { } op) return null;
        int ls = -1, rs = -1;
        if (f.Args[0] is Symbol l && (ls = slotOf(l)) < 0) return null;
        if (f.Args[1] is Symbol r && (rs = slotOf(r)) < 0) return null;
        return new Comparison(f, op, ls, ls < 0 ? f.Args[0] : null, rs, rs < 0 ? f.Args[1] : null);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Test(object?[] row) =>
        Eval(Op, LeftSlot >= 0 ? row[LeftSlot] : LeftConst, RightSlot >= 0 ? row[RightSlot] : RightConst);

    /// <summary>The predicate with a datom's encoded value (N, O) on the side of column <paramref name="valueSlot"/>,
    /// the other side read from the row: a long or double value is compared without boxing it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool TestEncoded(long n, object? o, int valueSlot, object?[] row)
    {
        if (LeftSlot == valueSlot)
            return EvalEncoded(Op, n, o, RightSlot >= 0 ? row[RightSlot] : RightConst);
        return EvalEncoded(Flip(Op), n, o, LeftSlot >= 0 ? row[LeftSlot] : LeftConst);
    }

    /// <summary>The same test with its sides swapped: <c>(&lt; x y)</c> is <c>(&gt; y x)</c>.</summary>
    public static CompareOp Flip(CompareOp op) => op switch
    {
        CompareOp.Lt => CompareOp.Gt,
        CompareOp.Gt => CompareOp.Lt,
        CompareOp.Le => CompareOp.Ge,
        CompareOp.Ge => CompareOp.Le,
        _ => op,
    };

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool Eval(CompareOp op, object? x, object? y)
    {
        if (x is long a && y is long b) return Holds(op, a.CompareTo(b));
        return op switch
        {
            CompareOp.Eq => QueryBuiltIns.ValueEquals(x, y),
            CompareOp.Ne => !QueryBuiltIns.ValueEquals(x, y),
            _ => Holds(op, QueryBuiltIns.Compare(x, y)),
        };
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static bool EvalEncoded(CompareOp op, long n, object? o, object? other)
    {
        if (o is null)
        {
            // a long or an entity id
            if (other is long l) return Holds(op, n.CompareTo(l));
            return Eval(op, n, other);
        }
        if (ReferenceEquals(o, ScalarTag.Double) && other is double od)
        {
            var d = Encoded.ToDouble(n);
            // = on doubles is ==, so NaN equals nothing; the order is CompareTo's, as QueryBuiltIns.Compare's
            return op switch
            {
                CompareOp.Eq => d == od,
                CompareOp.Ne => d != od,
                _ => Holds(op, d.CompareTo(od)),
            };
        }
        // strings, keywords and the like are stored as themselves: nothing to box
        return Eval(op, o is ScalarTag ? Encoded.Decode(n, o) : o, other);
    }

    private static bool Holds(CompareOp op, int c) => op switch
    {
        CompareOp.Lt => c < 0,
        CompareOp.Gt => c > 0,
        CompareOp.Le => c <= 0,
        CompareOp.Ge => c >= 0,
        CompareOp.Eq => c == 0,
        _ => c != 0,
    };
}
