namespace Datsync.Core;

/// <summary>How an attribute's values are unique across entities.</summary>
public enum Uniqueness : byte { None, Value, Identity }

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
    public bool IsRef => ValueType == ValueType.Ref;

    /// <summary>True when the attribute's datoms are kept in the AVET index (unique or <c>:db/index</c>).</summary>
    public bool InAvet => Unique != Uniqueness.None || Indexed;

    public bool IsIdentity => Unique == Uniqueness.Identity;

    /// <summary>True when the attribute's datoms are stored in the AVET tree. <c>:db/txInstant</c> is indexed but
    /// not stored there: instants only grow with t, so its AEVT order is its AVET order and reads use AEVT.</summary>
    internal bool StoredInAvet => InAvet && Id != BuiltIns.TxInstantId;
}
