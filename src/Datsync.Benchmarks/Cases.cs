using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// The Datsync side of every case. js/ds_bench.js does the same work with DataScript; each case's check string must
/// equal <see cref="Expected"/> on both sides.
/// </summary>
internal static partial class Cases
{
    internal static readonly Keyword DbAdd = Keyword.Intern(":db/add");
    internal static readonly Keyword RetractEntity = Keyword.Intern(":db/retractEntity");
    internal static readonly Keyword Id = Keyword.Intern(":id");
    internal static readonly Keyword Name = Keyword.Intern(":name");
    internal static readonly Keyword LastName = Keyword.Intern(":last-name");
    internal static readonly Keyword Age = Keyword.Intern(":age");
    internal static readonly Keyword Salary = Keyword.Intern(":salary");
    internal static readonly Keyword Follows = Keyword.Intern(":follows");
    internal static readonly Keyword Alias = Keyword.Intern(":alias");

    /// <summary>The five attributes of a person (the 100k datoms are these five on 20k entities).</summary>
    internal static readonly Keyword[] PersonAttrs = [Id, Name, LastName, Age, Salary];

    /// <summary>Every case name, in run order (DataScript runs the same list).</summary>
    public static readonly string[] Names =
    [
        "add-1", "add-5", "add-all", "init", "retract-5",
        "datoms-eavt", "datoms-aevt", "datoms-avet",
        "entity", "entity-wide", "pull", "pull-wide",
        "q1", "q2", "q2-swapped", "q3", "q4", "qpred1", "qpred2",
        "rules-wide-3x3", "rules-wide-5x3", "rules-wide-7x3", "rules-wide-4x6",
        "rules-long-10x3", "rules-long-30x3", "rules-long-30x5",
    ];

    /// <summary>Cases that need the Entity and Pull APIs.</summary>
    public static readonly string[] EntityPullNames = ["entity", "entity-wide", "pull", "pull-wide"];

    /// <summary>What each case's check must report on both engines.</summary>
    public static string Expected(string name, Workload w) => name switch
    {
        "add-1" or "add-5" or "add-all" or "init" => $"datoms={w.People.Length * 5} ids={w.People.Length}",
        "retract-5" => "datoms=0 ids=0",
        "datoms-eavt" or "datoms-aevt" => $"datoms={w.People.Length * 5}",
        "datoms-avet" => $"found={w.People.Length}",
        "entity" or "pull" => $"values={w.People.Length * 5} ageSum={w.AgeSum}",
        "entity-wide" or "pull-wide" => $"nodes={w.Wide.Length} aliases={w.WideAliasCount} ageSum={w.WideAgeSum}",
        _ when NeedsQuery(name) => ExpectedQuery(name, w),
        _ => throw new ArgumentException($"unknown case {name}"),
    };

    // ------------------------------------------------------------------ schema and shared dbs

    private static Dictionary<object, object?> AttrMap(Keyword ident, string type, bool many = false, bool identity = false)
    {
        var m = new Dictionary<object, object?>
        {
            [BuiltIns.Ident] = ident,
            [BuiltIns.ValueTypeKw] = Keyword.Intern(":db.type/" + type),
            [BuiltIns.Cardinality] = many ? BuiltIns.CardinalityMany : BuiltIns.CardinalityOne,
        };
        if (identity) m[BuiltIns.Unique] = BuiltIns.UniqueIdentity;
        return m;
    }

    /// <summary>The schema transaction (same schema as DataScript's: :id unique identity, :follows ref many, :alias many).</summary>
    internal static object?[] SchemaTx() =>
    [
        AttrMap(Id, "long", identity: true),
        AttrMap(Name, "string"),
        AttrMap(LastName, "string"),
        AttrMap(Age, "long"),
        AttrMap(Salary, "long"),
        AttrMap(Follows, "ref", many: true),
        AttrMap(Alias, "string", many: true),
    ];

    private static Db? _schemaDb, _fullDb;
    private static long[]? _eids;

    /// <summary>A database holding only the schema: the starting point of every write case.</summary>
    internal static Db SchemaDb => _schemaDb ??= Db.Empty.Transact(SchemaTx()).DbAfter;

    /// <summary>The 100k-datom database (all people in one transaction, as add-all builds it).</summary>
    internal static Db FullDb => _fullDb ??= SchemaDb.Transact(PersonMaps(_workload!)).DbAfter;

    /// <summary>Entity ids of the people in <see cref="FullDb"/>, in workload order.</summary>
    internal static long[] Eids => _eids ??= _workload!.People
        .Select(p => FullDb.EntId(new object?[] { Id, p.Id }) ?? throw new InvalidOperationException($"person {p.Id} missing"))
        .ToArray();

    private static Workload? _workload;

    internal static object?[] PersonMapsOf(Workload w) => PersonMaps(w);

    private static object?[] PersonMaps(Workload w) => w.People.Select(object? (p) => PersonMap(p)).ToArray();

    private static Dictionary<object, object?> PersonMap(Person p) => new()
    {
        [Id] = p.Id, [Name] = p.Name, [LastName] = p.LastName, [Age] = p.Age, [Salary] = p.Salary,
    };

    /// <summary>Counts the person datoms (AEVT of the five attributes) and the :id entries of AVET.</summary>
    internal static string CountCheck(Db db)
    {
        long datoms = 0, ids = 0;
        foreach (var a in PersonAttrs)
            foreach (var _ in db.Datoms(IndexType.Aevt, a)) datoms++;
        foreach (var _ in db.Datoms(IndexType.Avet, Id)) ids++;
        return $"datoms={datoms} ids={ids}";
    }

    // ------------------------------------------------------------------ cases

    public static List<BenchCase> All(Workload w)
    {
        _workload = w;
        var list = new List<BenchCase>
        {
            new("add-1", () => Add1(w)),
            new("add-5", () => Add5(w)),
            new("add-all", () => AddAll(w)),
            new("init", () => Init(w)),
            new("retract-5", () => Retract5(w)),
            new("datoms-eavt", DatomsEavt),
            new("datoms-aevt", DatomsAevt),
            new("datoms-avet", () => DatomsAvet(w)),
        };
        AddEntityPullCases(w, list);
        AddQueryCases(w, list);
        return list;
    }

    /// <summary>Implemented in Cases.EntityPull.cs.</summary>
    static partial void AddEntityPullCases(Workload w, List<BenchCase> list);

    /// <summary>Implemented in Cases.Queries.cs.</summary>
    static partial void AddQueryCases(Workload w, List<BenchCase> list);

    /// <summary>One datom per transaction: [:db/add "p" :id i], then one tx per remaining attribute on the entity id
    /// the first report resolved "p" to.</summary>
    private static Prepared Add1(Workload w)
    {
        var start = SchemaDb;
        var people = w.People;
        return new Prepared(() =>
        {
            var db = start;
            foreach (var p in people)
            {
                var r = db.Transact([new object?[] { DbAdd, "p", Id, p.Id }]);
                object e = r.Tempids["p"];
                db = r.DbAfter;
                db = db.Transact([new object?[] { DbAdd, e, Name, p.Name }]).DbAfter;
                db = db.Transact([new object?[] { DbAdd, e, LastName, p.LastName }]).DbAfter;
                db = db.Transact([new object?[] { DbAdd, e, Age, p.Age }]).DbAfter;
                db = db.Transact([new object?[] { DbAdd, e, Salary, p.Salary }]).DbAfter;
            }
            return db;
        }, r => CountCheck((Db)r));
    }

    /// <summary>One entity map (5 attributes, no :db/id) per transaction.</summary>
    private static Prepared Add5(Workload w)
    {
        var start = SchemaDb;
        var txs = w.People.Select(p => new object?[] { PersonMap(p) }).ToArray();
        return new Prepared(() =>
        {
            var db = start;
            foreach (var tx in txs) db = db.Transact(tx).DbAfter;
            return db;
        }, r => CountCheck((Db)r));
    }

    /// <summary>All 20k entity maps in one transaction.</summary>
    private static Prepared AddAll(Workload w)
    {
        var start = SchemaDb;
        var tx = PersonMaps(w);
        return new Prepared(() => start.Transact(tx).DbAfter, r =>
        {
            var db = (Db)r;
            // 100k person datoms + the schema db + one :db/txInstant datom
            if (db.Count != start.Count + w.People.Length * 5 + 1)
                throw new InvalidOperationException($"add-all: {db.Count} datoms, expected {start.Count + w.People.Length * 5 + 1}");
            return CountCheck(db);
        });
    }

    /// <summary>Bulk load of the 100k person datoms (plus the schema entities) with Db.FromDatoms; datoms built untimed.</summary>
    private static Prepared Init(Workload w)
    {
        var schemaDb = SchemaDb;
        var datoms = new List<Datom>();
        foreach (var d in schemaDb.Datoms(IndexType.Eavt))
            if (d.E >= EntityIds.FirstUser) datoms.Add(d); // attribute entities and the schema tx; built-ins are implicit
        var firstE = schemaDb.MaxEntityId + 1;
        var ids = PersonAttrs.Select(a => schemaDb.AttributeOf(a)!.Id).ToArray();
        var t = schemaDb.BasisT;
        for (var i = 0; i < w.People.Length; i++)
        {
            var p = w.People[i];
            var e = firstE + i;
            datoms.Add(Datom.Create(e, ids[0], p.Id, t));
            datoms.Add(Datom.Create(e, ids[1], p.Name, t));
            datoms.Add(Datom.Create(e, ids[2], p.LastName, t));
            datoms.Add(Datom.Create(e, ids[3], p.Age, t));
            datoms.Add(Datom.Create(e, ids[4], p.Salary, t));
        }
        var arr = datoms.ToArray();
        return new Prepared(() => Db.FromDatoms(arr, t), r => CountCheck((Db)r));
    }

    /// <summary>:db/retractEntity of each of the 20k people, one per transaction, in the workload's shuffled order.</summary>
    private static Prepared Retract5(Workload w)
    {
        var start = FullDb;
        var eids = w.RetractOrder.Select(i => (object)Eids[i]).ToArray();
        return new Prepared(() =>
        {
            var db = start;
            foreach (var e in eids) db = db.Transact([new object?[] { RetractEntity, e }]).DbAfter;
            return db;
        }, r => CountCheck((Db)r));
    }

    /// <summary>For each of the 20k people: all its datoms from EAVT by entity id.</summary>
    private static Prepared DatomsEavt()
    {
        var db = FullDb;
        var eids = Eids;
        return new Prepared(() =>
        {
            long n = 0;
            foreach (var e in eids)
                foreach (var _ in db.Datoms(IndexType.Eavt, e)) n++;
            return n;
        }, r => $"datoms={r}");
    }

    /// <summary>For each of the 5 attributes: all its datoms from AEVT.</summary>
    private static Prepared DatomsAevt()
    {
        var db = FullDb;
        return new Prepared(() =>
        {
            long n = 0;
            foreach (var a in PersonAttrs)
                foreach (var _ in db.Datoms(IndexType.Aevt, a)) n++;
            return n;
        }, r => $"datoms={r}");
    }

    /// <summary>For each of the 20k people: the AVET datoms of [:id value] (one each).</summary>
    private static Prepared DatomsAvet(Workload w)
    {
        var db = FullDb;
        var people = w.People;
        return new Prepared(() =>
        {
            long found = 0;
            foreach (var p in people)
                foreach (var _ in db.Datoms(IndexType.Avet, Id, p.Id)) found++;
            return found;
        }, r => $"found={r}");
    }
}
