using Datsync.Core;

namespace Datsync.Core.Tests.Scopes;

/// <summary>A document store: users in teams, documents owned, shared and filed under teams, sections nested in
/// documents, and the scope policy over it.</summary>
internal static class Docs
{
    public const string SchemaEdn = """
        [{:db/ident :user/id       :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :user/team     :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :user/favorite :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :team/name     :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key       :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title     :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/secret    :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner     :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/shared    :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :doc/team      :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/related   :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :doc/color     :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/section   :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :section/key   :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :section/text  :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :section/child :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :color/red}
         {:db/ident :color/blue}]
        """;

    /// <summary>A user sees itself, its team, the documents it owns, those shared with it, those of its team, every
    /// document when it is an admin, and the sections of what it sees, at any depth.</summary>
    public const string Rules = """
        [[(me ?client ?u) [?u :user/id ?client]]
         [(visible ?client ?roles ?u) (me ?client ?u)]
         [(visible ?client ?roles ?t) (me ?client ?u) [?u :user/team ?t]]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/shared ?u]]
         [(visible ?client ?roles ?d) (me ?client ?u) [?u :user/team ?t] [?d :doc/team ?t]]
         [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]
         [(visible ?client ?roles ?s) (visible ?client ?roles ?d) [?d :doc/section ?s]]
         [(visible ?client ?roles ?s) (visible ?client ?roles ?p) [?p :section/child ?s]]]
        """;

    public static readonly ScopePolicy Policy = ScopePolicy.Create(Rules, schemaWriters: ["schema-admin"]);

    public static readonly Db Schema = Db.Empty.Transact(Forms(SchemaEdn)).DbAfter;

    /// <summary>alice, bob (team red) and carol; alice's doc a1 (with sections), bob's b1, carol's c1 filed under red.</summary>
    public static readonly Db World = Schema.Transact(Forms("""
        [{:db/id "red" :team/name "red"}
         {:db/id "alice" :user/id "alice"}
         {:db/id "bob" :user/id "bob" :user/team "red"}
         {:db/id "carol" :user/id "carol"}
         {:doc/key "a1" :doc/title "Alice's plan" :doc/secret "s-a1" :doc/owner "alice" :doc/color :color/red
          :doc/section [{:db/id "s1" :section/key "s1" :section/text "intro" :section/child [{:section/key "s1.1" :section/text "deep"}]}]}
         {:doc/key "b1" :doc/title "Bob's notes" :doc/owner "bob"}
         {:doc/key "c1" :doc/title "Carol's report" :doc/owner "carol" :doc/team "red"}]
        """)).DbAfter.Transact(Forms("""[[:db/add [:doc/key "b1"] :doc/related [:doc/key "a1"]]]""")).DbAfter;

    public static IReadOnlyList<object?> Forms(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    public static Keyword K(string s) => Keyword.Intern(s);

    public static long Id(this Db db, string attr, string value) =>
        db.EntId(new object?[] { K(attr), value }) ?? throw new Xunit.Sdk.XunitException($"no entity with {attr} {value}");

    public static readonly ClientIdentity Alice = ClientIdentity.Of("alice"), Bob = ClientIdentity.Of("bob"), Carol = ClientIdentity.Of("carol");

    /// <summary>A value's datoms as <c>[e :attr v]</c> strings, sorted, built-ins left out.</summary>
    public static List<string> Facts(Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => d.E >= EntityIds.FirstUser).Select(d => Fact(d, db)).Order(StringComparer.Ordinal).ToList();

    /// <summary>True when a fact of <see cref="Facts"/> is of the attribute.</summary>
    public static bool HasAttr(string fact, string attr) => fact.Split(' ')[1] == attr;

    public static string Fact(Datom d, Db db) => $"[{d.E} {EdnPrinter.Print(db.Ident(d.A))} {EdnPrinter.Print(d.V)}]";

    /// <summary>A delta's datoms as <c>[:db/add e :attr v]</c> strings.</summary>
    public static List<string> Ops(IEnumerable<Datom> datoms, Db db) => datoms.Select(d => WriteRules.Describe(d, db)).ToList();

    /// <summary>The value a scoped replica holds after applying a delta to its value before.</summary>
    public static Db Apply(Db replica, long t, IReadOnlyList<Datom> delta)
    {
        var max = delta.Where(d => d.E < EntityIds.TxBase).Select(d => d.E).DefaultIfEmpty(0).Max();
        return replica.ApplyTx(t, delta, Math.Max(max, replica.MaxEntityId));
    }
}
