using System.Numerics;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// Marks how a datom's 64-bit payload is to be read. A datom value is stored unboxed as (N, O):
/// O == null means N is a long or an entity id; O == a <see cref="ScalarTag"/> means N holds that scalar;
/// any other O is the value itself (string, Keyword, BigInteger, ...). Min/Max are probe bounds, never stored.
/// </summary>
internal sealed class ScalarTag
{
    public static readonly ScalarTag Boolean = new(1);
    public static readonly ScalarTag Double = new(2);
    public static readonly ScalarTag Float = new(3);
    public static readonly ScalarTag Instant = new(4);
    public static readonly ScalarTag Min = new(-1);
    public static readonly ScalarTag Max = new(99);

    /// <summary>Orders values of different kinds (only probes and mistyped values ever compare across kinds).</summary>
    public readonly int Rank;
    private ScalarTag(int rank) => Rank = rank;
}

/// <summary>Encoding, decoding and ordering of datom values.</summary>
internal static class Encoded
{
    /// <summary>Order-preserving map of a double onto a long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FromDouble(double d)
    {
        if (d == 0) d = 0; // -0.0 and 0.0 are one value
        var bits = BitConverter.DoubleToInt64Bits(d);
        return bits < 0 ? bits ^ long.MaxValue : bits;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble(long n) => BitConverter.Int64BitsToDouble(n < 0 ? n ^ long.MaxValue : n);

    /// <summary>The .NET value of an encoded payload.</summary>
    public static object Decode(long n, object? o)
    {
        if (o is null) return (ulong)(n - SmallMin) < (ulong)SmallLongs.Length ? SmallLongs[n - SmallMin] : n;
        if (o is ScalarTag tag)
        {
            if (ReferenceEquals(tag, ScalarTag.Boolean)) return n != 0 ? True : False;
            if (ReferenceEquals(tag, ScalarTag.Double)) return ToDouble(n);
            if (ReferenceEquals(tag, ScalarTag.Float)) return (float)ToDouble(n);
            if (ReferenceEquals(tag, ScalarTag.Instant)) return new DateTime(n, DateTimeKind.Utc);
        }
        return o;
    }

    // boxes of the small longs every read would otherwise make again (ages, counts, enum-like codes)
    private const long SmallMin = -128;
    private static readonly object[] SmallLongs = MakeSmallLongs(1024);

    private static object[] MakeSmallLongs(int count)
    {
        var boxes = new object[count];
        for (var i = 0; i < count; i++) boxes[i] = SmallMin + i;
        return boxes;
    }

    public static readonly object True = true;
    public static readonly object False = false;

    /// <summary>Encodes an already type-checked value; the inverse of <see cref="Decode"/>.</summary>
    public static void Encode(object value, out long n, out object? o)
    {
        switch (value)
        {
            case long l: n = l; o = null; return;
            case bool b: n = b ? 1 : 0; o = ScalarTag.Boolean; return;
            case double d: n = FromDouble(d); o = ScalarTag.Double; return;
            case float f: n = FromDouble(f); o = ScalarTag.Float; return;
            case DateTime t: n = t.ToUniversalTime().Ticks; o = ScalarTag.Instant; return;
            default: n = 0; o = value; return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(long nx, object? ox, long ny, object? oy)
    {
        if (ReferenceEquals(ox, oy))
            return ox is null || ox is ScalarTag ? nx.CompareTo(ny) : 0;
        return CompareSlow(nx, ox, ny, oy);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ValueEquals(long nx, object? ox, long ny, object? oy)
    {
        if (ReferenceEquals(ox, oy)) return ox is not null && ox is not ScalarTag || nx == ny;
        return ox is not null && ox is not ScalarTag && ox.Equals(oy);
    }

    public static int ValueHash(long n, object? o) =>
        o is null || o is ScalarTag ? n.GetHashCode() : o.GetHashCode();

    private static int Rank(object? o) => o switch
    {
        null => 0,
        ScalarTag t => t.Rank,
        string => 10,
        Keyword => 11,
        BigInteger => 12,
        decimal => 13,
        Guid => 14,
        Uri => 15,
        Symbol => 16,
        _ => 50,
    };

    private static int CompareSlow(long nx, object? ox, long ny, object? oy)
    {
        if (ReferenceEquals(ox, ScalarTag.Min) || ReferenceEquals(oy, ScalarTag.Max)) return -1;
        if (ReferenceEquals(ox, ScalarTag.Max) || ReferenceEquals(oy, ScalarTag.Min)) return 1;
        int rx = Rank(ox), ry = Rank(oy);
        if (rx != ry) return rx.CompareTo(ry);
        switch (ox)
        {
            case string sx: return string.CompareOrdinal(sx, (string)oy!);
            case Keyword kx: return kx.CompareTo((Keyword)oy!);
            case BigInteger bx: return bx.CompareTo((BigInteger)oy!);
            case decimal mx: return mx.CompareTo((decimal)oy!);
            case Guid gx: return gx.CompareTo((Guid)oy!);
            case Uri ux: return string.CompareOrdinal(ux.OriginalString, ((Uri)oy!).OriginalString);
            case Symbol yx: return yx.CompareTo((Symbol)oy!);
            case null: return nx.CompareTo(ny);
            case ScalarTag: return nx.CompareTo(ny);
            default:
                var c = string.CompareOrdinal(ox.GetType().FullName, oy!.GetType().FullName);
                return c != 0 ? c : Comparer<object>.Default.Compare(ox, oy);
        }
    }
}
