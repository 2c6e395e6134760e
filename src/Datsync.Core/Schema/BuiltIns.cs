namespace Datsync.Core;

/// <summary>The attributes and idents every database starts with.</summary>
public static class BuiltIns
{
    /// <summary><c>:db/ident</c>: an entity's unique keyword name.</summary>
    public static readonly Keyword Ident = Keyword.Intern("db/ident");
    /// <summary><c>:db/valueType</c>: the type of an attribute's values.</summary>
    public static readonly Keyword ValueTypeKw = Keyword.Intern("db/valueType");
    /// <summary><c>:db/cardinality</c>: whether an attribute holds one value or many.</summary>
    public static readonly Keyword Cardinality = Keyword.Intern("db/cardinality");
    /// <summary><c>:db/unique</c>: how an attribute's values are unique.</summary>
    public static readonly Keyword Unique = Keyword.Intern("db/unique");
    /// <summary><c>:db/isComponent</c>: a reference attribute whose targets belong to the referencing entity.</summary>
    public static readonly Keyword IsComponent = Keyword.Intern("db/isComponent");
    /// <summary><c>:db/index</c>: an attribute whose datoms are kept in the AVET index.</summary>
    public static readonly Keyword Index = Keyword.Intern("db/index");
    /// <summary><c>:db/doc</c>: a documentation string.</summary>
    public static readonly Keyword Doc = Keyword.Intern("db/doc");
    /// <summary><c>:db/noHistory</c>: an attribute whose past values are not kept.</summary>
    public static readonly Keyword NoHistory = Keyword.Intern("db/noHistory");
    /// <summary><c>:db/txInstant</c>: the wall-clock time of a transaction.</summary>
    public static readonly Keyword TxInstant = Keyword.Intern("db/txInstant");
    /// <summary><c>:db/id</c>: the entity id key of an entity map (not an attribute).</summary>
    public static readonly Keyword DbId = Keyword.Intern("db/id");

    /// <summary>The entity ids of the built-in attributes, <c>:db/ident</c> .. <c>:db/txInstant</c>.</summary>
    public const int IdentId = 1, ValueTypeId = 2, CardinalityId = 3, UniqueId = 4, IsComponentId = 5,
        IndexId = 6, DocId = 7, NoHistoryId = 8, TxInstantId = 9;

    /// <summary>Highest id of a built-in schema attribute (<c>:db/ident</c> .. <c>:db/noHistory</c>).</summary>
    internal const int LastSchemaAttrId = NoHistoryId;

    /// <summary><c>:db.cardinality/one</c>: one value per entity.</summary>
    public static readonly Keyword CardinalityOne = Keyword.Intern("db.cardinality/one");
    /// <summary><c>:db.cardinality/many</c>: a set of values per entity.</summary>
    public static readonly Keyword CardinalityMany = Keyword.Intern("db.cardinality/many");
    /// <summary><c>:db.unique/identity</c>: see <see cref="Uniqueness.Identity"/>.</summary>
    public static readonly Keyword UniqueIdentity = Keyword.Intern("db.unique/identity");
    /// <summary><c>:db.unique/value</c>: see <see cref="Uniqueness.Value"/>.</summary>
    public static readonly Keyword UniqueValue = Keyword.Intern("db.unique/value");

    internal const long CardinalityOneId = 40, CardinalityManyId = 41, UniqueIdentityId = 42, UniqueValueId = 43;

    /// <summary>Value-type idents, in <see cref="ValueType"/> order, at ids 20 + (int)type.</summary>
    internal static readonly Keyword[] TypeIdents =
    [
        Keyword.Intern("db.type/ref"), Keyword.Intern("db.type/keyword"), Keyword.Intern("db.type/string"),
        Keyword.Intern("db.type/boolean"), Keyword.Intern("db.type/long"), Keyword.Intern("db.type/bigint"),
        Keyword.Intern("db.type/float"), Keyword.Intern("db.type/double"), Keyword.Intern("db.type/bigdec"),
        Keyword.Intern("db.type/instant"), Keyword.Intern("db.type/uuid"), Keyword.Intern("db.type/uri"),
        Keyword.Intern("db.type/symbol"),
    ];

    internal const long FirstTypeId = 20;

    internal static long TypeId(ValueType t) => FirstTypeId + (int)t;

    /// <summary>True for an entity of the initial schema (everything installed at t = 0): read-only.</summary>
    internal static bool IsBuiltIn(long e) =>
        e is >= IdentId and <= TxInstantId or >= CardinalityOneId and <= UniqueValueId
        || (e >= FirstTypeId && e < FirstTypeId + TypeIdents.Length);

    internal static ValueType? TypeOfId(long id) =>
        id >= FirstTypeId && id < FirstTypeId + TypeIdents.Length ? (ValueType)(id - FirstTypeId) : null;

    internal static readonly Attribute[] Attributes =
    [
        new(IdentId, Ident, ValueType.Keyword, false, Uniqueness.Identity),
        new(ValueTypeId, ValueTypeKw, ValueType.Ref, false),
        new(CardinalityId, Cardinality, ValueType.Ref, false),
        new(UniqueId, Unique, ValueType.Ref, false),
        new(IsComponentId, IsComponent, ValueType.Boolean, false),
        new(IndexId, Index, ValueType.Boolean, false),
        new(DocId, Doc, ValueType.String, false),
        new(NoHistoryId, NoHistory, ValueType.Boolean, false),
        new(TxInstantId, TxInstant, ValueType.Instant, false, Indexed: true),
    ];

    /// <summary>The datoms of a fresh database (all at t = 0).</summary>
    internal static IEnumerable<Datom> Datoms()
    {
        foreach (var a in Attributes)
        {
            yield return Datom.Create(a.Id, IdentId, a.Ident);
            yield return Datom.Create(a.Id, ValueTypeId, TypeId(a.ValueType));
            yield return Datom.Create(a.Id, CardinalityId, a.IsMany ? CardinalityManyId : CardinalityOneId);
            if (a.Unique != Uniqueness.None)
                yield return Datom.Create(a.Id, UniqueId, a.Unique == Uniqueness.Identity ? UniqueIdentityId : UniqueValueId);
            if (a.Indexed) yield return Datom.Create(a.Id, IndexId, true);
        }
        for (var i = 0; i < TypeIdents.Length; i++) yield return Datom.Create(FirstTypeId + i, IdentId, TypeIdents[i]);
        yield return Datom.Create(CardinalityOneId, IdentId, CardinalityOne);
        yield return Datom.Create(CardinalityManyId, IdentId, CardinalityMany);
        yield return Datom.Create(UniqueIdentityId, IdentId, UniqueIdentity);
        yield return Datom.Create(UniqueValueId, IdentId, UniqueValue);
    }
}
