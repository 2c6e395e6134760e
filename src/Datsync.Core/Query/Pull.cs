namespace Datsync.Core;

/// <summary>
/// Applies a <see cref="PullPattern"/> to entities of one database value (Datomic pull semantics). One instance per
/// call (or per <see cref="Db.PullMany"/>): it holds the scratch buffers and the current path, so it is not shared
/// between threads.
/// </summary>
/// <remarks>
/// Result shape: a <c>Dictionary&lt;object, object?&gt;</c> per entity, keyed by the attribute keyword as written in
/// the pattern (<c>:ns/_name</c> for reverse refs) or by the <c>:as</c> alias; cardinality-many and non-component
/// reverse values are <c>List&lt;object?&gt;</c> in index order; a ref without a sub-pattern is <c>{:db/id n}</c>
/// (also when the target has an ident), except a forward component ref, which is pulled with <c>[*]</c>.
/// Cardinality-many and reverse refs return at most <see cref="PullPattern.DefaultLimit"/> values unless the spec
/// says <c>:limit</c>; the wildcard returns every value. Recursion (and component expansion) shows an entity that
/// is already on the path from the pulled entity as <c>{:db/id n}</c>, so cycles end.
/// </remarks>
internal sealed class Puller
{
    private readonly Db _db;
    private readonly Schema _schema;
    private readonly int[] _recursionDepth;
    private long[] _path = new long[16];
    private int _depth;
    // per path level: values of one attribute, and all datoms of the entity for the wildcard
    private List<Datom>?[] _values = new List<Datom>?[16];
    private List<Datom>?[] _entityDatoms = new List<Datom>?[16];

    public Puller(Db db, PullPattern root)
    {
        _db = db;
        _schema = db.Schema;
        _recursionDepth = root.RecursionSlots == 0 ? [] : new int[root.RecursionSlots];
    }

    // the per-entity methods are compiled optimized at once: tiering would run the first thousands of pulls unoptimized
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public Dictionary<object, object?> Pull(long e, PullPattern pattern)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new InvalidOperationException($"pull nested too deep (over {_depth} levels); use a recursion limit");
        var level = Push(e);
        var result = new Dictionary<object, object?>(pattern.Specs.Length + (pattern.Wildcard ? 8 : 0));
        var plan = PlanOf(pattern);
        // with two or more forward attributes, one EAVT read of the entity serves them all
        List<Datom>? entity = null;
        if (pattern.Wildcard) entity = PullWildcard(e, pattern, level, result);
        else if (plan.Forward >= 2)
        {
            entity = Buffer(_entityDatoms, level);
            IndexScan.Collect(_db.Eavt, new EntityDatoms(e), entity, EntityReadCap + 1);
            if (entity.Count > EntityReadCap) entity = null; // a big entity: a read per attribute is cheaper
        }
        var specs = pattern.Specs;
        for (var i = 0; i < specs.Length; i++) PullAttr(e, specs[i], plan.Attrs[i], plan.Reverse[i], level, entity, result);
        _depth--;
        return result;
    }

    // most datoms one read of an entity takes before the pull falls back to a read per attribute
    private const int EntityReadCap = 256;

    /// <summary>A pattern's attributes resolved against one schema; kept on the pattern for the next pull.</summary>
    internal sealed class Plan(Schema schema, Attribute?[] attrs, bool[] reverse, int forward)
    {
        public readonly Schema Schema = schema;
        public readonly Attribute?[] Attrs = attrs;
        public readonly bool[] Reverse = reverse;
        public readonly int Forward = forward;
    }

    private Plan PlanOf(PullPattern pattern)
    {
        var plan = pattern.Plan;
        if (plan is not null && ReferenceEquals(plan.Schema, _schema)) return plan;
        var specs = pattern.Specs;
        var attrs = new Attribute?[specs.Length];
        var reverse = new bool[specs.Length];
        var forward = 0;
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            if (spec.IsDbId) continue;
            var a = _schema[spec.Name];
            if (a is null && spec.Forward is not null && _schema[spec.Forward] is { IsRef: true } ra)
            {
                a = ra;
                reverse[i] = true;
            }
            else if (a is not null) forward++;
            attrs[i] = a;
        }
        plan = new Plan(_schema, attrs, reverse, forward);
        pattern.Plan = plan; // a race only makes the same plan twice
        return plan;
    }

    /// <summary>Pulls the pattern for each entity in order; null for an eid that names no entity.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void PullEach(IEnumerable<object> eids, PullPattern pattern, List<IReadOnlyDictionary<object, object?>?> results)
    {
        foreach (var eid in eids)
        {
            long? e = eid is long l ? (_db.EntityExists(l) ? l : null) : _db.EntId(eid);
            results.Add(e is { } id ? Pull(id, pattern) : null);
        }
    }

    private int Push(long e)
    {
        if (_depth == _path.Length)
        {
            Array.Resize(ref _path, _depth * 2);
            Array.Resize(ref _values, _depth * 2);
            Array.Resize(ref _entityDatoms, _depth * 2);
        }
        _path[_depth] = e;
        return _depth++;
    }

    private bool OnPath(long e)
    {
        for (var i = 0; i < _depth; i++)
            if (_path[i] == e) return true;
        return false;
    }

    private static List<Datom> Buffer(List<Datom>?[] buffers, int level)
    {
        var b = buffers[level] ??= new List<Datom>();
        b.Clear();
        return b;
    }

    /// <summary>Adds every attribute the pattern does not name; returns the entity's datoms.</summary>
    private List<Datom> PullWildcard(long e, PullPattern pattern, int level, Dictionary<object, object?> result)
    {
        result[BuiltIns.DbId] = e;
        var datoms = Buffer(_entityDatoms, level);
        IndexScan.Collect(_db.Eavt, new EntityDatoms(e), datoms, -1);
        var skip = pattern.Explicit;
        var i = 0;
        while (i < datoms.Count)
        {
            var aId = datoms[i].A;
            var j = i + 1;
            while (j < datoms.Count && datoms[j].A == aId) j++;
            var a = _schema[aId];
            if (a is not null && Array.IndexOf(skip, a.Ident) < 0)
            {
                if (a.IsMany)
                {
                    var list = new List<object?>(j - i);
                    for (var k = i; k < j; k++) list.Add(Value(a, datoms[k], null));
                    result[a.Ident] = list;
                }
                else result[a.Ident] = Value(a, datoms[i], null);
            }
            i = j;
        }
        return datoms;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void PullAttr(long e, AttrSpec spec, Attribute? a, bool reverse, int level, List<Datom>? entity,
        Dictionary<object, object?> result)
    {
        if (spec.IsDbId)
        {
            result[spec.Key] = e;
            return;
        }
        if (ReferenceEquals(spec.Name, Db.RemoteIdAttr) && _db.RemoteIdResolver is not null)
        {
            if (_db.RemoteIdOf(e) is { } remote) result[spec.Key] = remote;
            else if (spec.HasDefault) result[spec.Key] = spec.Default;
            return;
        }
        if (a is null)
        {
            // not an attribute of this database: nothing to find
            if (spec.HasDefault) result[spec.Key] = spec.Default;
            return;
        }
        // a bounded recursion that has gone its full depth leaves the attribute out
        if (spec.Recursion > 0 && _recursionDepth[spec.RecursionSlot] >= spec.Recursion) return;

        List<Datom> values;
        int from, count;
        if (reverse)
        {
            values = Buffer(_values, level);
            IndexScan.Collect(_db.Vaet, new ReverseDatoms(e, a.Id), values, a.IsComponent ? 1 : spec.Limit);
            from = 0; count = values.Count;
        }
        else
        {
            var max = a.IsMany ? spec.Limit : 1;
            if (entity is not null)
            {
                values = entity;
                from = FirstOfAttr(entity, a.Id);
                var end = from;
                while (end < entity.Count && entity[end].A == a.Id) end++;
                count = end - from;
                if (max >= 0 && count > max) count = max;
            }
            else
            {
                values = Buffer(_values, level);
                IndexScan.Collect(_db.Eavt, new AttrDatoms(e, a.Id), values, max);
                from = 0; count = values.Count;
            }
        }
        if (count == 0)
        {
            if (spec.HasDefault) result[spec.Key] = spec.Default;
            return;
        }
        if (reverse)
        {
            // the owner of a component is one entity; any other reverse ref is a collection
            if (a.IsComponent)
            {
                result[spec.Key] = Ref(a, values[0].E, spec, forward: false);
                return;
            }
            var owners = new List<object?>(count);
            for (var k = 0; k < count; k++) owners.Add(Ref(a, values[k].E, spec, forward: false));
            result[spec.Key] = owners;
            return;
        }
        if (!a.IsMany)
        {
            result[spec.Key] = Value(a, values[from], spec);
            return;
        }
        var list = new List<object?>(count);
        for (var k = from; k < from + count; k++) list.Add(Value(a, values[k], spec));
        result[spec.Key] = list;
    }

    /// <summary>Index of the first datom of attribute a in one entity's datoms (EAVT order), or where it would be.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int FirstOfAttr(List<Datom> datoms, int a)
    {
        int lo = 0, hi = datoms.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (datoms[mid].A < a) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private object? Value(Attribute a, Datom d, AttrSpec? spec) =>
        a.IsRef ? Ref(a, d.N, spec, forward: true) : Encoded.Decode(d.N, d.O);

    private object Ref(Attribute a, long target, AttrSpec? spec, bool forward)
    {
        if (spec is not null)
        {
            if (spec.Sub is not null) return Pull(target, spec.Sub);
            if (spec.Recursion != 0)
            {
                // an entity already on the path would recurse forever: it stands as its id
                if (OnPath(target)) return IdMap(target);
                _recursionDepth[spec.RecursionSlot]++;
                var nested = Pull(target, spec.RecursionTarget!);
                _recursionDepth[spec.RecursionSlot]--;
                return nested;
            }
        }
        if (forward && a.IsComponent && !OnPath(target)) return Pull(target, PullPattern.Everything);
        return IdMap(target);
    }

    private static Dictionary<object, object?> IdMap(long e) => new(1) { [BuiltIns.DbId] = e };
}
