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

    public Dictionary<object, object?> Pull(long e, PullPattern pattern)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new InvalidOperationException($"pull nested too deep (over {_depth} levels); use a recursion limit");
        var level = Push(e);
        var result = new Dictionary<object, object?>(pattern.Specs.Length + (pattern.Wildcard ? 8 : 0));
        if (pattern.Wildcard) PullWildcard(e, pattern, level, result);
        var specs = pattern.Specs;
        for (var i = 0; i < specs.Length; i++) PullAttr(e, specs[i], level, result);
        _depth--;
        return result;
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

    private void PullWildcard(long e, PullPattern pattern, int level, Dictionary<object, object?> result)
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
    }

    private void PullAttr(long e, AttrSpec spec, int level, Dictionary<object, object?> result)
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
        var a = _schema[spec.Name];
        var reverse = false;
        if (a is null)
        {
            if (spec.Forward is not null && _schema[spec.Forward] is { IsRef: true } ra)
            {
                a = ra;
                reverse = true;
            }
            else
            {
                // not an attribute of this database: nothing to find
                if (spec.HasDefault) result[spec.Key] = spec.Default;
                return;
            }
        }
        // a bounded recursion that has gone its full depth leaves the attribute out
        if (spec.Recursion > 0 && _recursionDepth[spec.RecursionSlot] >= spec.Recursion) return;

        var values = Buffer(_values, level);
        if (reverse)
        {
            IndexScan.Collect(_db.Vaet, new ReverseDatoms(e, a.Id), values, a.IsComponent ? 1 : spec.Limit);
        }
        else
        {
            IndexScan.Collect(_db.Eavt, new AttrDatoms(e, a.Id), values, a.IsMany ? spec.Limit : 1);
        }
        if (values.Count == 0)
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
            var owners = new List<object?>(values.Count);
            for (var k = 0; k < values.Count; k++) owners.Add(Ref(a, values[k].E, spec, forward: false));
            result[spec.Key] = owners;
            return;
        }
        if (!a.IsMany)
        {
            result[spec.Key] = Value(a, values[0], spec);
            return;
        }
        var list = new List<object?>(values.Count);
        for (var k = 0; k < values.Count; k++) list.Add(Value(a, values[k], spec));
        result[spec.Key] = list;
    }

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
