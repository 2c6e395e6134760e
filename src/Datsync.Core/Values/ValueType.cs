namespace Datsync.Core;

/// <summary>The value types an attribute may declare with <c>:db/valueType</c>.</summary>
public enum ValueType : byte
{
    Ref,
    Keyword,
    String,
    Boolean,
    Long,
    BigInt,
    Float,
    Double,
    BigDec,
    Instant,
    Uuid,
    Uri,
    Symbol,
}
