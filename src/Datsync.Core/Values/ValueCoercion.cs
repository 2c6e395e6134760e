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
                // an unpaired surrogate has no UTF-8 form: stored, it would come back as U+FFFD
                if (v is not string str || Utf8Strict.IndexOfUnpairedSurrogate(str) >= 0) return false;
                o = v; return true;
            case ValueType.Keyword:
                if (v is not Keyword kw || Utf8Strict.IndexOfUnpairedSurrogate(kw.FullName) >= 0) return false;
                o = v; return true;
            case ValueType.Boolean:
                if (v is not bool b) return false;
                n = b ? 1 : 0; o = ScalarTag.Boolean; return true;
            case ValueType.Double:
                double d;
                if (v is double dd) d = dd;
                else if (v is float ff) d = ff;
                else if (!TryLong(v, out var l) || !TryExactDouble(l, out d)) return false;
                n = Encoded.FromDouble(d); o = ScalarTag.Double; return true;
            case ValueType.Float:
                float f;
                if (v is float f1) f = f1;
                else if (v is double d1) { if (!TryFloat(d1, out f)) return false; }
                else if (!TryLong(v, out var l1) || !TryExactDouble(l1, out var dl) || !TryFloat(dl, out f) || f != dl) return false;
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
                if (v is not Symbol sym || Utf8Strict.IndexOfUnpairedSurrogate(sym.FullName) >= 0) return false;
                o = v; return true;
            case ValueType.Ref:
                if (!TryLong(v, out n)) return false;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Why a value of a convertible kind did not encode (after <see cref="TryEncode"/> said no), or "".</summary>
    public static string WhyNot(ValueType t, object v) => t switch
    {
        ValueType.String when v is string => " (it holds an unpaired surrogate, which has no UTF-8 form)",
        ValueType.Keyword when v is Keyword => " (it holds an unpaired surrogate, which has no UTF-8 form)",
        ValueType.Symbol when v is Symbol => " (it holds an unpaired surrogate, which has no UTF-8 form)",
        ValueType.Double or ValueType.Float when v is double or float || TryLong(v, out _) => " (converting it would change its value)",
        _ => "",
    };

    /// <summary>The double of a long, when it holds that long exactly (beyond 2^53 most longs have no double).</summary>
    private static bool TryExactDouble(long l, out double d)
    {
        d = l;
        // 2^63 rounds up from long.MaxValue and is not a long; every other double in range converts back exactly
        return d < 9223372036854775808.0 && (long)d == l;
    }

    /// <summary>The float of a double, when it keeps the double's value: exactly, or as the same shortest decimal text
    /// (EDN has no float literal, so 0.1 is a double and becomes 0.1f, while 3.141592653589793 or 16777217.0 do not fit).</summary>
    private static bool TryFloat(double d, out float f)
    {
        f = (float)d;
        if (double.IsNaN(d) || f == d) return true;
        if (float.IsInfinity(f) || (f == 0 && d != 0)) return false;
        return double.Parse(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) == d;
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
