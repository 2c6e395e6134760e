namespace Datsync.Actors.Hosting.Tests;

/// <summary>The world of the scope tests (here, and linked into Datsync.Actors.Tests and Datsync.Integration.Tests): users
/// and the documents they own; a user sees itself and its documents, an admin every document.</summary>
internal static class OwnedDocs
{
    public const string SchemaEdn = """
        [{:db/ident :user/id    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title  :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner  :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}]
        """;

    public const string WorldEdn = """
        [{:db/id "alice" :user/id "alice"}
         {:db/id "bob" :user/id "bob"}
         {:doc/key "a1" :doc/title "Alice's plan" :doc/owner "alice"}
         {:doc/key "b1" :doc/title "Bob's notes" :doc/owner "bob"}]
        """;

    /// <summary>A user sees itself and the documents it owns; an admin sees every document.</summary>
    public const string Rules = """
        [[(me ?client ?u) [?u :user/id ?client]]
         [(visible ?client ?roles ?u) (me ?client ?u)]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
         [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]]
        """;
}
