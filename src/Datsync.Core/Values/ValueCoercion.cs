using System.Numerics;

namespace Datsync.Core;

/// <summary>Checks a .NET value against an attribute's value type and converts it to the stored form.</summary>
internal static class ValueCoercion
{
    /// <summary>Encodes v as a value of type t (not refs); false when v does not have, or convert losslessly to, t.</summary>
    public static bool TryEncode(ValueType t, object v, out long n, out object? o)
    {
        n = 0; o = null;
        switch (t)
        {
            case ValueType.Long:
                if (!TryLong(v, out n)) return false;
                return true;
            case ValueType.String:
                if (v is not string) return false;
                o = v; return true;
            case ValueType.Keyword:
                if (v is not Keyword) return false;
                o = v; return true;
            case ValueType.Boolean:
                if (v is not bool b) return false;
                n = b ? 1 : 0; o = ScalarTag.Boolean; return true;
            case ValueType.Double:
                double d;
                if (v is double dd) d = dd;
                else if (v is float ff) d = ff;
                else if (TryLong(v, out var l)) d = l;
                else return false;
                n = Encoded.FromDouble(d); o = ScalarTag.Double; return true;
            case ValueType.Float:
                float f;
                if (v is float f1) f = f1;
                else if (v is double d1) f = (float)d1;
                else if (TryLong(v, out var l1)) f = l1;
                else return false;
                n = Encoded.FromDouble(f); o = ScalarTag.Float; return true;
            case ValueType.BigInt:
                if (v is BigInteger) { o = v; return true; }
                if (TryLong(v, out var l2)) { o = new BigInteger(l2); return true; }
                return false;
            case ValueType.BigDec:
                if (v is decimal) { o = v; return true; }
                if (TryLong(v, out var l3)) { o = (decimal)l3; return true; }
                if (v is BigInteger bi && bi >= (BigInteger)decimal.MinValue && bi <= (BigInteger)decimal.MaxValue) { o = (decimal)bi; return true; }
                return false;
            case ValueType.Instant:
                if (v is DateTime dt) { n = dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime().Ticks : dt.Ticks; o = ScalarTag.Instant; return true; }
                if (v is DateTimeOffset dto) { n = dto.UtcTicks; o = ScalarTag.Instant; return true; }
                return false;
            case ValueType.Uuid:
                if (v is not Guid) return false;
                o = v; return true;
            case ValueType.Uri:
                if (v is not Uri) return false;
                o = v; return true;
            case ValueType.Symbol:
                if (v is not Symbol) return false;
                o = v; return true;
            case ValueType.Ref:
                if (!TryLong(v, out n)) return false;
                return true;
            default:
                return false;
        }
    }

    public static bool TryLong(object v, out long n)
    {
        switch (v)
        {
            case long l: n = l; return true;
            case int i: n = i; return true;
            case short s: n = s; return true;
            case byte b: n = b; return true;
            case sbyte sb: n = sb; return true;
            case uint ui: n = ui; return true;
            case ushort us: n = us; return true;
            case BigInteger bi when bi >= long.MinValue && bi <= long.MaxValue: n = (long)bi; return true;
            default: n = 0; return false;
        }
    }
}
