using Datsync.Core;

namespace Datsync.Core.Tests.Semantics;

/// <summary>Transactions written as EDN, and a schema that has one attribute of every kind.</summary>
public static class TestDb
{
    public const string SchemaEdn = """
        [{:db/ident :person/name    :db/valueType :db.type/string  :db/cardinality :db.cardinality/one}
         {:db/ident :person/email   :db/valueType :db.type/string  :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/ssn     :db/valueType :db.type/string  :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
         {:db/ident :person/age     :db/valueType :db.type/long    :db/cardinality :db.cardinality/one}
         {:db/ident :person/aliases :db/valueType :db.type/string  :db/cardinality :db.cardinality/many}
         {:db/ident :person/friends :db/valueType :db.type/ref     :db/cardinality :db.cardinality/many}
         {:db/ident :person/spouse  :db/valueType :db.type/ref     :db/cardinality :db.cardinality/one}
         {:db/ident :person/address :db/valueType :db.type/ref     :db/cardinality :db.cardinality/one :db/isComponent true}
         {:db/ident :person/pets    :db/valueType :db.type/ref     :db/cardinality :db.cardinality/many :db/isComponent true}
         {:db/ident :person/color   :db/valueType :db.type/ref     :db/cardinality :db.cardinality/one}
         {:db/ident :address/street :db/valueType :db.type/string  :db/cardinality :db.cardinality/one}
         {:db/ident :pet/name       :db/valueType :db.type/string  :db/cardinality :db.cardinality/one}
         {:db/ident :v/keyword :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
         {:db/ident :v/boolean :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
         {:db/ident :v/bigint  :db/valueType :db.type/bigint  :db/cardinality :db.cardinality/one}
         {:db/ident :v/float   :db/valueType :db.type/float   :db/cardinality :db.cardinality/one}
         {:db/ident :v/double  :db/valueType :db.type/double  :db/cardinality :db.cardinality/one}
         {:db/ident :v/bigdec  :db/valueType :db.type/bigdec  :db/cardinality :db.cardinality/one}
         {:db/ident :v/instant :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
         {:db/ident :v/uuid    :db/valueType :db.type/uuid    :db/cardinality :db.cardinality/one}
         {:db/ident :v/uri     :db/valueType :db.type/uri     :db/cardinality :db.cardinality/one}
         {:db/ident :v/symbol  :db/valueType :db.type/symbol  :db/cardinality :db.cardinality/one}
         {:db/ident :v/long    :db/valueType :db.type/long    :db/cardinality :db.cardinality/one :db/index true}
         {:db/ident :color/red}
         {:db/ident :color/blue}]
        """;

    public static readonly Db Schema = Db.Empty.Transact(Forms(SchemaEdn)).DbAfter;

    public static IReadOnlyList<object?> Forms(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    public static TxReport Tx(this Db db, string edn) => db.Transact(Forms(edn));

    public static Db After(this Db db, string edn) => db.Transact(Forms(edn)).DbAfter;

    /// <summary>Asserts the transaction is rejected with the category, and returns the exception.</summary>
    public static TxRejectedException Rejects(this Db db, string edn, string category)
    {
        var ex = Assert.Throws<TxRejectedException>(() => db.Transact(Forms(edn)));
        Assert.Equal(Keyword.Intern(category), ex.Category);
        return ex;
    }

    public static Keyword K(string s) => Keyword.Intern(s);

    public static long Id(this Db db, string attr, object value) =>
        db.EntId(new object?[] { K(attr), value }) ?? throw new Xunit.Sdk.XunitException($"no entity with {attr} {value}");

    /// <summary>The values of one attribute of one entity, in index order.</summary>
    public static List<object> Values(this Db db, long e, string attr) =>
        db.Datoms(IndexType.Eavt, e, K(attr)).Select(d => d.V).ToList();

    public static object? Value(this Db db, long e, string attr) => db.Values(e, attr).SingleOrDefault();

    /// <summary>The user datoms as (e, attr ident, value) triples.</summary>
    public static List<(long, string, object)> Facts(this Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => d.E >= EntityIds.FirstUser && !EntityIds.IsTx(d.E) && db.Ident(d.A)!.Namespace is not "db")
            .Select(d => (d.E, db.Ident(d.A)!.ToString(), d.V)).ToList();
}
