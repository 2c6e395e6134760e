using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

public class WriteRulesTests
{
    private const string OnlyOwnerRetracts = """
        [:find ?e ?a ?v ?added
         :where [(= ?added false)] (not [?e ?a]) [$before ?e :doc/owner ?o] [$before ?o :user/id ?oid] [(not= ?oid ?client)]]
        """;

    private const string OwnerIsFixed = """
        [:find ?e ?a ?v ?added
         :where [(= ?a :doc/owner)] [$before ?e :doc/owner _]]
        """;

    private static readonly ScopePolicy Strict = ScopePolicy.Create(Rules, schemaWriters: ["schema-admin"],
        writeRules: [("only-owner-retracts", OnlyOwnerRetracts), ("owner-is-fixed", OwnerIsFixed)]);

    private static readonly Db Shared = World.Transact(Forms("""[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""")).DbAfter;

    private static ScopeViolation? Check(ClientIdentity id, string tx, Db? db = null, ScopePolicy? policy = null) =>
        WriteRules.Check(policy ?? Policy, id, (db ?? World).Transact(Forms(tx)));

    [Fact]
    public void A_client_may_edit_its_own_document()
    {
        Assert.Null(Check(Alice, """[[:db/add [:doc/key "a1"] :doc/title "v2"] [:db/retract [:doc/key "a1"] :doc/secret "s-a1"]]"""));
    }

    [Fact]
    public void A_client_may_create_a_document_it_owns()
    {
        Assert.Null(Check(Alice, """[{:doc/key "a2" :doc/title "new" :doc/owner [:user/id "alice"] :doc/color :color/blue}]"""));
    }

    [Fact]
    public void A_new_entity_the_client_cannot_see_after_the_transaction_is_refused()
    {
        var v = Check(Alice, """[{:doc/key "x" :doc/title "orphan"}]""");
        Assert.NotNull(v);
        Assert.Equal(WriteRules.Entity, v!.Rule);
        Assert.Matches(@"^\[:db/add \d+ :doc/key ""x""\] breaks write rule entity$", v.Message);
    }

    [Fact]
    public void Editing_a_document_out_of_scope_is_refused_naming_the_datom_and_the_rule()
    {
        var b1 = World.Id(":doc/key", "b1");
        var v = Check(Alice, """[[:db/add [:doc/key "a1"] :doc/title "fine"] [:db/add [:doc/key "b1"] :doc/title "mine now"]]""");
        Assert.Equal($"[:db/add {b1} :doc/title \"mine now\"] breaks write rule entity", v!.Message);
        var ex = v.ToException();
        Assert.Equal(Keyword.Intern("datsync.error/forbidden"), ex.Category);
        Assert.Equal(ScopeErrors.Forbidden, ex.Category);
    }

    [Fact]
    public void Taking_over_an_invisible_document_by_asserting_its_owner_is_refused()
    {
        var v = Check(Alice, """[[:db/add [:doc/key "b1"] :doc/owner [:user/id "alice"]]]""");
        Assert.Equal(WriteRules.Entity, v!.Rule);
    }

    [Fact]
    public void Linking_to_an_invisible_entity_is_refused_by_the_ref_rule()
    {
        var v = Check(Alice, """[[:db/add [:doc/key "a1"] :doc/related [:doc/key "b1"]]]""");
        Assert.Equal(WriteRules.Ref, v!.Rule);
    }

    [Fact]
    public void An_attribute_outside_the_allow_list_is_refused()
    {
        var policy = ScopePolicy.Create(Rules, readAttributes: ["doc/*", "user/*", "section/*"]);
        var db = World.Transact(Forms("[{:db/ident :note/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]")).DbAfter;
        var v = Check(Alice, """[[:db/add [:doc/key "a1"] :note/text "hi"]]""", db, policy);
        Assert.Equal(WriteRules.Attribute, v!.Rule);
    }

    [Fact]
    public void Schema_needs_a_role_that_may_write_it()
    {
        const string install = "[{:db/ident :doc/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]";
        var v = Check(Alice, install);
        Assert.Equal(WriteRules.Schema, v!.Rule);
        Assert.Contains(":db/ident", v.Message);
        Assert.Null(Check(ClientIdentity.Of("alice", "schema-admin"), install));
    }

    [Fact]
    public void A_sharee_may_edit_but_only_the_owner_may_retract()
    {
        Assert.Null(Check(Bob, """[[:db/add [:doc/key "a1"] :doc/title "bob was here"]]""", Shared, Strict));
        var a1 = Shared.Id(":doc/key", "a1");
        var v = Check(Bob, """[[:db/retract [:doc/key "a1"] :doc/title "Alice's plan"]]""", Shared, Strict);
        Assert.Equal("only-owner-retracts", v!.Rule);
        Assert.Equal($"[:db/retract {a1} :doc/title \"Alice's plan\"] breaks write rule only-owner-retracts", v.Message);
        Assert.Null(Check(Alice, """[[:db/retract [:doc/key "a1"] :doc/title "Alice's plan"]]""", Shared, Strict));
    }

    [Fact]
    public void A_documents_owner_cannot_be_changed()
    {
        const string takeOver = """[[:db/add [:doc/key "a1"] :doc/owner [:user/id "bob"]]]""";
        Assert.Null(Check(Bob, takeOver, Shared, Policy)); // the default rules let a sharee name a new owner it sees
        var v = Check(Bob, takeOver, Shared, Strict);
        Assert.Equal("owner-is-fixed", v!.Rule);
        Assert.Equal($"[:db/add {Shared.Id(":doc/key", "a1")} :doc/owner {Shared.Id(":user/id", "bob")}] breaks write rule owner-is-fixed", v.Message);
    }

    [Fact]
    public void Giving_a_document_to_a_user_the_client_cannot_see_is_refused_by_the_ref_rule()
    {
        var v = Check(Alice, """[[:db/add [:doc/key "a1"] :doc/owner [:user/id "carol"]]]""");
        Assert.Equal(WriteRules.Ref, v!.Rule);
    }

    [Fact]
    public void The_first_offending_datom_names_the_refusal()
    {
        var c1 = World.Id(":doc/key", "c1");
        var b1 = World.Id(":doc/key", "b1");
        var v = Check(Alice, """[[:db/add [:doc/key "c1"] :doc/title "one"] [:db/add [:doc/key "b1"] :doc/title "two"]]""");
        var first = World.Transact(Forms("""[[:db/add [:doc/key "c1"] :doc/title "one"] [:db/add [:doc/key "b1"] :doc/title "two"]]""")).TxData
            .First(d => d.E == c1 || d.E == b1);
        Assert.Equal(first.E, v!.Datom!.E);
    }

    [Fact]
    public void Retracting_an_own_entity_also_retracts_the_refs_to_it_from_entities_the_client_cannot_see()
    {
        // b1 (bob's) :doc/related a1
        Assert.Null(Check(Alice, """[[:db/retractEntity [:doc/key "a1"]]]"""));
        Assert.Equal(WriteRules.Entity, Check(Alice, """[[:db/retract [:doc/key "b1"] :doc/related [:doc/key "a1"]]]""")!.Rule);
    }

    [Fact]
    public void A_custom_rule_whose_tuples_name_no_datom_still_refuses_by_name()
    {
        var policy = ScopePolicy.Create(Rules, writeRules: [("read-only-clients",
            """[:find ?client :where [(= ?client "alice")]]""")]);
        var v = Check(Alice, """[{:doc/key "a2" :doc/owner [:user/id "alice"]}]""", World, policy);
        Assert.Equal("read-only-clients", v!.Rule);
        Assert.Null(v.Datom);
        Assert.Equal("The transaction breaks write rule read-only-clients: [\"alice\"]", v.Message);
        Assert.Null(Check(Bob, """[[:db/add [:doc/key "b1"] :doc/title "ok"]]""", World, policy));
    }

    [Fact]
    public void A_scope_at_hand_is_used_for_the_value_before()
    {
        var report = World.Transact(Forms("""[[:db/add [:doc/key "a1"] :doc/title "v3"]]"""));
        Assert.Null(WriteRules.Check(Policy, Alice, report, ScopeState.Of(Policy, Alice, World)));
        Assert.NotNull(WriteRules.Check(Policy, Bob, report, ScopeState.Of(Policy, Bob, World)));
    }

    [Fact]
    public void Enforce_throws_the_forbidden_rejection()
    {
        var report = World.Transact(Forms("""[[:db/add [:doc/key "b1"] :doc/title "x"]]"""));
        var ex = Assert.Throws<TxRejectedException>(() => WriteRules.Enforce(Policy, Alice, report));
        Assert.StartsWith(":datsync.error/forbidden: [:db/add", ex.Describe());
    }
}
