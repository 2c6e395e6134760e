using System.Collections;

namespace Datsync.Core;

/// <summary>Data patterns <c>[e a v tx]</c>: matched against a database through the index their bound positions
/// pick, or against a collection source tuple by tuple.</summary>
internal static class Patterns
{
    private static readonly object Free = new();

    public static Relation Match(PatternClause p, Relation rel, QueryContext ctx)
    {
        var source = ctx.Source(p.Source, p.Form);
        var terms = p.Terms;
        var cols = new int[4];
        for (var i = 0; i < 4; i++) cols[i] = terms[i] is Symbol s && Terms.IsVar(s) ? rel.IndexOf(s) : -1;
        // the pattern's own (unbound) variables, first position of each
        var (freeVars, freePos) = PatternVars(terms, bound: cols);
        var vars = rel.Vars.Concat(freeVars).ToArray();
        var rows = new List<object?[]>();
        if (source is Db db)
        {
            var attr = terms[1] is Keyword or long ? db.AttributeOf(terms[1]) : null;
            var perRow = cols[0] >= 0 || cols[2] >= 0 && attr is not null && (attr.IsRef || attr.InAvet);
            if (perRow)
            {
                var bound = new object?[4];
                foreach (var row in rel.Rows)
                {
                    for (var i = 0; i < 4; i++) bound[i] = cols[i] >= 0 ? row[cols[i]] : Constant(terms[i]);
                    var before = rows.Count;
                    Scan(db, bound, p, d => Emit(db, d, row, freePos, freeVars.Count, rows));
                    ctx.Count(rows.Count - before + 1);
                }
                return new Relation(vars, rows);
            }
            // scan by the constants alone, as a relation over every variable of the pattern, then join
            var (patVars, pos) = PatternVars(terms);
            var consts = new object?[4];
            for (var i = 0; i < 4; i++) consts[i] = Constant(terms[i]);
            var own = new List<object?[]>();
            Scan(db, consts, p, d => Emit(db, d, [], pos, patVars.Count, own));
            ctx.Count(own.Count);
            return Relation.Join(rel, new Relation(patVars.ToArray(), own), ctx);
        }
        return JoinCollection(rel, (IEnumerable)source, p, ctx);
    }

    /// <summary>The pattern's variables in first-seen order, and for each position the index of its variable (-1: none);
    /// with <paramref name="bound"/>, only the positions whose variable it does not bind (<c>bound[i] &lt; 0</c>).</summary>
    private static (List<Symbol> Vars, int[] Positions) PatternVars(object?[] terms, int[]? bound = null)
    {
        var vars = new List<Symbol>();
        var pos = new int[4];
        for (var i = 0; i < 4; i++)
        {
            pos[i] = -1;
            if (terms[i] is Symbol s && Terms.IsVar(s) && (bound is null || bound[i] < 0))
            {
                var k = vars.IndexOf(s);
                if (k < 0) { k = vars.Count; vars.Add(s); }
                pos[i] = k;
            }
        }
        return (vars, pos);
    }

    private static int Width(object?[] terms)
    {
        var w = 4;
        while (w > 0 && Terms.IsBlank(terms[w - 1])) w--;
        return w;
    }

    private static Relation JoinCollection(Relation rel, IEnumerable tuples, PatternClause p, QueryContext ctx)
    {
        // the pattern as its own relation over every variable it names, then a join on the shared ones
        var terms = p.Terms;
        var width = Width(terms);
        var (patVars, pos) = PatternVars(terms);
        var rows = new List<object?[]>();
        foreach (var t in tuples)
        {
            if (t is not IReadOnlyList<object?> tuple) throw new QueryException($"Source {p.Source} holds {QueryException.Form(t)}, which is not a tuple, for {QueryException.Form(p.Form)}");
            if (tuple.Count < width) continue;
            var row = new object?[patVars.Count];
            var set = new bool[patVars.Count];
            var ok = true;
            for (var i = 0; i < width && ok; i++)
            {
                if (Terms.IsBlank(terms[i])) continue;
                if (pos[i] >= 0)
                {
                    if (!set[pos[i]]) { row[pos[i]] = tuple[i]; set[pos[i]] = true; }
                    else ok = QueryBuiltIns.ValueEquals(row[pos[i]], tuple[i]);
                }
                else ok = QueryBuiltIns.ValueEquals(terms[i], tuple[i]);
            }
            if (ok) rows.Add(row);
        }
        ctx.Count(rows.Count);
        return Relation.Join(rel, new Relation(patVars.ToArray(), rows), ctx);
    }

    private static object? Constant(object? term) => Terms.IsVar(term) || Terms.IsBlank(term) ? Free : term;

    private static void Emit(Db db, Datom d, object?[] row, int[] freePos, int nFree, List<object?[]> into)
    {
        var r = new object?[row.Length + nFree];
        Array.Copy(row, r, row.Length);
        Span<bool> set = stackalloc bool[4];
        for (var i = 0; i < 4; i++)
        {
            var k = freePos[i];
            if (k < 0) continue;
            object? v = i switch
            {
                0 => d.E,
                1 => (object?)db.Schema[d.A]?.Ident ?? d.A,
                2 => d.V,
                _ => d.Tx,
            };
            if (!set[k]) { r[row.Length + k] = v; set[k] = true; }
            else if (!QueryBuiltIns.ValueEquals(r[row.Length + k], v)) return;
        }
        into.Add(r);
    }

    /// <summary>Calls <paramref name="onMatch"/> for each current datom that fits the given positions (Free: any).</summary>
    private static void Scan(Db db, object?[] at, PatternClause p, Action<Datom> onMatch)
    {
        long? e = null;
        if (at[0] != Free)
        {
            e = at[0] switch
            {
                long l => l,
                Keyword or IReadOnlyList<object?> => db.EntId(at[0]) ?? throw new QueryException($"Nothing found for entity id {QueryException.Form(at[0])} in {QueryException.Form(p.Form)}"),
                _ => null,
            };
            if (e is null) return;
        }
        Attribute? a = null;
        if (at[1] != Free)
        {
            a = db.AttributeOf(at[1]);
            if (a is null) return;
        }
        long? tx = at[3] != Free ? at[3] as long? : null;
        if (at[3] != Free && tx is null) return;
        var hasV = at[2] != Free;
        long vn = 0;
        object? vo = null;
        if (hasV && a is not null)
        {
            if (a.IsRef && at[2] is IReadOnlyList<object?> lookup && db.EntId(lookup) is null)
                throw new QueryException($"Nothing found for entity id {QueryException.Form(lookup)} in {QueryException.Form(p.Form)}");
            if (!db.TryEncodeValue(a, at[2], out vn, out vo)) return;
        }
        object? vAny = hasV && a is null && at[2] is IReadOnlyList<object?> lr ? db.EntId(lr) ?? at[2] : at[2];

        bool Fits(Datom d)
        {
            if (tx is { } t && d.Tx != t) return false;
            if (!hasV) return true;
            if (a is not null) return Encoded.ValueEquals(d.N, d.O, vn, vo);
            return QueryBuiltIns.ValueEquals(d.V, vAny);
        }

        var buffer = new List<Datom>();
        if (e is { } ent)
        {
            if (a is not null) IndexScan.Collect(db.Eavt, new AttrDatoms(ent, a.Id), buffer, -1);
            else IndexScan.Collect(db.Eavt, new EntityDatoms(ent), buffer, -1);
            foreach (var d in buffer) if (Fits(d)) onMatch(d);
            return;
        }
        if (a is not null)
        {
            IEnumerable<Datom> datoms;
            if (hasV && a.IsRef)
            {
                IndexScan.Collect(db.Vaet, new ReverseDatoms(vn, a.Id), buffer, -1);
                datoms = buffer;
            }
            else if (hasV && a.InAvet) datoms = db.Datoms(IndexType.Avet, (long)a.Id, Encoded.Decode(vn, vo));
            else datoms = db.AttributeDatoms(a.Id);
            foreach (var d in datoms) if (Fits(d)) onMatch(d);
            return;
        }
        foreach (var d in db.Datoms(IndexType.Eavt)) if (Fits(d)) onMatch(d);
    }
}
