using System.Collections;

namespace Datsync.Core;

/// <summary>Data patterns <c>[e a v tx]</c>: matched against a database through the index their bound positions
/// pick, or against a collection source tuple by tuple.</summary>
internal static class Patterns
{
    private static readonly object Free = new();

    public static Relation Match(PatternClause p, Relation rel, QueryContext ctx) => Match(p, [], rel, ctx);

    /// <summary>The pattern joined to <paramref name="rel"/>, keeping only the rows that pass <paramref name="filters"/>
    /// (predicates over the variables of both): comparisons run on each candidate datom inside the scan, before it
    /// makes a row, and bound a value range of AVET where the attribute is there.</summary>
    public static Relation Match(PatternClause p, IReadOnlyList<FunctionClause> filters, Relation rel, QueryContext ctx)
    {
        var source = ctx.Source(p.Source, p.Form);
        if (source is not Db db) return Functions.Filter(JoinCollection(rel, (IEnumerable)source, p, ctx), filters, ctx);
        var terms = p.Terms;
        var cols = new int[4];
        for (var i = 0; i < 4; i++) cols[i] = terms[i] is Symbol s && Terms.IsVar(s) ? rel.IndexOf(s) : -1;
        var attr = terms[1] is Keyword or long ? db.AttributeOf(terms[1]) : null;
        // per bound row when that picks a narrower index range; one row (the inputs, or a first clause) sharing no
        // variable with the pattern needs no join either (a shared value or attribute keeps the join's equality)
        var perRow = cols[0] >= 0 || cols[2] >= 0 && attr is not null && (attr.IsRef || attr.InAvet)
                     || rel.Rows.Count == 1 && cols[1] < 0 && cols[2] < 0 && cols[3] < 0;
        if (perRow)
        {
            // the pattern's own (unbound) variables, first position of each
            var (freeVars, freePos) = PatternVars(terms, bound: cols);
            var vars = rel.Vars.Concat(freeVars).ToArray();
            var run = new PatternRun(db, rel.Vars.Length, vars, freePos, filters);
            var bound = new object?[4];
            foreach (var row in rel.Rows)
            {
                for (var i = 0; i < 4; i++) bound[i] = cols[i] >= 0 ? row[cols[i]] : Constant(terms[i]);
                var before = run.Rows.Count;
                run.Begin(row);
                Scan(db, bound, p, run);
                ctx.Count(run.Rows.Count - before + 1);
            }
            var made = new Relation(vars, run.Rows, rel.Distinct && Distinguishes(terms), FixedOf(rel));
            return Functions.Filter(made, run.Rest, ctx);
        }
        // scan by the constants alone, as a relation over every variable of the pattern, then join
        var (patVars, pos) = PatternVars(terms);
        var own = filters.Where(f => f.ArgVars.All(patVars.Contains)).ToList();
        var ownRun = new PatternRun(db, 0, patVars.ToArray(), pos, own);
        var consts = new object?[4];
        for (var i = 0; i < 4; i++) consts[i] = Constant(terms[i]);
        ownRun.Begin([]);
        Scan(db, consts, p, ownRun);
        ctx.Count(ownRun.Rows.Count);
        var joined = Relation.Join(rel, new Relation(patVars.ToArray(), ownRun.Rows, Distinguishes(terms)), ctx);
        return Functions.Filter(joined, filters.Where(f => !own.Contains(f)).Concat(ownRun.Rest).ToList(), ctx);
    }

    /// <summary>
    /// Patterns <c>[?e :attr v]</c> on one entity variable that <paramref name="rel"/> binds, read together: per row one
    /// EAVT seek to the entity and one pass over its datoms of those attributes, instead of a seek and a row per
    /// pattern. Values that repeat (cardinality many) give one row each, as the patterns one by one would; a constant or
    /// bound value filters; <paramref name="filters"/> run as soon as their variables are set.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Relation MatchEntity(IReadOnlyList<PatternClause> group, IReadOnlyList<FunctionClause> filters, Relation rel, QueryContext ctx)
    {
        var first = group[0];
        var db = (Db)ctx.Source(first.Source, first.Form);
        var eCol = rel.IndexOf((Symbol)first.Terms[0]!);
        var vars = rel.Vars.ToList();
        var k = group.Count;
        var steps = new EntityStep[k];
        var level = new Dictionary<int, int>();
        var none = false;
        for (var i = 0; i < k; i++)
        {
            var terms = group[i].Terms;
            var a = db.AttributeOf(terms[1]);
            var v = terms[2];
            var step = new EntityStep { Attr = a!, Form = group[i].Form };
            if (a is null) none = true;
            if (Terms.IsBlank(v)) step.Kind = ValueKind.Any;
            else if (v is Symbol s && Terms.IsVar(s))
            {
                var c = vars.IndexOf(s);
                if (c >= 0) { step.Kind = ValueKind.Column; step.Col = c; }
                else { vars.Add(s); step.Kind = ValueKind.Set; step.Col = vars.Count - 1; level[step.Col] = i; }
            }
            else
            {
                step.Kind = ValueKind.Const;
                if (a is not null)
                {
                    CheckLookup(db, a, v, group[i].Form);
                    if (!db.TryEncodeValue(a, v, out step.N, out step.O)) none = true;
                }
            }
            steps[i] = step;
        }
        var varArr = vars.ToArray();
        var rows = new List<object?[]>();
        if (none) return new Relation(varArr, rows);
        var rest = new List<FunctionClause>();
        var tests = new List<Comparison>[k];
        for (var i = 0; i < k; i++) tests[i] = [];
        foreach (var f in filters)
        {
            var cmp = Comparison.Compile(f, s => Array.IndexOf(varArr, s));
            if (cmp is null) { rest.Add(f); continue; }
            var ready = Math.Max(level.GetValueOrDefault(cmp.LeftSlot, 0), level.GetValueOrDefault(cmp.RightSlot, 0));
            tests[ready].Add(cmp);
        }
        for (var i = 0; i < k; i++) steps[i].Tests = tests[i].ToArray();
        int aMin = int.MaxValue, aMax = int.MinValue;
        foreach (var s in steps) { aMin = Math.Min(aMin, s.Attr.Id); aMax = Math.Max(aMax, s.Attr.Id); }
        var scratch = new object?[varArr.Length];
        var datoms = new List<Datom>();
        var cursor = new IndexCursor<EavtOrder>();
        var width = varArr.Length;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        void Step(int i)
        {
            if (i == k)
            {
                var r = new object?[width];
                Array.Copy(scratch, r, width);
                rows.Add(r);
                return;
            }
            var s = steps[i];
            long n = 0;
            object? o = null;
            if (s.Kind == ValueKind.Column)
            {
                var bv = scratch[s.Col];
                CheckLookup(db, s.Attr, bv, s.Form);
                if (bv is null || !db.TryEncodeValue(s.Attr, bv, out n, out o)) return;
            }
            for (var j = s.Start; j < s.End; j++)
            {
                var d = datoms[j];
                switch (s.Kind)
                {
                    case ValueKind.Const: if (!Encoded.ValueEquals(d.N, d.O, s.N, s.O)) continue; break;
                    case ValueKind.Column: if (!Encoded.ValueEquals(d.N, d.O, n, o)) continue; break;
                    case ValueKind.Set: scratch[s.Col] = d.V; break;
                }
                var ok = true;
                foreach (var t in s.Tests) if (!t.Test(scratch)) { ok = false; break; }
                if (ok) Step(i + 1);
            }
        }

        foreach (var row in rel.Rows)
        {
            var before = rows.Count;
            if (ResolveEntity(db, row[eCol], first.Form) is { } e)
            {
                datoms.Clear();
                var span = new EntityAttrSpan(e, aMin, aMax);
                cursor.Seek(db.Eavt, span);
                while (cursor.Next(span, out var d)) datoms.Add(d);
                // the entity's datoms are sorted by attribute: each pattern reads its own stretch
                foreach (var s in steps)
                {
                    var j = 0;
                    while (j < datoms.Count && datoms[j].A < s.Attr.Id) j++;
                    s.Start = j;
                    while (j < datoms.Count && datoms[j].A == s.Attr.Id) j++;
                    s.End = j;
                }
                Array.Copy(row, scratch, row.Length);
                Step(0);
            }
            ctx.Count(rows.Count - before + 1);
        }
        // each datom's value is kept, or fixed by a constant or the row: distinct rows stay distinct
        var distinct = rel.Distinct && steps.All(s => s.Kind != ValueKind.Any);
        return Functions.Filter(new Relation(varArr, rows, distinct, FixedOf(rel)), rest, ctx);
    }

    /// <summary>Whether the rows a pattern gives one input row are distinct: current datoms differ in e, a or v, so
    /// they are when none of those is a blank (a constant or bound variable fixes it, a new variable keeps it).</summary>
    private static bool Distinguishes(object?[] terms) => !Terms.IsBlank(terms[0]) && !Terms.IsBlank(terms[1]) && !Terms.IsBlank(terms[2]);

    /// <summary>The leading columns of what a per-row match makes that hold one value: all of the input's when it
    /// is one row.</summary>
    private static int FixedOf(Relation rel) => rel.Rows.Count == 1 ? rel.Vars.Length : rel.Fixed;

    private enum ValueKind : byte { Any, Const, Column, Set }

    private sealed class EntityStep
    {
        public Attribute Attr = null!;
        public object Form = null!;
        public ValueKind Kind;
        public int Col;
        public long N;
        public object? O;
        public Comparison[] Tests = [];
        public int Start, End;
    }

    /// <summary>
    /// The AVET range of an attribute's values <c>v</c> for which every <c>(op v other)</c> may hold, or null (no bound,
    /// or a type whose index order is not the order the comparisons use). Bounds are inclusive: the comparisons still
    /// run on each datom of the range. Doubles take lower bounds only: NaN compares below every number but is stored
    /// above them (or, negative, below), and it never passes a lower bound or an equality.
    /// </summary>
    internal static ValueSpan? ValueRange(Db db, Attribute a, IEnumerable<(CompareOp Op, object? Other)> tests)
    {
        if (!a.StoredInAvet || a.ValueType is not (ValueType.Long or ValueType.String or ValueType.Instant or ValueType.Double)) return null;
        ValueBound lo = default, hi = default;
        foreach (var (op, other) in tests)
        {
            var sameKind = a.ValueType switch
            {
                ValueType.Long => other is long or int,
                ValueType.String => other is string,
                ValueType.Double => other is double and not double.NaN or long or int,
                _ => other is DateTime { Kind: DateTimeKind.Utc },
            };
            if (!sameKind || !db.TryEncodeValue(a, other!, out var n, out var o)) continue;
            if (op is CompareOp.Gt or CompareOp.Ge or CompareOp.Eq && (!lo.Set || Encoded.Compare(n, o, lo.N, lo.O) > 0)) lo = new(true, n, o);
            var upper = op is CompareOp.Lt or CompareOp.Le || op is CompareOp.Eq;
            if (upper && (a.ValueType != ValueType.Double || op is CompareOp.Eq) && (!hi.Set || Encoded.Compare(n, o, hi.N, hi.O) < 0)) hi = new(true, n, o);
        }
        return lo.Set || hi.Set ? new ValueSpan(a.Id, lo, hi) : null;
    }

    /// <summary>A lookup ref as a ref attribute's value must name an entity (DataScript fails the query otherwise).</summary>
    private static void CheckLookup(Db db, Attribute a, object? v, object form)
    {
        if (a.IsRef && v is IReadOnlyList<object?> lookup && db.EntId(lookup) is null)
            throw new QueryException($"Nothing found for entity id {QueryException.Form(lookup)} in {QueryException.Form(form)}");
    }

    /// <summary>The entity an entity position names: an id as is, an ident or lookup ref resolved (failing the query
    /// when it names nothing), anything else nothing.</summary>
    private static long? ResolveEntity(Db db, object? v, object form) => v switch
    {
        long l => l,
        Keyword or IReadOnlyList<object?> => db.EntId(v) ?? throw new QueryException($"Nothing found for entity id {QueryException.Form(v)} in {QueryException.Form(form)}"),
        _ => null,
    };

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

    /// <summary>Feeds <paramref name="run"/> each current datom that fits the given positions (Free: any), reading the
    /// narrowest index range they allow.</summary>
    private static void Scan(Db db, object?[] at, PatternClause p, PatternRun run)
    {
        long? e = null;
        if (at[0] != Free)
        {
            e = ResolveEntity(db, at[0], p.Form);
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
            CheckLookup(db, a, at[2], p.Form);
            if (!db.TryEncodeValue(a, at[2], out vn, out vo)) return;
        }
        object? vAny = hasV && a is null && at[2] is IReadOnlyList<object?> lr ? db.EntId(lr) ?? at[2] : at[2];
        run.Expect(tx, hasV, a, vn, vo, vAny);

        if (e is { } ent)
        {
            if (a is not null) run.Read(db.Eavt, new AttrDatoms(ent, a.Id));
            else run.Read(db.Eavt, new EntityDatoms(ent));
            return;
        }
        if (a is not null)
        {
            if (hasV && a.IsRef) run.Read(db.Vaet, new ReverseDatoms(vn, a.Id));
            else if (hasV && a.StoredInAvet) run.Read(db.Avet, new ValueSpan(a.Id, new(true, vn, vo), new(true, vn, vo)));
            else if (hasV && a.InAvet) run.ReadAll(db.Datoms(IndexType.Avet, (long)a.Id, Encoded.Decode(vn, vo)));
            else if (!hasV && a.StoredInAvet && run.RangeOf(a) is { } span) run.Read(db.Avet, span);
            else if (a.Id != BuiltIns.TxInstantId) run.Read(db.Aevt, new AttributeSpan(a.Id));
            else run.ReadAll(db.AttributeDatoms(a.Id)); // :db/txInstant lives in EAVT only
            return;
        }
        run.ReadAll(db.Datoms(IndexType.Eavt));
    }

    /// <summary>
    /// The matching of one pattern: for each datom a scan finds, the checks its bound positions ask for, the filters on
    /// its value before that value is boxed, then the row (the input row and the pattern's new variables) and the
    /// filters on it; a row is allocated only for a datom that passes them all.
    /// </summary>
    private sealed class PatternRun
    {
        private readonly Db _db;
        private readonly int _width;
        // per position: the column its datom component goes to (its variable's first position), or the column it must
        // equal (a repeat of a variable within the pattern), else -1
        private readonly int[] _set = [-1, -1, -1, -1];
        private readonly int[] _check = [-1, -1, -1, -1];
        private readonly int _valueCol;
        private readonly Comparison[] _onValue;
        private readonly Comparison[] _onRow;
        private readonly object?[] _scratch;
        public readonly List<FunctionClause> Rest = [];
        public readonly List<object?[]> Rows = [];
        private IndexCursor<EavtOrder>? _eavt;
        private IndexCursor<AevtOrder>? _aevt;
        private IndexCursor<AvetOrder>? _avet;
        private IndexCursor<VaetOrder>? _vaet;
        private long? _tx;
        private bool _hasV;
        private Attribute? _a;
        private long _vn;
        private object? _vo, _vAny;

        // baseWidth: columns of the input row, the pattern's variables follow; pos: per position, the index of its
        // variable among the pattern's new ones (-1: none)
        public PatternRun(Db db, int baseWidth, Symbol[] vars, int[] pos, IReadOnlyList<FunctionClause> filters)
        {
            _db = db;
            _width = vars.Length;
            _scratch = new object?[_width];
            for (var i = 0; i < 4; i++)
            {
                if (pos[i] < 0) continue;
                var col = baseWidth + pos[i];
                var firstAt = Array.IndexOf(pos, pos[i]);
                if (firstAt == i) _set[i] = col; else _check[i] = col;
            }
            // the value's column, when only the value position fills it
            _valueCol = _set[2] >= 0 && Array.IndexOf(_check, _set[2]) < 0 ? _set[2] : -1;
            var onValue = new List<Comparison>();
            var onRow = new List<Comparison>();
            foreach (var f in filters)
            {
                var cmp = Comparison.Compile(f, s => Array.IndexOf(vars, s));
                if (cmp is null) { Rest.Add(f); continue; }
                if (_valueCol >= 0 && IsValueTest(cmp, baseWidth)) onValue.Add(cmp); else onRow.Add(cmp);
            }
            _onValue = onValue.ToArray();
            _onRow = onRow.ToArray();
        }

        // the value against a constant or a column of the input row
        private bool IsValueTest(Comparison c, int baseWidth) =>
            c.LeftSlot == _valueCol && c.RightSlot < baseWidth || c.RightSlot == _valueCol && c.LeftSlot < baseWidth;

        public void Begin(object?[] row) => Array.Copy(row, _scratch, row.Length);

        public void Expect(long? tx, bool hasV, Attribute? a, long vn, object? vo, object? vAny)
        {
            _tx = tx; _hasV = hasV; _a = a; _vn = vn; _vo = vo; _vAny = vAny;
        }

        /// <summary>The AVET range the value filters allow for this row, or null (<see cref="ValueRange"/>).</summary>
        public ValueSpan? RangeOf(Attribute a)
        {
            if (_onValue.Length == 0) return null;
            var tests = new (CompareOp, object?)[_onValue.Length];
            for (var i = 0; i < tests.Length; i++)
            {
                var c = _onValue[i];
                tests[i] = c.LeftSlot == _valueCol
                    ? (c.Op, c.RightSlot >= 0 ? _scratch[c.RightSlot] : c.RightConst)
                    : (Comparison.Flip(c.Op), c.LeftSlot >= 0 ? _scratch[c.LeftSlot] : c.LeftConst);
            }
            return ValueRange(_db, a, tests);
        }

        public void Read<TRange>(SortedDatomSet<EavtOrder> set, TRange range) where TRange : struct, IDatomRange => Read(ref _eavt, set, range);

        public void Read<TRange>(SortedDatomSet<AevtOrder> set, TRange range) where TRange : struct, IDatomRange => Read(ref _aevt, set, range);

        public void Read<TRange>(SortedDatomSet<AvetOrder> set, TRange range) where TRange : struct, IDatomRange => Read(ref _avet, set, range);

        public void Read<TRange>(SortedDatomSet<VaetOrder> set, TRange range) where TRange : struct, IDatomRange => Read(ref _vaet, set, range);

        /// <summary>Every datom of <paramref name="range"/> through this run's cursor of that index (made once, reused).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void Read<TOrder, TRange>(ref IndexCursor<TOrder>? cursor, SortedDatomSet<TOrder> set, TRange range)
            where TOrder : struct, IDatomOrder where TRange : struct, IDatomRange
        {
            var c = cursor ??= new();
            c.Seek(set, range);
            while (c.Next(range, out var d)) Take(d);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void ReadAll(IEnumerable<Datom> datoms)
        {
            foreach (var d in datoms) Take(d);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void Take(Datom d)
        {
            if (_tx is { } t && d.Tx != t) return;
            if (_hasV && !(_a is not null ? Encoded.ValueEquals(d.N, d.O, _vn, _vo) : QueryBuiltIns.ValueEquals(d.V, _vAny))) return;
            foreach (var c in _onValue) if (!c.TestEncoded(d.N, d.O, _valueCol, _scratch)) return;
            var row = _scratch;
            for (var i = 0; i < 4; i++)
            {
                if (_set[i] >= 0) row[_set[i]] = Component(d, i);
                else if (_check[i] >= 0 && !QueryBuiltIns.ValueEquals(row[_check[i]], Component(d, i))) return;
            }
            foreach (var c in _onRow) if (!c.Test(row)) return;
            var r = new object?[_width];
            Array.Copy(row, r, _width);
            Rows.Add(r);
        }

        private object? Component(Datom d, int i) => i switch
        {
            0 => d.E,
            1 => (object?)_db.Schema[d.A]?.Ident ?? d.A,
            2 => d.V,
            _ => d.Tx,
        };
    }
}
