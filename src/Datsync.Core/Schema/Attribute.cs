namespace Datsync.Core;

/// <summary>How an attribute's values are unique across entities.</summary>
public enum Uniqueness : byte
{
    /// <summary>Not unique: any number of entities may hold the same value.</summary>
    None,
    /// <summary><c>:db.unique/value</c>: at most one entity holds a value; asserting it for another entity is
    /// rejected.</summary>
    Value,
    /// <summary><c>:db.unique/identity</c>: at most one entity holds a value; a tempid asserting it resolves to that
    /// entity.</summary>
    Identity,
}

/// <summary>An installed attribute: an entity with <c>:db/ident</c>, <c>:db/valueType</c> and <c>:db/cardinality</c>.</summary>
public sealed record Attribute(
    int Id,
    Keyword Ident,
    ValueType ValueType,
    bool IsMany,
    Uniqueness Unique = Uniqueness.None,
    bool IsComponent = false,
    bool Indexed = false,
    string? Doc = null,
    bool NoHistory = false)
{
    /// <summary>True when the attribute's values are references to entities (<c>:db.type/ref</c>).</summary>
    public bool IsRef => ValueType == ValueType.Ref;

    /// <summary>True when the attribute's datoms are kept in the AVET index (unique or <c>:db/index</c>).</summary>
    public bool InAvet => Unique != Uniqueness.None || Indexed;

    /// <summary>True for a <c>:db.unique/identity</c> attribute.</summary>
    public bool IsIdentity => Unique == Uniqueness.Identity;

    /// <summary>True when the attribute's datoms are stored in the AVET tree. <c>:db/txInstant</c> is indexed but
    /// not stored there: instants only grow with t, so its AEVT order is its AVET order and reads use AEVT.</summary>
    internal bool StoredInAvet => InAvet && Id != BuiltIns.TxInstantId;
}
