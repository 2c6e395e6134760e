namespace Datsync.Core;

/// <summary>Tuples over named variables: the intermediate result of a query. Rows may repeat; results are made distinct at the end.</summary>
internal sealed class Relation
{
    public readonly Symbol[] Vars;
    public readonly List<object?[]> Rows;
    private readonly Dictionary<Symbol, int> _col;

    public Relation(Symbol[] vars, List<object?[]> rows)
    {
        Vars = vars;
        Rows = rows;
        _col = new Dictionary<Symbol, int>(vars.Length);
        for (var i = 0; i < vars.Length; i++) _col[vars[i]] = i;
    }

    /// <summary>One empty tuple: the neutral element of joins.</summary>
    public static Relation Unit() => new([], [[]]);

    public int IndexOf(Symbol v) => _col.TryGetValue(v, out var i) ? i : -1;

    public bool Has(Symbol v) => _col.ContainsKey(v);

    /// <summary>The distinct tuples of the given (bound) variables.</summary>
    public Relation Project(IReadOnlyList<Symbol> vars)
    {
        var idx = vars.Select(IndexOf).ToArray();
        var seen = new HashSet<object?[]>(RowComparer.Instance);
        var rows = new List<object?[]>();
        foreach (var r in Rows)
        {
            var p = new object?[idx.Length];
            for (var i = 0; i < idx.Length; i++) p[i] = r[idx[i]];
            if (seen.Add(p)) rows.Add(p);
        }
        return new Relation(vars.ToArray(), rows);
    }

    /// <summary>Natural join by hash on the shared variables, built on the smaller side; a product when none are shared.</summary>
    public static Relation Join(Relation a, Relation b, QueryContext ctx)
    {
        var shared = a.Vars.Where(b.Has).ToArray();
        var extra = b.Vars.Where(v => !a.Has(v)).ToArray();
        var vars = a.Vars.Concat(extra).ToArray();
        var extraIdx = extra.Select(b.IndexOf).ToArray();
        var rows = new List<object?[]>();
        if (a.Rows.Count == 0 || b.Rows.Count == 0) return new Relation(vars, rows);
        var ka = shared.Select(a.IndexOf).ToArray();
        var kb = shared.Select(b.IndexOf).ToArray();
        var buildOnA = a.Rows.Count <= b.Rows.Count;
        var (build, probe, kBuild, kProbe) = buildOnA ? (a, b, ka, kb) : (b, a, kb, ka);
        var table = new Dictionary<object?[], List<object?[]>>(RowComparer.Instance);
        foreach (var r in build.Rows)
        {
            var key = Key(r, kBuild);
            if (!table.TryGetValue(key, out var list)) table[key] = list = [];
            list.Add(r);
        }
        foreach (var p in probe.Rows)
        {
            if (!table.TryGetValue(Key(p, kProbe), out var matches)) continue;
            foreach (var m in matches)
            {
                var (ra, rb) = buildOnA ? (m, p) : (p, m);
                var row = new object?[vars.Length];
                Array.Copy(ra, row, ra.Length);
                for (var i = 0; i < extraIdx.Length; i++) row[ra.Length + i] = rb[extraIdx[i]];
                rows.Add(row);
            }
            ctx.Count(matches.Count);
        }
        return new Relation(vars, rows);
    }

    private static object?[] Key(object?[] row, int[] idx)
    {
        var k = new object?[idx.Length];
        for (var i = 0; i < idx.Length; i++) k[i] = row[idx[i]];
        return k;
    }
}
