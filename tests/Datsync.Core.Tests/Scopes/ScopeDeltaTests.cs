using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

public class ScopeDeltaTests
{
    /// <summary>Runs the transaction, computes the client's delta, and checks that applying it to the client's filtered
    /// value before gives its filtered value after.</summary>
    private static (ScopeDelta Delta, List<string> Ops, TxReport Report) Step(Db db, ClientIdentity id, string tx, ScopePolicy? policy = null)
    {
        policy ??= Policy;
        var before = ScopeView.Of(policy, id, db);
        var report = db.Transact(Forms(tx));
        var delta = ScopeDelta.Of(before.State, report.DbAfter, report.TxData);
        var after = ScopeView.Of(policy, id, report.DbAfter);
        Assert.Equal(Facts(after.Filter()), Facts(Apply(before.Filter(), report.T, delta.Datoms)));
        Assert.Equal(after.Entities.Order(), delta.Next.Entities.Order());
        return (delta, Ops(delta.Datoms, report.DbAfter), report);
    }

    [Fact]
    public void An_edit_of_a_visible_document_delivers_its_datoms_without_reevaluating()
    {
        var a1 = World.Id(":doc/key", "a1");
        var (delta, ops, _) = Step(World, Alice, """[[:db/add [:doc/key "a1"] :doc/title "v2"]]""");
        Assert.False(delta.Reevaluated);
        Assert.Equal([$"[:db/retract {a1} :doc/title \"Alice's plan\"]", $"[:db/add {a1} :doc/title \"v2\"]"], ops);
    }

    [Fact]
    public void Delivered_datoms_are_at_the_transactions_t_and_leave_the_transaction_entity_out()
    {
        var (delta, ops, report) = Step(World, Bob, """[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""");
        Assert.All(delta.Datoms, d => Assert.Equal(report.T, d.T));
        Assert.DoesNotContain(ops, o => o.Contains(":db/txInstant"));
        Assert.Equal(report.T, delta.Next.T);
    }

    [Fact]
    public void An_edit_of_an_invisible_document_delivers_nothing()
    {
        var (delta, _, _) = Step(World, Alice, """[[:db/add [:doc/key "b1"] :doc/title "v2"]]""");
        Assert.True(delta.IsEmpty);
        Assert.False(delta.Reevaluated);
    }

    [Fact]
    public void Sharing_a_document_moves_it_in_with_its_sections_at_any_depth()
    {
        var db = World;
        var a1 = db.Id(":doc/key", "a1");
        var s1 = db.Id(":section/key", "s1");
        var s11 = db.Id(":section/key", "s1.1");
        var (delta, ops, _) = Step(db, Bob, """[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""");
        Assert.True(delta.Reevaluated);
        Assert.Contains($"[:db/add {a1} :doc/title \"Alice's plan\"]", ops);
        Assert.Contains($"[:db/add {a1} :doc/section {s1}]", ops);
        Assert.Contains($"[:db/add {s1} :section/child {s11}]", ops);
        Assert.Contains($"[:db/add {s11} :section/text \"deep\"]", ops);
        Assert.Contains($"[:db/add {a1} :doc/shared {db.Id(":user/id", "bob")}]", ops);
        // the ref from b1 (visible) into a1 (now visible) moves in; a1's owner (alice) stays invisible, so its ref is dropped
        Assert.Contains($"[:db/add {db.Id(":doc/key", "b1")} :doc/related {a1}]", ops);
        Assert.DoesNotContain(ops, o => o.Contains(":doc/owner"));
        Assert.All(ops, o => Assert.StartsWith("[:db/add", o));
    }

    [Fact]
    public void Unsharing_moves_the_document_out_with_the_refs_into_it()
    {
        var db = World.Transact(Forms("""[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]] [:db/add [:user/id "bob"] :user/favorite [:doc/key "a1"]]]""")).DbAfter;
        var a1 = db.Id(":doc/key", "a1");
        var bob = db.Id(":user/id", "bob");
        var (delta, ops, _) = Step(db, Bob, """[[:db/retract [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""");
        Assert.True(delta.Reevaluated);
        Assert.Contains($"[:db/retract {a1} :doc/title \"Alice's plan\"]", ops);
        Assert.Contains($"[:db/retract {a1} :doc/shared {bob}]", ops);
        Assert.Contains($"[:db/retract {bob} :user/favorite {a1}]", ops);
        Assert.Contains($"[:db/retract {db.Id(":section/key", "s1.1")} :section/text \"deep\"]", ops);
        Assert.All(ops, o => Assert.StartsWith("[:db/retract", o));
        Assert.DoesNotContain(a1, delta.Next.Entities);
    }

    [Fact]
    public void An_entity_held_for_two_reasons_stays_until_the_last_goes()
    {
        // c1 reaches bob through his team and through a share
        var db = World.Transact(Forms("""[[:db/add [:doc/key "c1"] :doc/shared [:user/id "bob"]]]""")).DbAfter;
        var (unshared, _, _) = Step(db, Bob, """[[:db/retract [:doc/key "c1"] :doc/shared [:user/id "bob"]]]""");
        Assert.Contains(db.Id(":doc/key", "c1"), unshared.Next.Entities);
        var (left, ops, _) = Step(db, Bob, """[[:db/retract [:user/id "bob"] :user/team [:team/name "red"]]]""");
        Assert.Contains(db.Id(":doc/key", "c1"), left.Next.Entities);
        Assert.DoesNotContain(ops, o => o.Contains("Carol's report"));
    }

    [Fact]
    public void Leaving_a_team_moves_its_documents_out()
    {
        var c1 = World.Id(":doc/key", "c1");
        var (delta, ops, _) = Step(World, Bob, """[[:db/retract [:user/id "bob"] :user/team [:team/name "red"]]]""");
        Assert.Contains($"[:db/retract {c1} :doc/title \"Carol's report\"]", ops);
        Assert.DoesNotContain(c1, delta.Next.Entities);
        Assert.DoesNotContain(World.Id(":team/name", "red"), delta.Next.Entities);
    }

    [Fact]
    public void Joining_a_team_moves_its_documents_in()
    {
        var c1 = World.Id(":doc/key", "c1");
        var (delta, ops, _) = Step(World, Alice, """[[:db/add [:user/id "alice"] :user/team [:team/name "red"]]]""");
        Assert.Contains($"[:db/add {c1} :doc/title \"Carol's report\"]", ops);
        Assert.Contains(c1, delta.Next.Entities);
    }

    [Fact]
    public void Giving_a_document_away_moves_it_out_of_the_old_owner_and_in_to_the_new()
    {
        var tx = """[[:db/add [:doc/key "a1"] :doc/owner [:user/id "carol"]]]""";
        var (fromAlice, aliceOps, _) = Step(World, Alice, tx);
        Assert.DoesNotContain(World.Id(":doc/key", "a1"), fromAlice.Next.Entities);
        Assert.All(aliceOps, o => Assert.StartsWith("[:db/retract", o));
        var (toCarol, _, _) = Step(World, Carol, tx);
        Assert.Contains(World.Id(":section/key", "s1.1"), toCarol.Next.Entities);
    }

    [Fact]
    public void Retracting_a_visible_entity_retracts_its_datoms_and_the_refs_into_it()
    {
        var db = World.Transact(Forms("""[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""")).DbAfter;
        var a1 = db.Id(":doc/key", "a1");
        var (_, ops, _) = Step(db, Bob, """[[:db/retractEntity [:doc/key "a1"]]]""");
        Assert.Contains($"[:db/retract {db.Id(":doc/key", "b1")} :doc/related {a1}]", ops);
        Assert.Contains($"[:db/retract {a1} :doc/title \"Alice's plan\"]", ops);
    }

    [Fact]
    public void A_schema_change_reaches_every_client()
    {
        var (delta, ops, _) = Step(World, ClientIdentity.Of("nobody"),
            "[{:db/ident :doc/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]");
        Assert.Contains(ops, o => o.Contains(":db/ident :doc/tags"));
        Assert.True(delta.Reevaluated);
    }

    [Fact]
    public void Renaming_an_attribute_out_of_the_allow_list_moves_its_datoms_out()
    {
        var policy = ScopePolicy.Create(Rules, readAttributes: ["doc/*", "user/*", "section/*"]);
        var a1 = World.Id(":doc/key", "a1");
        var (_, ops, _) = Step(World, Alice, "[{:db/id :doc/secret :db/ident :hidden/secret}]", policy);
        Assert.Contains($"[:db/retract {a1} :hidden/secret \"s-a1\"]", ops);
    }

    [Fact]
    public void A_rule_that_fails_on_a_value_sees_nothing_there_and_everything_once_mended()
    {
        // a lookup ref that finds nothing until ghost exists
        var policy = ScopePolicy.Create("""[[(visible ?c ?r ?e) [?e :doc/owner [:user/id "ghost"]]]]""");
        var before = ScopeView.Of(policy, Alice, World);
        Assert.Empty(before.Entities);
        var (delta, ops, report) = Step(World, Alice, """[{:db/id "g" :user/id "ghost"} [:db/add [:doc/key "a1"] :doc/owner "g"]]""", policy);
        Assert.Contains(report.DbAfter.Id(":doc/key", "a1"), delta.Next.Entities);
        Assert.Contains(ops, o => o.Contains("Alice's plan"));
    }

    [Fact]
    public void A_new_policy_is_delivered_as_the_difference_of_the_two_filtered_values()
    {
        var open = ScopeView.Of(Policy, Alice, World).Filter();
        var strict = ScopeView.Of(ScopePolicy.Create(Rules, readAttributes: [":doc/title", "user/*"]), Alice, World).Filter();
        var diff = ScopeDelta.Between(open, strict);
        Assert.All(diff, d => Assert.False(d.Added));
        Assert.Contains(Ops(diff, World), o => o.Contains(":doc/secret"));
        Assert.DoesNotContain(Ops(diff, World), o => o.Contains(":doc/title"));
        var back = ScopeDelta.Between(strict, open);
        Assert.All(back, d => Assert.True(d.Added));
        Assert.Equal(diff.Count, back.Count);
    }

    [Fact]
    public void Removing_a_role_is_a_new_identity_whose_difference_retracts_what_the_role_showed()
    {
        var admin = ScopeView.Of(Policy, ClientIdentity.Of("alice", "admin"), World).Filter();
        var plain = ScopeView.Of(Policy, Alice, World).Filter();
        var ops = Ops(ScopeDelta.Between(admin, plain), World);
        Assert.Contains(ops, o => o.Contains("Bob's notes"));
        Assert.All(ops, o => Assert.StartsWith("[:db/retract", o));
    }
}
