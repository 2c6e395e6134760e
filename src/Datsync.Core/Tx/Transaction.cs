using System.Collections;
using System.Globalization;

namespace Datsync.Core;

/// <summary>
/// One run of the transaction engine against a database value: expands tx forms, resolves entity identifiers and
/// tempids (with upsert), checks types, conflicts and uniqueness, and builds the new value. Pure: the input value
/// is never changed and a rejected transaction throws <see cref="TxRejectedException"/>.
/// </summary>
internal sealed class Transaction
{
    private enum OpKind : byte { Add, Retract, RetractEntity, Cas }

    /// <summary>A tempid; tempids unified by upsert share one root.</summary>
    private sealed class TempId(string display)
    {
        public readonly string Display = display;
        public TempId? Parent;
        public long Resolved;     // existing entity (upsert) or allocated id, 0 = none yet

        public TempId Root()
        {
            var t = this;
            while (t.Parent is not null) t = t.Parent;
            return t;
        }
    }

    /// <summary>An entity position: an id, or a tempid.</summary>
    private readonly record struct Ent(long Id, TempId? Temp)
    {
        public long Value => Temp is null ? Id : Temp.Root().Resolved;
    }

    private struct Op
    {
        public OpKind Kind;
        public Ent E;
        public Attribute? A;
        public long N;        // encoded value (refs: id when VTemp is null)
        public object? O;
        public TempId? VTemp; // ref value that is a tempid
        public bool HasOld;   // cas
        public long OldN;
        public object? OldO;
        public object? Form;
    }

    private static readonly Keyword Add = Keyword.Intern("db/add");
    private static readonly Keyword Retract = Keyword.Intern("db/retract");
    private static readonly Keyword RetractEntity = Keyword.Intern("db/retractEntity");
    private static readonly Keyword RetractEntityFn = Keyword.Intern("db.fn/retractEntity");
    private static readonly Keyword Cas = Keyword.Intern("db/cas");
    private static readonly Keyword CasFn = Keyword.Intern("db.fn/cas");
    private const string CurrentTx = "datomic.tx";

    private readonly Db _db;
    private readonly long _t;
    private readonly long _txId;
    private readonly List<Op> _ops = new();
    private Dictionary<object, TempId>? _tempids;
    private List<TempId>? _implicit;

    private readonly CoreLimits _limits;

    private Transaction(Db db, CoreLimits limits)
    {
        _db = db;
        _limits = limits;
        _t = db.BasisT + 1;
        _txId = EntityIds.TxId(_t);
    }

    public static TxReport Run(Db db, IEnumerable<object?> txData, DateTime? txInstant) =>
        Run(db, txData, txInstant, CoreLimits.Current);

    internal static TxReport Run(Db db, IEnumerable<object?> txData, DateTime? txInstant, CoreLimits limits)
    {
        ArgumentNullException.ThrowIfNull(txData);
        var tx = new Transaction(db, limits);
        foreach (var form in txData) tx.Expand(form);
        tx.ResolveTempids();
        return tx.Commit(txInstant);
    }

    // ---------------------------------------------------------------- expansion

    private static TxRejectedException Invalid(string message) => new(TxErrors.InvalidTxData, message);
    private static string Show(object? form) => EdnPrinter.Describe(form);

    private void Expand(object? form)
    {
        if (form is IReadOnlyList<object?> list) { ExpandList(list, form); return; }
        if (form is IList ilist and not Array { Rank: > 1 }) { ExpandList(ToList(ilist), form); return; }
        if (AsMap(form) is { } map) { ExpandMap(map, form!, 1); return; }
        throw Invalid($"a tx form must be a list or a map, got {Show(form)}");
    }

    private static IReadOnlyList<object?> ToList(IList l)
    {
        var a = new object?[l.Count];
        l.CopyTo(a, 0);
        return a;
    }

    private static IEnumerable<KeyValuePair<object?, object?>>? AsMap(object? x)
    {
        switch (x)
        {
            case EdnMap em: return em.Entries;
            case IReadOnlyDictionary<object, object?> rd: return rd.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value));
            case IDictionary d:
                var list = new List<KeyValuePair<object?, object?>>(d.Count);
                foreach (DictionaryEntry e in d) list.Add(new(e.Key, e.Value));
                return list;
            default: return null;
        }
    }

    private void ExpandList(IReadOnlyList<object?> f, object form)
    {
        if (f.Count == 0 || f[0] is not Keyword op) throw Invalid($"a list form must start with an operation keyword: {Show(form)}");
        if (op == Add || op == Retract)
        {
            if (f.Count != 4) throw Invalid($"{op} takes an entity, an attribute and a value: {Show(form)}");
            var a = Attr(f[2], form);
            var e = EntityRef(f[1], form);
            var o = new Op { Kind = op == Add ? OpKind.Add : OpKind.Retract, E = e, A = a, Form = form };
            Value(ref o, a, f[3], form);
            _ops.Add(o);
        }
        else if (op == RetractEntity || op == RetractEntityFn)
        {
            if (f.Count != 2) throw Invalid($"{op} takes one entity: {Show(form)}");
            _ops.Add(new Op { Kind = OpKind.RetractEntity, E = EntityRef(f[1], form), Form = form });
        }
        else if (op == Cas || op == CasFn)
        {
            if (f.Count != 5) throw Invalid($"{op} takes an entity, an attribute, the old and the new value: {Show(form)}");
            var a = Attr(f[2], form);
            if (a.IsMany) throw Invalid($"{op} needs a cardinality-one attribute, {a.Ident} is many: {Show(form)}");
            var o = new Op { Kind = OpKind.Cas, E = EntityRef(f[1], form), A = a, Form = form };
            if (f[3] is not null)
            {
                var old = new Op();
                Value(ref old, a, f[3], form);
                if (old.VTemp is not null) throw new TxRejectedException(TxErrors.TempidNotAnEntity, $"a tempid cannot be the old value of {op}: {Show(form)}");
                o.HasOld = true; o.OldN = old.N; o.OldO = old.O;
            }
            Value(ref o, a, f[4], form);
            _ops.Add(o);
        }
        else throw Invalid($"unknown operation {Show(op)} in {Show(form)}");
    }

    /// <summary>A map being expanded: its entity, the entry and the values in progress. Nested maps are expanded on an
    /// explicit stack of these, so hostile nesting meets <see cref="CoreLimits.MaxTxNestingDepth"/>, never the
    /// thread's stack.</summary>
    private sealed class MapFrame(Ent e, object form, IEnumerator<KeyValuePair<object?, object?>> entries, int depth)
    {
        public readonly Ent E = e;
        public readonly object Form = form;
        public readonly IEnumerator<KeyValuePair<object?, object?>> Entries = entries;
        public readonly int Depth = depth;
        public Keyword? Key;            // the entry in progress
        public Attribute? A;
        public bool Reverse;
        public IEnumerator<object?>? Values;
    }

    private Ent ExpandMap(IEnumerable<KeyValuePair<object?, object?>> map, object form, int depth)
    {
        var top = OpenMap(map, form, depth);
        List<MapFrame>? outer = null;
        while (true)
        {
            if (top.Values is not null && top.Values.MoveNext())
            {
                var v = top.Values.Current;
                if (top.Reverse)
                {
                    if (AsMap(v) is { } nested)
                    {
                        if (!HasIdentity(nested)) throw new TxRejectedException(TxErrors.InvalidNestedEntity, $"a nested map under reverse attribute {top.Key} needs a unique identity attribute: {Show(v)}");
                        (outer ??= new()).Add(top);
                        top = OpenMap(nested, v!, top.Depth + 1);
                        continue;
                    }
                    AddRef(EntityRef(v, top.Form), top.A!, top.E, top.Form);
                }
                else
                {
                    var a = top.A!;
                    if (a.IsRef && AsMap(v) is { } nested)
                    {
                        if (!a.IsComponent && !HasIdentity(nested))
                            throw new TxRejectedException(TxErrors.InvalidNestedEntity, $"a nested map under {a.Ident} needs a component attribute or a unique identity attribute: {Show(v)}");
                        (outer ??= new()).Add(top);
                        top = OpenMap(nested, v!, top.Depth + 1);
                        continue;
                    }
                    var o = new Op { Kind = OpKind.Add, E = top.E, A = a, Form = top.Form };
                    Value(ref o, a, v, top.Form);
                    _ops.Add(o);
                }
                continue;
            }
            top.Values = null;
            if (top.Entries.MoveNext())
            {
                StartEntry(top, top.Entries.Current);
                continue;
            }
            if (outer is null || outer.Count == 0) return top.E;
            // the nested map is done: the ref from (or, reversed, to) the map that holds it comes after its own datoms
            var done = top;
            top = outer[^1];
            outer.RemoveAt(outer.Count - 1);
            if (top.Reverse) AddRef(done.E, top.A!, top.E, top.Form);
            else AddRef(top.E, top.A!, done.E, top.Form);
        }
    }

    private MapFrame OpenMap(IEnumerable<KeyValuePair<object?, object?>> map, object form, int depth)
    {
        if (depth > _limits.MaxTxNestingDepth)
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"entity maps are nested more than {_limits.MaxTxNestingDepth:N0} deep (CoreLimits.MaxTxNestingDepth): {Show(form)}"));
        Ent? self = null;
        foreach (var kv in map)
            if (kv.Key is Keyword k && k == BuiltIns.DbId)
                self = EntityRef(kv.Value, form);
        return new MapFrame(self ?? new Ent(0, NewImplicit()), form, map.GetEnumerator(), depth);
    }

    private void StartEntry(MapFrame f, KeyValuePair<object?, object?> kv)
    {
        if (kv.Key is not Keyword k) throw Invalid($"map keys must be attribute keywords, got {Show(kv.Key)} in {Show(f.Form)}");
        if (k == BuiltIns.DbId) return;
        f.Key = k;
        if (k.IsReverse && _db.Schema[k] is null)
        {
            var ra = Attr(k.Reversed, f.Form);
            if (!ra.IsRef) throw Invalid($"reverse attribute {k} needs a ref attribute: {Show(f.Form)}");
            f.A = ra;
            f.Reverse = true;
            f.Values = Values(ra, kv.Value, reverse: true).GetEnumerator();
            return;
        }
        f.A = Attr(k, f.Form);
        f.Reverse = false;
        f.Values = Values(f.A, kv.Value, reverse: false).GetEnumerator();
    }

    private void AddRef(Ent e, Attribute a, Ent target, object form)
    {
        var o = new Op { Kind = OpKind.Add, E = e, A = a, Form = form };
        SetRef(ref o, target);
        _ops.Add(o);
    }

    private static void SetRef(ref Op o, Ent target)
    {
        if (target.Temp is not null) o.VTemp = target.Temp;
        else o.N = target.Id;
    }

    private bool HasIdentity(IEnumerable<KeyValuePair<object?, object?>> map)
    {
        foreach (var kv in map)
            if (kv.Key is Keyword k && _db.Schema[k] is { IsIdentity: true }) return true;
        return false;
    }

    /// <summary>The values of a map entry: a collection for cardinality-many (unless it is one lookup ref), else one value.</summary>
    private IEnumerable<object?> Values(Attribute a, object? v, bool reverse)
    {
        if ((a.IsMany || reverse) && v is not string && AsMap(v) is null && v is IEnumerable items && !(a.IsRef && IsLookupRef(v)))
        {
            foreach (var x in items) yield return x;
            yield break;
        }
        yield return v;
    }

    private bool IsLookupRef(object? v) =>
        v is IReadOnlyList<object?> { Count: 2 } l && l[0] is Keyword k && _db.Schema[k] is { Unique: not Uniqueness.None };

    private Attribute Attr(object? a, object form)
    {
        var attr = _db.AttributeOf(a);
        if (attr is not null) return attr;
        if (a is Keyword or long or int) throw new TxRejectedException(TxErrors.NotAnAttribute, $"{Show(a)} is not an installed attribute: {Show(form)}");
        throw Invalid($"attribute must be a keyword, got {Show(a)} in {Show(form)}");
    }

    private TempId NewImplicit()
    {
        _implicit ??= new List<TempId>();
        var t = new TempId("map#" + (_implicit.Count + 1));
        _implicit.Add(t);
        return t;
    }

    private TempId Temp(object key, string display)
    {
        _tempids ??= new Dictionary<object, TempId>();
        if (!_tempids.TryGetValue(key, out var t)) _tempids[key] = t = new TempId(display);
        return t;
    }

    /// <summary>Resolves an entity identifier: tempids stay symbolic, everything else must name an existing entity.</summary>
    private Ent EntityRef(object? x, object form)
    {
        switch (x)
        {
            case string s when s == CurrentTx:
                return new Ent(_txId, null);
            case string s:
                return new Ent(0, Temp(s, Show(s)));
            case long or int:
                var id = Convert.ToInt64(x);
                if (id < 0)
                {
                    return new Ent(0, Temp(id, id.ToString()));
                }
                if (!_db.EntityExists(id)) throw new TxRejectedException(TxErrors.NotAnEntity, $"entity id {id} does not exist: {Show(form)}");
                return new Ent(id, null);
            case Keyword k:
                var ie = _db.Schema.EntityOf(k) ?? throw new TxRejectedException(TxErrors.NotAnEntity, $"no entity has ident {Show(k)}: {Show(form)}");
                return new Ent(ie, null);
            case IReadOnlyList<object?> { Count: 2 } lr:
                return new Ent(LookupRef(lr, form), null);
            case IList { Count: 2 } il:
                return new Ent(LookupRef(ToList(il), form), null);
            case null:
                throw Invalid($"entity identifier is nil in {Show(form)}");
            default:
                throw Invalid($"{Show(x)} is not an entity identifier (id, ident, lookup ref or tempid) in {Show(form)}");
        }
    }

    /// <summary>Resolves a lookup ref against the database before the transaction (<see cref="Db.EntId"/>), and says
    /// why when it finds nothing.</summary>
    private long LookupRef(IReadOnlyList<object?> lr, object form)
    {
        // a ref-valued unique attribute lets lookup refs nest, and each level resolves the next one
        var depth = 1;
        for (var v = lr[1]; v is IReadOnlyList<object?> { Count: 2 } inner && inner[0] is Keyword; v = inner[1])
            if (++depth > _limits.MaxTxNestingDepth)
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"lookup refs are nested more than {_limits.MaxTxNestingDepth:N0} deep (CoreLimits.MaxTxNestingDepth): {Show(form)}"));
        if (_db.EntId(lr) is { } id) return id;
        var a = _db.AttributeOf(lr[0]) ?? throw new TxRejectedException(TxErrors.NotAnAttribute, $"lookup ref {Show(lr)} names no installed attribute: {Show(form)}");
        if (a.Unique == Uniqueness.None) throw new TxRejectedException(TxErrors.NotAnEntity, $"lookup ref {Show(lr)} needs a unique attribute, {a.Ident} is not: {Show(form)}");
        if (lr[1] is null) throw new TxRejectedException(TxErrors.NilValue, $"lookup ref {Show(lr)} has a nil value: {Show(form)}");
        throw new TxRejectedException(TxErrors.NotAnEntity, $"nothing found for lookup ref {Show(lr)}: {Show(form)}");
    }

    /// <summary>Sets the op's value from a raw value: type-checked and encoded, refs resolved.</summary>
    private void Value(ref Op o, Attribute a, object? v, object form)
    {
        if (v is null) throw new TxRejectedException(TxErrors.NilValue, $"nil is not a value of {a.Ident}: {Show(form)}");
        if (a.IsRef)
        {
            if (v is string or long or int or Keyword or IReadOnlyList<object?> or IList)
            {
                var r = EntityRef(v, form);
                SetRef(ref o, r);
                return;
            }
            throw new TxRejectedException(TxErrors.WrongType, $"{Show(v)} is not a ref for {a.Ident}: {Show(form)}");
        }
        if (!ValueCoercion.TryEncode(a.ValueType, v, out o.N, out o.O))
            throw new TxRejectedException(TxErrors.WrongType, $"{Show(v)} is not a {BuiltIns.TypeIdents[(int)a.ValueType]} for {a.Ident}{ValueCoercion.WhyNot(a.ValueType, v)}: {Show(form)}");
    }

    // ---------------------------------------------------------------- tempids

    private void ResolveTempids()
    {
        if (_tempids is null && _implicit is null) return;
        // upsert: a tempid asserting an identity value that exists becomes that entity; tempids asserting the same
        // new identity value become one entity. Repeat while ref-valued identities resolve further.
        Dictionary<(int, long, object?), TempId>? fresh = null;
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var op in _ops)
            {
                if (op.Kind != OpKind.Add || op.E.Temp is null || op.A is not { IsIdentity: true } a) continue;
                long n = op.N;
                if (op.VTemp is not null)
                {
                    var vr = op.VTemp.Root();
                    if (vr.Resolved == 0) continue;
                    n = vr.Resolved;
                }
                var root = op.E.Temp.Root();
                var existing = _db.LookupUnique(a, n, op.O);
                if (existing is { } ex)
                {
                    if (root.Resolved == 0) { root.Resolved = ex; changed = true; }
                    else if (root.Resolved != ex)
                        throw new TxRejectedException(TxErrors.UniqueConflict, $"tempid {root.Display} resolves to both {root.Resolved} and {ex} (by {a.Ident} {Show(Encoded.Decode(n, op.O))}): {Show(op.Form)}");
                    continue;
                }
                fresh ??= new();
                var key = (a.Id, op.O is null || op.O is ScalarTag ? n : 0, op.O);
                if (fresh.TryGetValue(key, out var other))
                {
                    var or = other.Root();
                    if (!ReferenceEquals(or, root))
                    {
                        if (or.Resolved != 0 && root.Resolved != 0 && or.Resolved != root.Resolved)
                            throw new TxRejectedException(TxErrors.UniqueConflict, $"tempids {root.Display} and {or.Display} share {a.Ident} {Show(Encoded.Decode(n, op.O))} but resolve to {root.Resolved} and {or.Resolved}: {Show(op.Form)}");
                        if (root.Resolved == 0) root.Resolved = or.Resolved;
                        or.Parent = root;
                        changed = true;
                    }
                }
                else fresh[key] = root;
            }
        }
        var next = _db.MaxEntityId;
        foreach (var op in _ops)
        {
            if (op.E.Temp is null) continue;
            var r = op.E.Temp.Root();
            if (op.Kind == OpKind.Add && r.Resolved == 0) r.Resolved = ++next;
        }
        _maxEid = next;
        foreach (var op in _ops)
        {
            var unresolved = op.E.Temp is { } et && et.Root().Resolved == 0 ? et : op.VTemp is { } vt && vt.Root().Resolved == 0 ? vt : null;
            if (unresolved is not null)
                throw new TxRejectedException(TxErrors.TempidNotAnEntity, $"tempid {unresolved.Display} is used only as a value; it must also be the entity of an assertion: {Show(op.Form)}");
        }
    }

    private long _maxEid;

    // ---------------------------------------------------------------- datoms

    private readonly struct Fact(long e, int a, long n, object? o) : IEquatable<Fact>
    {
        public readonly long E = e;
        public readonly int A = a;
        public readonly long N = n;
        public readonly object? O = o;
        public bool Equals(Fact other) => E == other.E && A == other.A && Encoded.ValueEquals(N, O, other.N, other.O);
        public override bool Equals(object? obj) => obj is Fact f && Equals(f);
        public override int GetHashCode() => HashCode.Combine(E, A, Encoded.ValueHash(N, O));
    }

    private TxReport Commit(DateTime? txInstant)
    {
        var schema = _db.Schema;
        var asserts = new List<(Fact f, object? form, int at)>(_ops.Count + 1);
        List<(Fact f, object? form, int at)>? retracts = null;
        var explicitInstant = false;
        long explicitTicks = 0;

        for (var at = 0; at < _ops.Count; at++)
        {
            var op = _ops[at];
            var e = op.E.Value;
            switch (op.Kind)
            {
                case OpKind.Add:
                {
                    var n = op.VTemp is null ? op.N : op.VTemp.Root().Resolved;
                    if (op.A!.Id == BuiltIns.TxInstantId)
                    {
                        // instants only grow with t: that keeps :db/txInstant's AEVT order equal to its AVET order
                        if (e != _txId) throw Invalid($"only the transaction entity (\"{CurrentTx}\") has {BuiltIns.TxInstant}: {Show(op.Form)}");
                        if (n < _db.LastTxTicks) throw Invalid($"{BuiltIns.TxInstant} may not be earlier than the previous transaction's: {Show(op.Form)}");
                        explicitInstant = true;
                        explicitTicks = n;
                    }
                    asserts.Add((new Fact(e, op.A!.Id, n, op.O), op.Form, at));
                    break;
                }
                case OpKind.Retract:
                {
                    if (op.E.Temp is not null || op.VTemp is not null)
                        throw new TxRejectedException(TxErrors.TempidNotAnEntity, $"a retraction cannot name a tempid: {Show(op.Form)}");
                    (retracts ??= new()).Add((new Fact(e, op.A!.Id, op.N, op.O), op.Form, at));
                    break;
                }
                case OpKind.Cas:
                {
                    if (op.E.Temp is not null) throw new TxRejectedException(TxErrors.TempidNotAnEntity, $"{Cas} cannot name a tempid: {Show(op.Form)}");
                    var a = op.A!;
                    var cur = Current(e, a.Id);
                    var ok = op.HasOld ? cur is not null && Encoded.ValueEquals(cur.N, cur.O, op.OldN, op.OldO) : cur is null;
                    if (!ok)
                        throw new TxRejectedException(TxErrors.CasFailed, $"compare failed: {a.Ident} of {e} is {(cur is not null ? Show(cur.V) : "nil")}, expected {(op.HasOld ? Show(Encoded.Decode(op.OldN, op.OldO)) : "nil")}: {Show(op.Form)}");
                    var n = op.VTemp is null ? op.N : op.VTemp.Root().Resolved;
                    asserts.Add((new Fact(e, a.Id, n, op.O), op.Form, at));
                    break;
                }
                case OpKind.RetractEntity:
                    if (op.E.Temp is not null) throw new TxRejectedException(TxErrors.TempidNotAnEntity, $"{RetractEntity} cannot name a tempid: {Show(op.Form)}");
                    retracts ??= new();
                    foreach (var d in EntityClosure(e)) retracts.Add((new Fact(d.E, d.A, d.N, d.O), op.Form, at));
                    break;
            }
        }

        var ticks = explicitInstant ? explicitTicks : Math.Max((txInstant ?? DateTime.UtcNow).ToUniversalTime().Ticks, _db.LastTxTicks);
        if (!explicitInstant) asserts.Insert(0, (new Fact(_txId, BuiltIns.TxInstantId, ticks, ScalarTag.Instant), null, -1));

        var txData = new List<Datom>(asserts.Count + (retracts?.Count ?? 0) + 2);
        var retracted = new FactSet(retracts?.Count ?? 0);
        if (retracts is not null)
            foreach (var (f, form, _) in retracts)
            {
                CheckNotBuiltIn(f.E, form);
                if (!retracted.Add(f)) continue;
                var held = IsNew(f.E) ? null : _db.Eavt.Find(Db.Probe(f.E, f.A, f.N, f.O));
                if (held is not null) txData.Add(held.WithAdded(false, _t));
            }

        // assertions: dedupe, detect conflicts, drop redundant ones, replace cardinality-one values
        // one assertion besides the transaction's own instant cannot repeat: no set needed then
        var seen = asserts.Count > 2 || explicitInstant ? new FactSet(asserts.Count) : null;
        Dictionary<(long, int), (Fact f, object? form)>? cardOne = null;
        List<(Fact f, object? form, int at, Attribute a)>? checkUnique = null;
        List<(Fact f, int at)>? replaced = null;
        (long e, int a, Fact f, object? form) lastOne = default;
        var ones = 0;
        foreach (var (f, form, at) in asserts)
        {
            CheckNotBuiltIn(f.E, form);
            if (seen is not null && !seen.Add(f)) continue;
            var a = schema[f.A]!;
            if (retracted.Count > 0 && retracted.Contains(f))
                throw new TxRejectedException(TxErrors.DatomsConflict, $"{FactText(f)} is both asserted and retracted: {Show(form)}");
            if (!a.IsMany)
            {
                // two values for one cardinality-one attribute of one entity conflict
                (long, int, Fact, object?)? prev = null;
                if (ones == 1 && lastOne.e == f.E && lastOne.a == f.A) prev = lastOne;
                else if (cardOne is not null && cardOne.TryGetValue((f.E, f.A), out var p)) prev = (f.E, f.A, p.f, p.form);
                if (prev is { } pv)
                    throw new TxRejectedException(TxErrors.DatomsConflict, $"two values for cardinality-one {a.Ident} of {f.E} in one transaction: {Show(Encoded.Decode(pv.Item3.N, pv.Item3.O))} and {Show(Encoded.Decode(f.N, f.O))} ({Show(pv.Item4)} and {Show(form)})");
                if (ones == 0) lastOne = (f.E, f.A, f, form);
                else
                {
                    if (cardOne is null) { cardOne = new(); cardOne[(lastOne.e, lastOne.a)] = (lastOne.f, lastOne.form); }
                    cardOne[(f.E, f.A)] = (f, form);
                }
                ones++;
            }
            if (a.Unique != Uniqueness.None) (checkUnique ??= new()).Add((f, form, at, a));
            if (IsNew(f.E))
            {
                txData.Add(new Datom(f.E, f.A, f.N, f.O, _t, true));
                continue;
            }
            if (a.IsMany)
            {
                if (_db.Eavt.Contains(Db.Probe(f.E, f.A, f.N, f.O))) continue; // redundant
            }
            else if (Current(f.E, f.A) is { } cur)
            {
                if (Encoded.ValueEquals(cur.N, cur.O, f.N, f.O)) continue; // redundant
                var old = new Fact(cur.E, cur.A, cur.N, cur.O);
                if (retracted.Add(old)) txData.Add(cur.WithAdded(false, _t));
                if (a.Unique != Uniqueness.None) (replaced ??= new()).Add((old, at));
            }
            txData.Add(new Datom(f.E, f.A, f.N, f.O, _t, true));
        }
        if (checkUnique is not null) CheckUnique(checkUnique, retracts, replaced);
        return Apply(txData, ticks);
    }

    /// <summary>A unique value may be held by one entity only. Its holder gives it up for another entity in the same
    /// transaction only by a form that comes earlier: a retraction, or a new value of a cardinality-one attribute.</summary>
    private void CheckUnique(List<(Fact f, object? form, int at, Attribute a)> facts, List<(Fact f, object? form, int at)>? retracts, List<(Fact f, int at)>? replaced)
    {
        Dictionary<(int, long, object?), long>? inTx = facts.Count > 1 ? new() : null;
        foreach (var (f, form, at, a) in facts)
        {
            if (inTx is not null)
            {
                var key = (f.A, f.O is null || f.O is ScalarTag ? f.N : 0, f.O);
                if (inTx.TryGetValue(key, out var other) && other != f.E)
                    throw new TxRejectedException(TxErrors.UniqueConflict, $"{a.Ident} {Show(Encoded.Decode(f.N, f.O))} asserted for both {other} and {f.E}: {Show(form)}");
                inTx[key] = f.E;
            }
            var holder = _db.LookupUnique(a, f.N, f.O);
            if (holder is not { } h || h == f.E) continue;
            var held = new Fact(h, f.A, f.N, f.O);
            var freed = false;
            if (retracts is not null) foreach (var r in retracts) if (r.at < at && r.f.Equals(held)) { freed = true; break; }
            if (!freed && replaced is not null) foreach (var r in replaced) if (r.at < at && r.f.Equals(held)) { freed = true; break; }
            if (!freed)
                throw new TxRejectedException(TxErrors.UniqueConflict, $"{a.Ident} {Show(Encoded.Decode(f.N, f.O))} is already held by entity {h}: {Show(form)}");
        }
    }

    /// <summary>The schema every database starts with is read-only, as in Datomic: renaming <c>:db.cardinality/one</c>
    /// or adding a fact to <c>:db.type/string</c> would break every later schema install.</summary>
    private void CheckNotBuiltIn(long e, object? form)
    {
        if (e >= EntityIds.FirstUser || !BuiltIns.IsBuiltIn(e)) return;
        throw new TxRejectedException(TxErrors.IncompatibleSchemaChange,
            $"{_db.Ident(e)?.ToString() ?? e.ToString(CultureInfo.InvariantCulture)} (entity {e}) is a built-in schema entity and cannot be changed: {Show(form)}");
    }

    /// <summary>True for an entity this transaction creates: it has no datoms in the database before.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool IsNew(long e) => e == _txId || (e > _db.MaxEntityId && e < EntityIds.TxBase);

    /// <summary>The current datom of a cardinality-one attribute of an entity, or null.</summary>
    private Datom? Current(long e, int a)
    {
        if (IsNew(e)) return null;
        var d = _db.Eavt.First(Db.Probe(e, a, 0, ScalarTag.Min));
        return d is not null && d.E == e && d.A == a ? d : null;
    }

    /// <summary>A set of facts in insertion order: a list scan while small, hashed once it grows.</summary>
    private sealed class FactSet(int capacity)
    {
        private List<Fact>? _list;
        private HashSet<Fact>? _hash;
        private List<Fact> Items => _list ??= new List<Fact>(Math.Max(capacity, 4));

        public int Count => _list?.Count ?? 0;

        public bool Add(Fact f)
        {
            if (Count > 0 && Contains(f)) return false;
            Items.Add(f);
            if (_hash is not null) _hash.Add(f);
            else if (_list!.Count > 8) _hash = new HashSet<Fact>(_list);
            return true;
        }

        public bool Contains(Fact f)
        {
            if (_hash is not null) return _hash.Contains(f);
            if (_list is null) return false;
            foreach (var x in _list) if (x.Equals(f)) return true;
            return false;
        }
    }

    private static string FactText(Fact f) => $"[{f.E} {f.A} {Show(Encoded.Decode(f.N, f.O))}]";

    /// <summary>The datoms <c>:db/retractEntity</c> removes: the entity's own, the refs pointing at it, and its
    /// components, recursively.</summary>
    private List<Datom> EntityClosure(long root)
    {
        var result = new List<Datom>();
        var visited = new HashSet<long>();
        var stack = new Stack<long>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (!visited.Add(e)) continue;
            foreach (var d in _db.Eavt.Slice(Db.Probe(e, int.MinValue, 0, ScalarTag.Min), Db.Probe(e, int.MaxValue, 0, ScalarTag.Max)))
            {
                result.Add(d);
                if (_db.Schema[d.A] is { IsComponent: true } && !BuiltIns.IsBuiltIn(d.N)) stack.Push(d.N);
            }
            foreach (var d in _db.Vaet.Slice(Db.Probe(long.MinValue, int.MinValue, e, null), Db.Probe(long.MaxValue, int.MaxValue, e, null)))
                result.Add(d);
        }
        return result;
    }

    // ---------------------------------------------------------------- new value

    private TxReport Apply(List<Datom> txData, long ticks)
    {
        var after = TxApply.Apply(_db, txData, _t, Math.Max(_maxEid, _db.MaxEntityId), ticks);
        return new TxReport(_db, after, txData, Tempids());
    }

    private IReadOnlyDictionary<object, long> Tempids()
    {
        if (_tempids is null) return Empty;
        var map = new Dictionary<object, long>(_tempids.Count);
        foreach (var (k, t) in _tempids) map[k] = t.Root().Resolved;
        return map;
    }

    private static readonly IReadOnlyDictionary<object, long> Empty = new Dictionary<object, long>();
}
