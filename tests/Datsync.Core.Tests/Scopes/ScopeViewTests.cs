using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

public class ScopeViewTests
{
    private static ScopeView View(ClientIdentity id, Db? db = null, ScopePolicy? policy = null) => ScopeView.Of(policy ?? Policy, id, db ?? World);

    [Fact]
    public void A_client_sees_its_own_documents_and_not_the_others()
    {
        var db = World;
        var alice = View(Alice);
        Assert.Contains(db.Id(":doc/key", "a1"), alice.Entities);
        Assert.Contains(db.Id(":user/id", "alice"), alice.Entities);
        Assert.DoesNotContain(db.Id(":doc/key", "b1"), alice.Entities);
        Assert.DoesNotContain(db.Id(":doc/key", "c1"), alice.Entities);
        var facts = Facts(alice.Filter());
        Assert.Contains($"[{db.Id(":doc/key", "a1")} :doc/title \"Alice's plan\"]", facts);
        Assert.DoesNotContain(facts, f => f.Contains("Bob's notes") || f.Contains("Carol's report"));
    }

    [Fact]
    public void Sections_of_a_visible_document_are_visible_at_any_depth()
    {
        var alice = View(Alice);
        Assert.Contains(World.Id(":section/key", "s1"), alice.Entities);
        Assert.Contains(World.Id(":section/key", "s1.1"), alice.Entities);
        Assert.Contains(Facts(alice.Filter()), f => f.Contains("\"deep\""));
    }

    [Fact]
    public void A_client_sees_the_documents_of_its_team()
    {
        var bob = View(Bob);
        Assert.Contains(World.Id(":doc/key", "c1"), bob.Entities);
        Assert.Contains(World.Id(":team/name", "red"), bob.Entities);
        Assert.Contains(Facts(bob.Filter()), f => f.Contains("Carol's report"));
    }

    [Fact]
    public void A_ref_to_an_invisible_entity_is_dropped()
    {
        // b1 :doc/related a1, c1 :doc/owner carol: bob sees b1 and c1 but neither a1 nor carol
        var bob = View(Bob);
        var facts = Facts(bob.Filter());
        var b1 = World.Id(":doc/key", "b1");
        var c1 = World.Id(":doc/key", "c1");
        Assert.DoesNotContain(facts, f => f.StartsWith($"[{b1} :doc/related"));
        Assert.DoesNotContain(facts, f => f.StartsWith($"[{c1} :doc/owner"));
        Assert.Contains(facts, f => f.StartsWith($"[{b1} :doc/owner"));
        var related = World.Datoms(IndexType.Eavt, b1, K(":doc/related")).Single();
        Assert.False(bob.IsVisible(related));
    }

    [Fact]
    public void A_ref_to_an_ident_entity_is_kept()
    {
        var a1 = World.Id(":doc/key", "a1");
        var filtered = View(Alice).Filter();
        Assert.Equal(K(":color/red"), filtered.Ident((long)filtered.Datoms(IndexType.Eavt, a1, K(":doc/color")).Single().V));
    }

    [Fact]
    public void The_allow_list_hides_attributes_by_ident_and_namespace()
    {
        var policy = ScopePolicy.Create(Rules, readAttributes: ["user/*", ":doc/title", "doc/owner", ":doc/key"]);
        var facts = Facts(View(Alice, policy: policy).Filter());
        Assert.Contains(facts, f => HasAttr(f, ":doc/title"));
        Assert.Contains(facts, f => HasAttr(f, ":user/id"));
        Assert.DoesNotContain(facts, f => HasAttr(f, ":doc/secret") || HasAttr(f, ":doc/section") || HasAttr(f, ":section/text"));
    }

    [Fact]
    public void A_role_adds_attributes_to_the_allow_list()
    {
        var policy = ScopePolicy.Create(Rules, readAttributes: [":doc/title"],
            roleAttributes: new Dictionary<string, IReadOnlyList<string>> { ["auditor"] = ["doc/*"] });
        Assert.DoesNotContain(Facts(View(Alice, policy: policy).Filter()), f => HasAttr(f, ":doc/secret"));
        Assert.Contains(Facts(View(ClientIdentity.Of("alice", "auditor"), policy: policy).Filter()), f => HasAttr(f, ":doc/secret"));
    }

    [Fact]
    public void Schema_is_always_visible_even_to_a_client_that_sees_nothing()
    {
        var stranger = View(ClientIdentity.Of("nobody"));
        Assert.Empty(stranger.Entities);
        var filtered = stranger.Filter();
        Assert.NotNull(filtered.AttributeOf(K(":doc/title")));
        Assert.NotNull(filtered.EntId(K(":color/blue")));
        Assert.Equal(World.BasisT, filtered.BasisT);
        Assert.All(Facts(filtered), f => Assert.Contains(":db/", f));
    }

    [Fact]
    public void A_role_branch_of_the_rules_applies_only_to_clients_with_the_role()
    {
        Assert.DoesNotContain(World.Id(":doc/key", "b1"), View(Alice).Entities);
        Assert.Contains(World.Id(":doc/key", "b1"), View(ClientIdentity.Of("alice", "admin")).Entities);
    }

    [Fact]
    public void Bootstrap_gives_schema_first_then_exactly_the_filtered_datoms()
    {
        var view = View(Bob);
        var datoms = view.BootstrapDatoms().ToList();
        var firstData = datoms.FindIndex(d => !SchemaRules.IsSchemaAttr(d.A));
        Assert.True(firstData > 0);
        Assert.All(datoms.Skip(firstData), d => Assert.False(SchemaRules.IsSchemaAttr(d.A)));
        Assert.All(datoms, d => Assert.True(view.IsVisible(d)));
        Assert.Equal(Facts(view.Filter()), Facts(Db.FromDatoms(datoms, World.BasisT)));
    }

    [Fact]
    public void Visible_records_topics_a_title_change_does_not_touch()
    {
        var (_, evaluation) = ScopeView.Visible(Policy, World, Bob);
        var tx = World.Transact(Forms("""[[:db/add [:doc/key "b1"] :doc/title "renamed"]]""")).TxData;
        Assert.False(evaluation.Topics.MayBeChangedBy(tx));
        var share = World.Transact(Forms("""[[:db/add [:doc/key "a1"] :doc/shared [:user/id "bob"]]]""")).TxData;
        Assert.True(evaluation.Topics.MayBeChangedBy(share));
    }
}
