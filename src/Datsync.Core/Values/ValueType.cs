namespace Datsync.Core;

/// <summary>The value types an attribute may declare with <c>:db/valueType</c>.</summary>
public enum ValueType : byte
{
    /// <summary><c>:db.type/ref</c>: a reference to an entity (its id).</summary>
    Ref,
    /// <summary><c>:db.type/keyword</c>: a <see cref="Datsync.Core.Keyword"/>.</summary>
    Keyword,
    /// <summary><c>:db.type/string</c>: a string.</summary>
    String,
    /// <summary><c>:db.type/boolean</c>: a bool.</summary>
    Boolean,
    /// <summary><c>:db.type/long</c>: a 64-bit integer.</summary>
    Long,
    /// <summary><c>:db.type/bigint</c>: an arbitrary-precision integer.</summary>
    BigInt,
    /// <summary><c>:db.type/float</c>: a 32-bit floating-point number.</summary>
    Float,
    /// <summary><c>:db.type/double</c>: a 64-bit floating-point number.</summary>
    Double,
    /// <summary><c>:db.type/bigdec</c>: an arbitrary-precision decimal.</summary>
    BigDec,
    /// <summary><c>:db.type/instant</c>: a point in time.</summary>
    Instant,
    /// <summary><c>:db.type/uuid</c>: a UUID.</summary>
    Uuid,
    /// <summary><c>:db.type/uri</c>: a URI.</summary>
    Uri,
    /// <summary><c>:db.type/symbol</c>: a <see cref="Datsync.Core.Symbol"/>.</summary>
    Symbol,
}
