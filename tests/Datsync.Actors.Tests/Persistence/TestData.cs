using System.Globalization;
using System.Numerics;
using Datsync.Core;
using Attribute = Datsync.Core.Attribute;

namespace Datsync.Actors.Tests.Persistence;

/// <summary>Schemas, values and comparisons shared by the persistence tests.</summary>
internal static class TestData
{
    public static Keyword K(string s) => Keyword.Intern(s);

    public static Dictionary<object, object?> Attr(string ident, string type, bool many = false, string? unique = null, bool indexed = false)
    {
        var m = new Dictionary<object, object?>
        {
            [K(":db/ident")] = K(ident),
            [K(":db/valueType")] = K(":db.type/" + type),
            [K(":db/cardinality")] = K(many ? ":db.cardinality/many" : ":db.cardinality/one"),
        };
        if (unique is not null) m[K(":db/unique")] = K(":db.unique/" + unique);
        if (indexed) m[K(":db/index")] = true;
        return m;
    }

    public static object?[] Add(object e, string attr, object? v) => [K(":db/add"), e, K(attr), v];

    public static object?[] Retract(object e, string attr, object? v) => [K(":db/retract"), e, K(attr), v];

    /// <summary>One cardinality-many attribute per value type, named <c>:all/&lt;type&gt;</c>.</summary>
    public static readonly string[] AllTypes =
        ["ref", "keyword", "string", "boolean", "long", "bigint", "float", "double", "bigdec", "instant", "uuid", "uri", "symbol"];

    /// <summary>Instant of the schema transactions; the tests' own transactions come later.</summary>
    public static readonly DateTime SchemaInstant = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Db AllTypesDb =
        Db.Empty.Transact(AllTypes.Select(t => (object?)Attr(":all/" + t, t, many: true))
            .Append(Attr(":all/id", "string", unique: "identity")).ToList(), SchemaInstant).DbAfter;

    public static Db AllTypesSchema() => AllTypesDb;

    /// <summary>Edge values of every type, by attribute.</summary>
    public static IEnumerable<(string Attr, object Value)> EdgeValues()
    {
        foreach (var l in new[] { long.MinValue, long.MaxValue, 0L, -1L, 1L, 127L, 128L, -129L })
            yield return (":all/long", l);
        foreach (var d in new[] { double.NaN, -0.0, 0.5, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue, -1e-300 })
            yield return (":all/double", d);
        foreach (var f in new[] { float.NaN, float.MinValue, 1.5f, float.Epsilon })
            yield return (":all/float", f);
        yield return (":all/bigint", BigInteger.Pow(10, 120) + 7);
        yield return (":all/bigint", -BigInteger.Pow(2, 200));
        yield return (":all/bigint", BigInteger.Zero);
        yield return (":all/bigint", new BigInteger(long.MinValue) - 1);
        yield return (":all/bigdec", 1.50m);
        yield return (":all/bigdec", decimal.MaxValue);
        yield return (":all/bigdec", decimal.MinValue);
        yield return (":all/bigdec", -0.0000000000000000000000000001m);
        yield return (":all/bigdec", 100.000m);
        yield return (":all/string", "");
        yield return (":all/string", "plain");
        yield return (":all/string", "héllo wörld ✓ 日本語 🎉 \u0000 \uFFFF");
        yield return (":all/string", new string('ж', 3000));
        yield return (":all/keyword", K(":a/b"));
        yield return (":all/keyword", K(":plain"));
        yield return (":all/keyword", K(":ключ/значение"));
        yield return (":all/boolean", true);
        yield return (":all/boolean", false);
        yield return (":all/instant", new DateTime(2024, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks(1234));
        yield return (":all/instant", DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc));
        yield return (":all/instant", DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc));
        yield return (":all/uuid", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
        yield return (":all/uuid", Guid.Empty);
        yield return (":all/uri", new Uri("https://example.com/a%20b?q=ü#frag"));
        yield return (":all/uri", new Uri("relative/path", UriKind.Relative));
        yield return (":all/symbol", new Symbol("my.ns/sym"));
        yield return (":all/symbol", new Symbol("+"));
    }

    /// <summary>Asserts two datoms are the same, including the exact .NET representation of the value
    /// (decimal scale, NaN bits, Uri text, DateTime kind).</summary>
    public static void SameDatom(Datom expected, Datom actual)
    {
        Assert.Equal(expected, actual); // E, A, value, t and added
        Assert.Equal(expected.E, actual.E);
        Assert.Equal(expected.A, actual.A);
        Assert.Equal(expected.T, actual.T);
        Assert.Equal(expected.Added, actual.Added);
        SameValue(expected.V, actual.V);
    }

    public static void SameValue(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected)
        {
            case double d: Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits((double)actual)); break;
            case float f: Assert.Equal(BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits((float)actual)); break;
            case decimal m: Assert.Equal(m.ToString(CultureInfo.InvariantCulture), ((decimal)actual).ToString(CultureInfo.InvariantCulture)); break;
            case DateTime t:
                Assert.Equal(t.Ticks, ((DateTime)actual).Ticks);
                Assert.Equal(DateTimeKind.Utc, ((DateTime)actual).Kind);
                break;
            case Uri u:
                Assert.Equal(u.OriginalString, ((Uri)actual).OriginalString);
                Assert.Equal(u.IsAbsoluteUri, ((Uri)actual).IsAbsoluteUri);
                break;
            case Keyword k: Assert.Same(k, actual); break;
            default: Assert.Equal(expected, actual); break;
        }
    }

    public static void SameDatoms(IEnumerable<Datom> expected, IEnumerable<Datom> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        Assert.Equal(e.Count, a.Count);
        for (var i = 0; i < e.Count; i++) SameDatom(e[i], a[i]);
    }

    /// <summary>Asserts two database values hold the same datoms, basis, max entity id and schema.</summary>
    public static void SameDb(Db expected, Db actual)
    {
        Assert.Equal(expected.BasisT, actual.BasisT);
        Assert.Equal(expected.MaxEntityId, actual.MaxEntityId);
        Assert.Equal(expected.Count, actual.Count);
        var ed = expected.Datoms(IndexType.Eavt).ToList();
        var ad = actual.Datoms(IndexType.Eavt).ToList();
        Assert.Equal(ed.Select(d => (d.E, d.A, d.V)), ad.Select(d => (d.E, d.A, d.V)));
        SameDatoms(ed, ad);
        Assert.Equal(Attributes(expected), Attributes(actual));
        Assert.Equal(expected.Datoms(IndexType.Aevt).Count(), actual.Datoms(IndexType.Aevt).Count());
        Assert.Equal(expected.Datoms(IndexType.Vaet).Count(), actual.Datoms(IndexType.Vaet).Count());
        foreach (var a in expected.Schema.Attributes.Where(a => a.InAvet))
            Assert.Equal(expected.Datoms(IndexType.Avet, a.Ident).Count(), actual.Datoms(IndexType.Avet, a.Ident).Count());
    }

    private static List<Attribute> Attributes(Db db) => db.Schema.Attributes.OrderBy(a => a.Id).ToList();
}
