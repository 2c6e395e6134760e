namespace Datsync.Core;

/// <summary>Tuples over named variables: the intermediate result of a query. Rows may repeat; results are made distinct at the end.</summary>
internal sealed class Relation
{
    public readonly Symbol[] Vars;
    public readonly List<object?[]> Rows;
    /// <summary>True when no row repeats (known by how the rows were made: a scan of distinct datoms, a join of
    /// relations without repeats, or one row), so a projection onto every variable needs no set.</summary>
    public readonly bool Distinct;
    /// <summary>How many leading columns hold the same values in every row (those of one input row, a scalar input's
    /// say): rows that are <see cref="Distinct"/> differ in the columns after them.</summary>
    public readonly int Fixed;
    private readonly Dictionary<Symbol, int> _col;

    public Relation(Symbol[] vars, List<object?[]> rows, bool distinct = false, int fixedColumns = 0)
    {
        Vars = vars;
        Rows = rows;
        Distinct = distinct || rows.Count <= 1;
        Fixed = rows.Count <= 1 ? vars.Length : fixedColumns;
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
        if (Distinct && idx.Distinct().Count() == idx.Length && Enumerable.Range(Fixed, Vars.Length - Fixed).All(idx.Contains))
        {
            // every column that varies, each once: the rows stay distinct
            if (idx.Length == Vars.Length && idx.Select((c, i) => c == i).All(x => x)) return this;
            var moved = new List<object?[]>(Rows.Count);
            foreach (var r in Rows)
            {
                var p = new object?[idx.Length];
                for (var i = 0; i < idx.Length; i++) p[i] = r[idx[i]];
                moved.Add(p);
            }
            return new Relation(vars.ToArray(), moved, distinct: true);
        }
        var seen = new HashSet<object?[]>(RowComparer.Instance);
        var rows = new List<object?[]>();
        foreach (var r in Rows)
        {
            var p = new object?[idx.Length];
            for (var i = 0; i < idx.Length; i++) p[i] = r[idx[i]];
            if (seen.Add(p)) rows.Add(p);
        }
        return new Relation(vars.ToArray(), rows, distinct: true);
    }

    /// <summary>Natural join by hash on the shared variables, built on the smaller side; a product when none are shared.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Relation Join(Relation a, Relation b, QueryContext ctx)
    {
        var shared = a.Vars.Where(b.Has).ToArray();
        var extra = b.Vars.Where(v => !a.Has(v)).ToArray();
        var vars = a.Vars.Concat(extra).ToArray();
        var extraIdx = extra.Select(b.IndexOf).ToArray();
        var rows = new List<object?[]>();
        if (a.Rows.Count == 0 || b.Rows.Count == 0) return new Relation(vars, rows);
        // the join of two sets is a set
        var distinct = a.Distinct && b.Distinct;
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
        return new Relation(vars, rows, distinct, a.Fixed);
    }

    private static object?[] Key(object?[] row, int[] idx)
    {
        var k = new object?[idx.Length];
        for (var i = 0; i < idx.Length; i++) k[i] = row[idx[i]];
        return k;
    }
}
