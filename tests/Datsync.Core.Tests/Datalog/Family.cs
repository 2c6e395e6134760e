using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>
/// A small database for the query specifications:
/// <code>
/// Alice  age 30, tags #{"a" "b"}, friends #{Bob Carol}, email "alice@x"
/// Bob    age 25, parent Alice, friends #{Alice}
/// Carol  age 30, parent Bob, score 1.5
/// Dave   parent Carol, score 2.5
/// </code>
/// (parent: Dave -> Carol -> Bob -> Alice; friends: Alice and Bob are friends of each other, a cycle.)
/// </summary>
internal static class Family
{
    public static readonly Db Data = Db.Empty.Transact("""
        [{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :person/score :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
         {:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
         {:db/ident :person/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
         {:db/ident :person/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
         {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
        """).DbAfter.Transact("""
        [{:db/id "alice" :person/name "Alice" :person/age 30 :person/tags ["a" "b"] :person/email "alice@x"}
         {:db/id "bob" :person/name "Bob" :person/age 25 :person/parent "alice"}
         {:db/id "carol" :person/name "Carol" :person/age 30 :person/parent "bob" :person/score 1.5}
         {:db/id "dave" :person/name "Dave" :person/parent "carol" :person/score 2.5}
         [:db/add "alice" :person/friend "bob"]
         [:db/add "alice" :person/friend "carol"]
         [:db/add "bob" :person/friend "alice"]]
        """).DbAfter;

    /// <summary>Reads the expected result as EDN.</summary>
    public static object? Read(string text) => EdnReader.Read(text);

    /// <summary>Asserts that the query's result equals the EDN value, structurally.</summary>
    public static void AssertQ(string expected, string query, params object?[] inputs) => AssertQ(Data, expected, query, inputs);

    public static void AssertQ(Db db, string expected, string query, params object?[] inputs)
    {
        var actual = db.Q(query, inputs);
        var want = Read(expected);
        Assert.True(EdnEquality.Instance.Equals(want, actual), $"expected {EdnPrinter.Print(want)}, got {EdnPrinter.Print(actual)}");
    }

    public static QueryException Fails(string query, params object?[] inputs) => Assert.Throws<QueryException>(() => Data.Q(query, inputs));
}
