using System.Collections;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// The cases that need the Entity and Pull APIs (<c>Entity? Db.Entity(object eid)</c>, <c>object? Entity[Keyword]</c>,
/// <c>long Entity.Id</c>, <c>IReadOnlyDictionary&lt;object, object?&gt;? Db.Pull(object pattern, object eid)</c>).
/// </summary>
internal static partial class Cases
{
    private static Db? _wideDb;
    private static long _wideRoot;

    /// <summary>The wide tree db: one transaction of 19,531 person maps with :follows children and :alias values.</summary>
    private static Db WideDb(Workload w)
    {
        if (_wideDb is not null) return _wideDb;
        var tx = new List<object?>(w.Wide.Length);
        foreach (var n in w.Wide)
        {
            var p = n.Person;
            var m = new Dictionary<object, object?>
            {
                [BuiltIns.DbId] = -p.Id,
                [Id] = p.Id, [Name] = p.Name, [LastName] = p.LastName, [Age] = p.Age, [Salary] = p.Salary,
            };
            if (n.Aliases.Length > 0) m[Alias] = n.Aliases.Cast<object?>().ToList();
            if (n.Follows.Length > 0) m[Follows] = n.Follows.Select(f => (object?)(-f)).ToList();
            tx.Add(m);
        }
        var r = SchemaDb.Transact(tx);
        _wideRoot = r.Tempids[-w.Wide[0].Person.Id];
        return _wideDb = r.DbAfter;
    }

    static partial void AddEntityPullCases(Workload w, List<BenchCase> list)
    {
        list.Add(new("entity", EntityCase));
        list.Add(new("entity-wide", () => EntityWide(w)));
        list.Add(new("pull", PullCase));
        list.Add(new("pull-wide", () => PullWide(w)));
    }

    /// <summary>For each of the 20k people: Db.Entity, then read its 5 attributes.</summary>
    private static Prepared EntityCase()
    {
        var db = FullDb;
        var eids = Eids.Select(e => (object)e).ToArray();
        return new Prepared(() =>
        {
            long values = 0, ageSum = 0;
            foreach (var eid in eids)
            {
                var en = db.Entity(eid) ?? throw new InvalidOperationException($"no entity {eid}");
                if (en[Id] is not null) values++;
                if (en[Name] is not null) values++;
                if (en[LastName] is not null) values++;
                if (en[Salary] is not null) values++;
                if (en[Age] is long age) { values++; ageSum += age; }
            }
            return (values, ageSum);
        }, r =>
        {
            var (values, ageSum) = ((long, long))r;
            return $"values={values} ageSum={ageSum}";
        });
    }

    private sealed class TreeCount
    {
        public long Nodes, Aliases, AgeSum;
        public override string ToString() => $"nodes={Nodes} aliases={Aliases} ageSum={AgeSum}";
    }

    /// <summary>From the root of the wide db, walk :follows through Entity, reading :db/id, :name, :last-name,
    /// :alias, :age, :salary of every node (DataScript's pull-entities).</summary>
    private static Prepared EntityWide(Workload w)
    {
        var db = WideDb(w);
        object root = _wideRoot;
        return new Prepared(() =>
        {
            var c = new TreeCount();
            Walk(db.Entity(root) ?? throw new InvalidOperationException("no wide root"), c);
            return c;
        }, r => r.ToString()!);

        static void Walk(Entity en, TreeCount c)
        {
            c.Nodes++;
            _ = en.Id;
            _ = en[Name];
            _ = en[LastName];
            _ = en[Salary];
            if (en[Age] is long age) c.AgeSum += age;
            if (en[Alias] is IEnumerable aliases)
                foreach (var _ in aliases) c.Aliases++;
            if (en[Follows] is IEnumerable children)
                foreach (var child in children) Walk((Entity)child!, c);
        }
    }

    /// <summary>For each of the 20k people: pull [:id :name :last-name :age :salary].</summary>
    private static Prepared PullCase()
    {
        var db = FullDb;
        var eids = Eids.Select(e => (object)e).ToArray();
        // parsed once, as DataScript's pull_many parses its pattern once
        var pattern = PullPattern.Parse(new object?[] { Id, Name, LastName, Age, Salary });
        return new Prepared(() =>
        {
            long values = 0, ageSum = 0;
            foreach (var m in db.PullMany(pattern, eids))
            {
                if (m is null) throw new InvalidOperationException("nothing pulled");
                values += m.Count;
                if (m.TryGetValue(Age, out var age) && age is long a) ageSum += a;
            }
            return (values, ageSum);
        }, r =>
        {
            var (values, ageSum) = ((long, long))r;
            return $"values={values} ageSum={ageSum}";
        });
    }

    /// <summary>Pull [:db/id :name :last-name :alias :age :salary {:follows ...}] from the root of the wide db.</summary>
    private static Prepared PullWide(Workload w)
    {
        var db = WideDb(w);
        object root = _wideRoot;
        object pattern = new object?[]
        {
            BuiltIns.DbId, Name, LastName, Alias, Age, Salary,
            new Dictionary<object, object?> { [Follows] = new Symbol("...") },
        };
        return new Prepared(() => db.Pull(pattern, root) ?? throw new InvalidOperationException("nothing pulled"), r =>
        {
            var c = new TreeCount();
            Count((IReadOnlyDictionary<object, object?>)r, c);
            return c.ToString();
        });

        static void Count(IReadOnlyDictionary<object, object?> m, TreeCount c)
        {
            c.Nodes++;
            if (m.TryGetValue(Age, out var age) && age is long a) c.AgeSum += a;
            if (m.TryGetValue(Alias, out var aliases) && aliases is IEnumerable al)
                foreach (var _ in al) c.Aliases++;
            if (m.TryGetValue(Follows, out var children) && children is IEnumerable ch)
                foreach (var child in ch) Count((IReadOnlyDictionary<object, object?>)child!, c);
        }
    }
}
