using System.Collections;
using System.Globalization;

namespace Datsync.Core.Tests.Query;

/// <summary>
/// A small social graph used by the entity and pull specifications:
/// <code>
/// alice  name "Alice", aka #{"Al" "Ali"}, age 30, friends #{bob carol}, spouse bob, country :country/se,
///        address (component) {street "1 Main St", city "Springfield", geo (component) {lat 59.5}},
///        phones (components) #{{number "555-1", kind :phone.kind/mobile} {number "555-2", kind :phone.kind/home}}
/// bob    name "Bob", age 31, friends #{alice dave}, spouse alice
/// carol  name "Carol", friends #{dave}
/// dave   name "Dave"
/// eve -> frank -> grace -> heidi   by :person/parent
/// </code>
/// </summary>
internal sealed class People
{
    public static readonly Keyword DbId = K(":db/id"), DbIdent = K(":db/ident");
    public static readonly Keyword Name = K(":person/name"), Aka = K(":person/aka"), Age = K(":person/age"),
        Friend = K(":person/friend"), Spouse = K(":person/spouse"), Parent = K(":person/parent"),
        Address = K(":person/address"), Phone = K(":person/phone"), Country = K(":person/country");
    public static readonly Keyword Street = K(":address/street"), City = K(":address/city"), Geo = K(":address/geo"),
        Lat = K(":geo/lat"), Number = K(":phone/number"), Kind = K(":phone/kind");

    // after the keywords: static fields initialize in order
    public static readonly People Sample = new();

    public Db Db { get; }
    public long Alice, Bob, Carol, Dave, Eve, Frank, Grace, Heidi;
    public long AliceAddress, AliceGeo, AlicePhone1, AlicePhone2;
    public long Sweden, Mobile, Home;

    private People()
    {
        var db = Db.Empty.Transact(Schema()).DbAfter;
        var tx = new object?[]
        {
            M(DbId, "se", DbIdent, K(":country/se")),
            M(DbId, "mobile", DbIdent, K(":phone.kind/mobile")),
            M(DbId, "home", DbIdent, K(":phone.kind/home")),
            M(DbId, "alice", Name, "Alice", Aka, V("Ali", "Al"), Age, 30L, Spouse, "bob", Country, "se",
                Address, M(DbId, "address", Street, "1 Main St", City, "Springfield", Geo, M(DbId, "geo", Lat, 59.5)),
                Phone, V(M(DbId, "phone1", Number, "555-1", Kind, "mobile"), M(DbId, "phone2", Number, "555-2", Kind, "home"))),
            M(DbId, "bob", Name, "Bob", Age, 31L, Spouse, "alice"),
            M(DbId, "carol", Name, "Carol"),
            M(DbId, "dave", Name, "Dave"),
            Add("alice", Friend, "bob"), Add("alice", Friend, "carol"),
            Add("bob", Friend, "alice"), Add("bob", Friend, "dave"),
            Add("carol", Friend, "dave"),
            M(DbId, "eve", Name, "Eve", Parent, "frank"),
            M(DbId, "frank", Name, "Frank", Parent, "grace"),
            M(DbId, "grace", Name, "Grace", Parent, "heidi"),
            M(DbId, "heidi", Name, "Heidi"),
        };
        var report = db.Transact(tx);
        Db = report.DbAfter;
        var ids = report.Tempids;
        Alice = ids["alice"]; Bob = ids["bob"]; Carol = ids["carol"]; Dave = ids["dave"];
        Eve = ids["eve"]; Frank = ids["frank"]; Grace = ids["grace"]; Heidi = ids["heidi"];
        AliceAddress = ids["address"]; AliceGeo = ids["geo"]; AlicePhone1 = ids["phone1"]; AlicePhone2 = ids["phone2"];
        Sweden = ids["se"]; Mobile = ids["mobile"]; Home = ids["home"];
    }

    public static object?[] Schema() =>
    [
        Attr(Name, "string", unique: "identity"),
        Attr(Aka, "string", many: true),
        Attr(Age, "long"),
        Attr(Friend, "ref", many: true),
        Attr(Spouse, "ref"),
        Attr(Parent, "ref"),
        Attr(Country, "ref"),
        Attr(Address, "ref", component: true),
        Attr(Phone, "ref", many: true, component: true),
        Attr(Street, "string"),
        Attr(City, "string"),
        Attr(Geo, "ref", component: true),
        Attr(Lat, "double"),
        Attr(Number, "string"),
        Attr(Kind, "ref"),
    ];

    public static Dictionary<object, object?> Attr(Keyword ident, string type, bool many = false, string? unique = null, bool component = false)
    {
        var m = M(DbIdent, ident, K(":db/valueType"), K(":db.type/" + type),
            K(":db/cardinality"), many ? K(":db.cardinality/many") : K(":db.cardinality/one"));
        if (unique is not null) m[K(":db/unique")] = K(":db.unique/" + unique);
        if (component) m[K(":db/isComponent")] = true;
        return m;
    }

    public static Keyword K(string name) => Keyword.Intern(name);

    /// <summary>A map from alternating keys and values.</summary>
    public static Dictionary<object, object?> M(params object?[] kvs)
    {
        var m = new Dictionary<object, object?>();
        for (var i = 0; i < kvs.Length; i += 2) m[kvs[i]!] = kvs[i + 1];
        return m;
    }

    // Vectors. Fixed arities rather than params: with params, V(V(x)) would pass the inner array through unwrapped.
    public static object?[] V() => [];
    public static object?[] V(object? a) => [a];
    public static object?[] V(object? a, object? b) => [a, b];
    public static object?[] V(object? a, object? b, object? c) => [a, b, c];
    public static object?[] V(object? a, object? b, object? c, object? d) => [a, b, c, d];
    public static object?[] V(object? a, object? b, object? c, object? d, object? e) => [a, b, c, d, e];
    public static object?[] V(object? a, object? b, object? c, object? d, object? e, object? f) => [a, b, c, d, e, f];
    public static object?[] V(object? a, object? b, object? c, object? d, object? e, object? f, object? g) => [a, b, c, d, e, f, g];

    public static object?[] Add(object e, Keyword a, object v) => [K(":db/add"), e, a, v];

    /// <summary>
    /// An EDN-like rendering that ignores the order of map entries and of collection elements (pull promises
    /// neither), so expected and actual results compare as text with a readable diff.
    /// </summary>
    public static string Show(object? x) => x switch
    {
        null => "nil",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        Keyword or Entity => x.ToString()!,
        IReadOnlyDictionary<object, object?> m => "{" + Sorted(m.Select(kv => Show(kv.Key) + " " + Show(kv.Value))) + "}",
        IReadOnlyDictionary<Keyword, object?> m => "{" + Sorted(m.Select(kv => Show(kv.Key) + " " + Show(kv.Value))) + "}",
        IReadOnlySet<object> set => "#{" + Sorted(set.Select(Show)) + "}",
        IEnumerable seq => "[" + Sorted(seq.Cast<object?>().Select(Show)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => x.ToString()!,
    };

    private static string Sorted(IEnumerable<string> parts) => string.Join(", ", parts.Order(StringComparer.Ordinal));
}
