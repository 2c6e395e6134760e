namespace Datsync.Core;

internal static partial class Clauses
{
    /// <summary>How many datoms of an attribute an estimate counts at most.</summary>
    private const int EstimateRowsCap = 100_000;

    /// <summary>
    /// How many tuples a clause is expected to match for one tuple of bound values, given which variables are bound;
    /// -1 when there is no estimate (predicates, functions, not, or, rule calls). A simple estimate, from the
    /// attribute's datom count (counted up to a cap) and its schema: an entity gives one value of a cardinality-one
    /// attribute, a unique value one entity.
    /// </summary>
    internal static long EstimateRows(Clause c, IReadOnlySet<Symbol> bound, QueryContext ctx)
    {
        if (c is not PatternClause p) return -1;
        var source = ctx.Sources.GetValueOrDefault(p.Source);
        if (source is not Db db) return source is System.Collections.ICollection tuples ? tuples.Count : -1;
        bool Known(object? t) => Terms.IsConst(t) || t is Symbol s && bound.Contains(s);
        var t = p.Terms;
        var attr = t[1] is Keyword or long ? db.AttributeOf(t[1]) : null;
        if (attr is null) return Known(t[1]) ? 0 : Known(t[0]) ? 8 : db.Count;
        if (Known(t[0])) return attr.IsMany ? 4 : 1;
        long count = db.AttributeDatoms(attr.Id).Take(EstimateRowsCap).Count();
        if (!Known(t[2])) return count;
        if (attr.Unique != Uniqueness.None) return Math.Min(count, 1);
        return Math.Max(Math.Min(count, 1), count / 10);
    }
}
