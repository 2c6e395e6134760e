using System.Numerics;

namespace Datsync.Core;

/// <summary>
/// Structural equality for EDN values: the comparer used for map keys and set elements.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Integers compare by value whatever their .NET type (<c>long</c>, <c>int</c>, ..., <see cref="BigInteger"/>),
/// so <c>12</c> and <c>12N</c> are equal, as in Clojure.</item>
/// <item><c>double</c> and <c>float</c> compare by value (<c>NaN</c> equals <c>NaN</c>, <c>0.0</c> equals <c>-0.0</c>);
/// they never equal integers or decimals. Decimals compare by value regardless of scale (<c>1.0M</c> = <c>1.00M</c>).</item>
/// <item>Instants (<see cref="DateTime"/>, <see cref="DateTimeOffset"/>) compare by the UTC instant they denote;
/// a <see cref="DateTime"/> of unspecified kind is taken as UTC.</item>
/// <item><see cref="Uri"/>s compare by their original text.</item>
/// <item>Lists equal lists and vectors equal vectors element by element; a list never equals a vector.
/// Maps and sets compare regardless of order.</item>
/// <item>Anything else uses its own <see cref="object.Equals(object)"/>.</item>
/// </list>
/// </remarks>
public sealed class EdnEquality : IEqualityComparer<object?>
{
    /// <summary>The single instance.</summary>
    public static EdnEquality Instance { get; } = new();

    private EdnEquality()
    {
    }

    /// <summary>True when the two EDN values are structurally equal.</summary>
    public new bool Equals(object? x, object? y) => AreEqual(x, y);

    /// <summary>A hash code consistent with <see cref="Equals(object?, object?)"/>.</summary>
    public int GetHashCode(object? obj) => Hash(obj);

    internal static bool AreEqual(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        switch (a)
        {
            case Keyword:
                return false; // interned: equal keywords are the same object
            case string sa:
                return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case long la:
                return b is long lb ? la == lb : IntegerEquals(a, b);
            case bool ba:
                return b is bool bb && ba == bb;
            case EdnVector va:
                return b is EdnVector vb && va.EqualsCore(vb);
            case EdnMap ma:
                return b is EdnMap mb && ma.EqualsCore(mb);
            case EdnList la2:
                return b is EdnList lb2 && la2.EqualsCore(lb2);
            case EdnSet sa2:
                return b is EdnSet sb2 && sa2.EqualsCore(sb2);
            case Symbol ya:
                return b is Symbol yb && ya.Equals(yb);
            case double da:
                return b switch
                {
                    double db => da.Equals(db),
                    float fb => da.Equals((double)fb),
                    _ => false,
                };
            case float fa:
                return b switch
                {
                    double db => ((double)fa).Equals(db),
                    float fb => ((double)fa).Equals((double)fb),
                    _ => false,
                };
            case decimal ma2:
                return b is decimal mb2 && ma2 == mb2;
            case char ca:
                return b is char cb && ca == cb;
            case DateTime or DateTimeOffset:
                return TryGetInstantTicks(b, out var tb) && TryGetInstantTicks(a, out var ta) && ta == tb;
            case Guid ga:
                return b is Guid gb && ga == gb;
            case Uri ua:
                return b is Uri ub && string.Equals(ua.OriginalString, ub.OriginalString, StringComparison.Ordinal);
            case TaggedValue ta2:
                return b is TaggedValue tb2 && ta2.Equals(tb2);
            case int or short or sbyte or byte or ushort or uint or ulong or BigInteger:
                return IntegerEquals(a, b);
            default:
                return a.Equals(b);
        }
    }

    internal static int Hash(object? o)
    {
        switch (o)
        {
            case null:
                return 0;
            case Keyword k:
                return k.GetHashCode();
            case string s:
                return StringComparer.Ordinal.GetHashCode(s);
            case long l:
                return l.GetHashCode();
            case double d:
                return d.GetHashCode();
            case float f:
                return ((double)f).GetHashCode();
            case DateTime or DateTimeOffset:
                TryGetInstantTicks(o, out var ticks);
                return ticks.GetHashCode() ^ 0x1A2B3C;
            case Uri u:
                return StringComparer.Ordinal.GetHashCode(u.OriginalString) ^ 0x5EED;
            case int or short or sbyte or byte or ushort or uint or ulong or BigInteger:
                return TryGetInteger(o, out var small, out var big) switch
                {
                    1 => small.GetHashCode(),
                    _ => big.GetHashCode(),
                };
            default:
                // EdnList/EdnVector/EdnMap/EdnSet/TaggedValue/Symbol/decimal/... all define structural hashes.
                return o.GetHashCode();
        }
    }

    /// <summary>0 = not an integer, 1 = fits a long (<paramref name="small"/>), 2 = larger (<paramref name="big"/>).</summary>
    private static int TryGetInteger(object o, out long small, out BigInteger big)
    {
        big = default;
        switch (o)
        {
            case long l: small = l; return 1;
            case int i: small = i; return 1;
            case short s: small = s; return 1;
            case sbyte sb: small = sb; return 1;
            case byte b: small = b; return 1;
            case ushort us: small = us; return 1;
            case uint ui: small = ui; return 1;
            case ulong ul:
                if (ul <= long.MaxValue) { small = (long)ul; return 1; }
                small = 0; big = ul; return 2;
            case BigInteger bi:
                if (bi >= long.MinValue && bi <= long.MaxValue) { small = (long)bi; return 1; }
                small = 0; big = bi; return 2;
            default:
                small = 0; return 0;
        }
    }

    private static bool IntegerEquals(object a, object b)
    {
        var ka = TryGetInteger(a, out var sa, out var ba);
        if (ka == 0) return false;
        var kb = TryGetInteger(b, out var sb, out var bb);
        if (ka != kb) return false;
        return ka == 1 ? sa == sb : ba == bb;
    }

    private static bool TryGetInstantTicks(object o, out long ticks)
    {
        switch (o)
        {
            case DateTime dt:
                ticks = dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime().Ticks : dt.Ticks;
                return true;
            case DateTimeOffset dto:
                ticks = dto.UtcTicks;
                return true;
            default:
                ticks = 0;
                return false;
        }
    }

    internal static int CombineOrdered(int h, int next) => unchecked((h * 31) + next);

    /// <summary>Spreads an element hash before adding it to an order-independent sum.</summary>
    internal static int Mix(int h)
    {
        unchecked
        {
            uint x = (uint)h;
            x ^= x >> 16;
            x *= 0x7feb352d;
            x ^= x >> 15;
            x *= 0x846ca68b;
            x ^= x >> 16;
            return (int)x;
        }
    }
}
