using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// A lazy, read-only view of one entity in one database value (Datomic's <c>entity</c>). The entity's datoms are read
/// on first access and kept; an <see cref="Entity"/> is safe to share between threads. Two entities are equal when
/// they have the same id in the same <see cref="Datsync.Core.Db"/> value.
/// </summary>
/// <remarks>
/// Values by attribute: cardinality-one gives the value; cardinality-many gives an <see cref="IReadOnlySet{T}"/>;
/// a ref value is an <see cref="Entity"/>; <c>:ns/_attr</c> gives the entities that point here through
/// <c>:ns/attr</c> as a set, or the single owner for a component attribute; <c>:db/id</c> gives <see cref="Id"/>;
/// anything absent gives null.
/// </remarks>
public sealed class Entity : IEquatable<Entity>
{
    private Datom[]? _datoms;

    /// <summary>The database value this entity is read from.</summary>
    public Db Db { get; }

    /// <summary>The entity id (<c>:db/id</c>).</summary>
    public long Id { get; }

    internal Entity(Db db, long id)
    {
        Db = db;
        Id = id;
    }

    /// <summary>The entity's current datoms in EAVT order, read once.</summary>
    private Datom[] Datoms => Volatile.Read(ref _datoms) ?? Load();

    private Datom[] Load()
    {
        var list = new List<Datom>();
        IndexScan.Collect(Db.Eavt, new EntityDatoms(Id), list, -1);
        // racing readers compute the same array; the first one published wins
        return Interlocked.CompareExchange(ref _datoms, list.ToArray(), null) ?? _datoms!;
    }

    /// <summary>The value of an attribute (see the class remarks), or null when the entity has none.</summary>
    public object? this[Keyword attr]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(attr);
            if (ReferenceEquals(attr, BuiltIns.DbId)) return Id;
            if (ReferenceEquals(attr, Db.RemoteIdAttr) && Db.RemoteIdResolver is not null) return Db.RemoteIdOf(Id);
            var schema = Db.Schema;
            if (schema[attr] is { } a) return Forward(a);
            if (attr.IsReverse && schema[attr.Reversed] is { IsRef: true } ra) return Reverse(ra);
            return null;
        }
    }

    /// <summary>The value of an attribute named like <c>":ns/name"</c> (the colon is optional).</summary>
    public object? this[string attr] => this[Keyword.Intern(attr)];

    /// <summary>
    /// The value of <paramref name="attr"/> as <typeparamref name="T"/>, or <c>default</c> when the entity has none.
    /// A ref value reads as <see cref="Entity"/> or as its id (<see cref="long"/>); integers read as any integral type
    /// they fit. A cardinality-many attribute reads as a collection of its values: <typeparamref name="T"/> an array,
    /// <c>List&lt;X&gt;</c>, <c>HashSet&lt;X&gt;</c> or an interface they implement (<c>IReadOnlyList&lt;X&gt;</c>,
    /// <c>IReadOnlySet&lt;X&gt;</c>, <c>IEnumerable&lt;X&gt;</c>, ...), e.g. <c>Get&lt;IReadOnlySet&lt;string&gt;&gt;</c>;
    /// or use <see cref="GetAll{T}"/>.
    /// </summary>
    /// <exception cref="InvalidCastException">The value is not a <typeparamref name="T"/> (the message names the
    /// attribute and both types).</exception>
    public T? Get<T>(string attr)
    {
        var value = this[attr];
        if (value is null) return default;
        if (value is IReadOnlySet<object> many && typeof(T) != typeof(object))
            return (T)(Many(typeof(T), attr, many)
                       ?? throw new InvalidCastException($"{Keyword.Intern(attr)} of entity {Id} has many values, not one {typeof(T).Name}: " +
                                                         "read it as a collection (Get<IReadOnlySet<X>>, GetAll<X>)"));
        return (T)As(typeof(T), attr, value);
    }

    /// <summary>Every value of <paramref name="attr"/> as <typeparamref name="T"/> (cardinality-many: all of them,
    /// cardinality-one: the one), empty when the entity has none.</summary>
    /// <exception cref="InvalidCastException">A value is not a <typeparamref name="T"/>.</exception>
    public IReadOnlyList<T> GetAll<T>(string attr) => this[attr] switch
    {
        null => [],
        IReadOnlySet<object> many => many.Select(v => (T)As(typeof(T), attr, v)).ToArray(),
        var one => [(T)As(typeof(T), attr, one)],
    };

    /// <summary>The values of a cardinality-many attribute as the collection type <paramref name="type"/>, or null
    /// when it is no collection type this can make.</summary>
    private object? Many(Type type, string attr, IReadOnlySet<object> values)
    {
        var element = type.IsArray ? type.GetElementType()
            : type.IsGenericType && type.GetGenericArguments() is [var x] ? x : null;
        if (element is null) return null;
        var converted = values.Select(v => As(element, attr, v));
        if (type.IsArray)
        {
            var items = converted.ToArray();
            var array = Array.CreateInstance(element, items.Length);
            Array.Copy(items, array, items.Length);
            return array;
        }
        // a list where one will do (IEnumerable, IReadOnlyList, ICollection, ...), else a set (ISet, IReadOnlySet)
        var list = typeof(List<>).MakeGenericType(element);
        var set = typeof(HashSet<>).MakeGenericType(element);
        var made = type.IsAssignableFrom(list) ? list : type.IsAssignableFrom(set) ? set : null;
        if (made is null) return null;
        var collection = Activator.CreateInstance(made)!;
        var add = made.GetMethod("Add")!;
        foreach (var v in converted) add.Invoke(collection, [v]);
        return collection;
    }

    private object As(Type type, string attr, object value) =>
        TypedValues.As(type, value, out var why) ?? throw new InvalidCastException($"{Keyword.Intern(attr)} of entity {Id} {why}");

    /// <summary>The attributes this entity has a value for, in attribute id order.</summary>
    public IReadOnlyList<Keyword> Keys
    {
        get
        {
            var datoms = Datoms;
            var keys = new List<Keyword>();
            for (var i = 0; i < datoms.Length; i++)
            {
                if (i > 0 && datoms[i].A == datoms[i - 1].A) continue;
                if (Db.Schema[datoms[i].A] is { } a) keys.Add(a.Ident);
            }
            return keys;
        }
    }

    /// <summary>
    /// All attributes and values as a map, with <c>:db/id</c>; component entities are touched recursively (their
    /// values are maps), other ref values stay <see cref="Entity"/>.
    /// </summary>
    public IReadOnlyDictionary<Keyword, object?> Touch() => Touch(new HashSet<long>());

    private Dictionary<Keyword, object?> Touch(HashSet<long> path)
    {
        path.Add(Id);
        var datoms = Datoms;
        var result = new Dictionary<Keyword, object?> { [BuiltIns.DbId] = Id };
        var i = 0;
        while (i < datoms.Length)
        {
            var j = i + 1;
            while (j < datoms.Length && datoms[j].A == datoms[i].A) j++;
            if (Db.Schema[datoms[i].A] is { } a)
            {
                if (a.IsMany)
                {
                    var set = new HashSet<object>(j - i);
                    for (var k = i; k < j; k++) set.Add(TouchValue(a, datoms[k], path));
                    result[a.Ident] = set;
                }
                else result[a.Ident] = TouchValue(a, datoms[i], path);
            }
            i = j;
        }
        path.Remove(Id);
        return result;
    }

    private object TouchValue(Attribute a, Datom d, HashSet<long> path) =>
        a.IsComponent && !path.Contains(d.N) ? new Entity(Db, d.N).Touch(path) : ValueOf(a, d);

    private object? Forward(Attribute a)
    {
        var datoms = Datoms;
        var lo = FirstOf(datoms, a.Id);
        if (lo == datoms.Length || datoms[lo].A != a.Id) return null;
        if (!a.IsMany) return ValueOf(a, datoms[lo]);
        var set = new HashSet<object>();
        for (var k = lo; k < datoms.Length && datoms[k].A == a.Id; k++) set.Add(ValueOf(a, datoms[k]));
        return set;
    }

    private object? Reverse(Attribute a)
    {
        var owners = new List<Datom>();
        IndexScan.Collect(Db.Vaet, new ReverseDatoms(Id, a.Id), owners, a.IsComponent ? 1 : -1);
        if (owners.Count == 0) return null;
        if (a.IsComponent) return new Entity(Db, owners[0].E);
        var set = new HashSet<object>(owners.Count);
        foreach (var d in owners) set.Add(new Entity(Db, d.E));
        return set;
    }

    private object ValueOf(Attribute a, Datom d) => a.IsRef ? new Entity(Db, d.N) : Encoded.Decode(d.N, d.O);

    /// <summary>Index of the first datom of attribute a (datoms are sorted by attribute).</summary>
    private static int FirstOf(Datom[] datoms, int a)
    {
        int lo = 0, hi = datoms.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (datoms[mid].A < a) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>True for the same entity id in the same database value.</summary>
    public bool Equals(Entity? other) => other is not null && ReferenceEquals(Db, other.Db) && Id == other.Id;
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Entity e && Equals(e);
    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(Db), Id);
    /// <summary>The entity as <c>{:db/id N}</c>.</summary>
    public override string ToString() => "{:db/id " + Id + "}";
}
