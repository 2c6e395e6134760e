using System.Collections;
using System.Numerics;

namespace Datsync.Core;

/// <summary>
/// Transaction data built from C# values, without EDN text: each method returns one tx form, and a transaction is a
/// list of them, e.g. <c>[Tx.Entity("ivan", (":person/name", "Ivan")), Tx.Add(Tx.Lookup(":person/email", "a@b.c"),
/// ":person/age", 30)]</c>. The forms are the same values <see cref="EdnReader"/> reads from the equivalent text
/// (<c>[{:db/id "ivan" :person/name "Ivan"} [:db/add [:person/email "a@b.c"] :person/age 30]]</c>), so both ways give
/// the same transaction.
/// </summary>
/// <remarks>
/// Entity positions take a master id (<see cref="long"/>), a tempid (a <see cref="string"/>: the same string names the
/// same new entity throughout one transaction), a lookup ref (<see cref="Lookup"/>) or an ident (a
/// <see cref="Keyword"/>). Attributes are named like <c>":person/name"</c>. Values are C# values: strings, integers
/// (any integral type, stored as long), <see cref="double"/>, <see cref="float"/>, <see cref="decimal"/>,
/// <see cref="BigInteger"/>, <see cref="bool"/>, <see cref="DateTime"/>, <see cref="Guid"/>, <see cref="Uri"/>,
/// <see cref="Keyword"/>; a collection (not a string) gives several values of a cardinality-many attribute, and a
/// nested <see cref="Entity(object, ValueTuple{string, object}[])"/> map a new entity behind a ref attribute.
/// </remarks>
public static class Tx
{
    private static readonly Keyword AddOp = Keyword.Intern("db/add");
    private static readonly Keyword RetractOp = Keyword.Intern("db/retract");
    private static readonly Keyword RetractEntityOp = Keyword.Intern("db/retractEntity");
    private static readonly Keyword CasOp = Keyword.Intern("db/cas");

    /// <summary><c>[:db/add e attr value]</c>.</summary>
    public static EdnVector Add(object entity, string attr, object? value) =>
        new(AddOp, EntityRef(entity), Attr(attr), Value(value));

    /// <summary><c>[:db/retract e attr value]</c>.</summary>
    public static EdnVector Retract(object entity, string attr, object? value) =>
        new(RetractOp, EntityRef(entity), Attr(attr), Value(value));

    /// <summary><c>[:db/retractEntity e]</c>: the entity's datoms, the refs that point at it, and its components.</summary>
    public static EdnVector RetractEntity(object entity) => new(RetractEntityOp, EntityRef(entity));

    /// <summary><c>[:db/cas e attr expected value]</c>: sets the value only while the current one is
    /// <paramref name="expected"/> (null: no value).</summary>
    public static EdnVector CompareAndSet(object entity, string attr, object? expected, object? value) =>
        new(CasOp, EntityRef(entity), Attr(attr), Value(expected), Value(value));

    /// <summary>An entity map <c>{:db/id id attr value ...}</c>; <paramref name="id"/> is a tempid, a master id or a
    /// lookup ref (an upsert through a unique identity attribute needs none: pass a tempid).</summary>
    public static EdnMap Entity(object id, params (string Attr, object? Value)[] attrs)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Map(EntityRef(id), attrs);
    }

    private static EdnMap Map(object? id, IReadOnlyList<(string Attr, object? Value)> attrs)
    {
        ArgumentNullException.ThrowIfNull(attrs);
        var first = id is null ? 0 : 2;
        var entries = new object?[first + attrs.Count * 2];
        if (id is not null)
        {
            entries[0] = BuiltIns.DbId;
            entries[1] = id;
        }
        for (var i = 0; i < attrs.Count; i++)
        {
            entries[first + i * 2] = Attr(attrs[i].Attr);
            entries[first + 1 + i * 2] = Value(attrs[i].Value);
        }
        return EdnMap.Of(entries);
    }

    /// <summary>A lookup ref <c>[attr value]</c>: the entity whose unique attribute holds the value.</summary>
    public static EdnVector Lookup(string attr, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new EdnVector(Attr(attr), Value(value));
    }

    /// <summary>
    /// The map that installs an attribute: <c>{:db/ident ident :db/valueType :db.type/{type} :db/cardinality
    /// ...}</c>. <paramref name="valueType"/> is the type's name (<c>"string"</c>, <c>"long"</c>, <c>"ref"</c>,
    /// <c>"instant"</c>, ...); <paramref name="unique"/> is <c>"identity"</c>, <c>"value"</c> or null.
    /// </summary>
    public static EdnMap Attribute(string ident, string valueType, bool many = false, string? unique = null,
        bool component = false, bool index = false, string? doc = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(valueType);
        var attrs = new List<(string, object?)>
        {
            (":db/ident", Attr(ident)),
            (":db/valueType", Keyword.Intern("db.type", valueType.TrimStart(':').Replace("db.type/", "", StringComparison.Ordinal))),
            (":db/cardinality", Keyword.Intern(many ? "db.cardinality/many" : "db.cardinality/one")),
        };
        if (unique is not null) attrs.Add((":db/unique", Keyword.Intern("db.unique", unique.TrimStart(':').Replace("db.unique/", "", StringComparison.Ordinal))));
        if (component) attrs.Add((":db/isComponent", true));
        if (index) attrs.Add((":db/index", true));
        if (doc is not null) attrs.Add((":db/doc", doc));
        return Map(null, attrs);
    }

    /// <summary>Transaction data written as EDN, e.g. <c>[{:db/id "p" :person/name "Ivan"}]</c>, read into the forms
    /// the methods above build.</summary>
    /// <exception cref="TxRejectedException"><c>:db.error/invalid-tx-data</c>: the text is not EDN, or not a vector or
    /// list of tx forms (the message says where).</exception>
    public static IReadOnlyList<object?> Parse(string txEdn)
    {
        ArgumentNullException.ThrowIfNull(txEdn);
        object? read;
        try { read = EdnReader.Read(txEdn); }
        catch (EdnReadException e) { throw new TxRejectedException(TxErrors.InvalidTxData, e.Message); }
        return read as IReadOnlyList<object?>
               ?? throw new TxRejectedException(TxErrors.InvalidTxData, "transaction data must be a vector or list of tx forms");
    }

    private static Keyword Attr(string attr)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attr);
        return Keyword.Intern(attr);
    }

    private static object EntityRef(object entity) => entity switch
    {
        null => throw new ArgumentNullException(nameof(entity)),
        string or Keyword or EdnVector => entity,
        _ when ValueCoercion.TryLong(entity, out var id) => id,
        _ => throw new ArgumentException(
            $"an entity is a master id (long), a tempid (string), a lookup ref (Tx.Lookup) or an ident (Keyword), got {entity.GetType().Name}",
            nameof(entity)),
    };

    /// <summary>A C# value as the tx data value EDN would give: integral types as long, collections as vectors.</summary>
    private static object? Value(object? value) => value switch
    {
        null or string or Keyword or EdnMap or EdnVector or EdnSet or EdnList or Symbol => value,
        long or double or bool or DateTime or Guid or Uri or BigInteger or decimal or float => value,
        int or short or byte or sbyte or uint or ushort => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue => (long)u,
        ulong u => new BigInteger(u),
        DateTimeOffset dto => dto.UtcDateTime,
        IEnumerable many => new EdnVector(many.Cast<object?>().Select(Value)),
        _ => throw new ArgumentException($"{value.GetType().Name} is not a value a transaction can hold", nameof(value)),
    };
}
