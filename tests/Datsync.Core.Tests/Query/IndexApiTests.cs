using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Query;

/// <summary>Datoms, SeekDatoms and IndexRange over the four indexes.</summary>
public class IndexApiTests
{
    private static readonly Db Db = TestDb.Schema.After("""
        [{:db/id "a" :person/email "a@x" :person/name "Anna" :person/age 30 :person/aliases ["an" "ann"] :person/friends ["b" "c"]}
         {:db/id "b" :person/email "b@x" :person/name "Boris" :person/age 25 :person/friends ["c"]}
         {:db/id "c" :person/email "c@x" :person/name "Cleo" :person/age 41}]
        """);

    private static long E(string email) => Db.Id(":person/email", email);

    [Fact]
    public void Eavt_by_entity_and_attribute_returns_that_entitys_values_in_value_order()
    {
        var a = E("a@x");
        Assert.Equal(new object[] { "an", "ann" }, Db.Datoms(IndexType.Eavt, a, K(":person/aliases")).Select(d => d.V));
        var all = Db.Datoms(IndexType.Eavt, a).ToList();
        Assert.All(all, d => Assert.Equal(a, d.E));
        Assert.Equal(7, all.Count); // email, name, age, 2 aliases, 2 friends
        Assert.Single(Db.Datoms(IndexType.Eavt, a, K(":person/name"), "Anna"));
        Assert.Empty(Db.Datoms(IndexType.Eavt, a, K(":person/name"), "Zed"));
    }

    [Fact]
    public void Eavt_accepts_lookup_refs_and_idents_as_entities()
    {
        Assert.Equal(Db.Datoms(IndexType.Eavt, E("b@x")).ToList(), Db.Datoms(IndexType.Eavt, new EdnVector(K(":person/email"), "b@x")).ToList());
        Assert.Equal(K(":person/name"), Db.Datoms(IndexType.Eavt, K(":person/name"), K(":db/ident")).Single().V);
    }

    [Fact]
    public void Aevt_lists_an_attribute_by_entity()
    {
        var ages = Db.Datoms(IndexType.Aevt, K(":person/age")).ToList();
        Assert.Equal(new[] { E("a@x"), E("b@x"), E("c@x") }.Order(), ages.Select(d => d.E));
        Assert.Equal(30L, Db.Datoms(IndexType.Aevt, K(":person/age"), E("a@x")).Single().V);
    }

    [Fact]
    public void Avet_lists_values_in_order_for_indexed_and_unindexed_attributes()
    {
        Assert.Equal(new object[] { "a@x", "b@x", "c@x" }, Db.Datoms(IndexType.Avet, K(":person/email")).Select(d => d.V));
        Assert.Equal(E("b@x"), Db.Datoms(IndexType.Avet, K(":person/email"), "b@x").Single().E);
        // :person/age has no index: answered from AEVT, still in value order
        Assert.Equal(new object[] { 25L, 30L, 41L }, Db.Datoms(IndexType.Avet, K(":person/age")).Select(d => d.V));
    }

    [Fact]
    public void Vaet_lists_the_refs_pointing_at_an_entity()
    {
        var c = E("c@x");
        var refs = Db.Datoms(IndexType.Vaet, c).ToList();
        Assert.Equal(new[] { E("a@x"), E("b@x") }.Order(), refs.Select(d => d.E).Order());
        Assert.All(refs, d => Assert.Equal(c, (long)d.V));
        Assert.Equal(2, Db.Datoms(IndexType.Vaet, c, K(":person/friends")).Count());
        Assert.Empty(Db.Datoms(IndexType.Vaet, c, K(":person/spouse")));
    }

    [Fact]
    public void SeekDatoms_starts_at_the_first_datom_at_or_after_the_components_and_runs_to_the_end()
    {
        var seek = Db.SeekDatoms(IndexType.Avet, K(":person/email"), "b").ToList();
        Assert.Equal("b@x", seek[0].V);
        Assert.Equal("c@x", seek[1].V);
        Assert.Equal(2, seek.Count); // no AVET attribute after :person/email holds datoms
        var eavt = Db.SeekDatoms(IndexType.Eavt, E("b@x")).ToList();
        Assert.Equal(E("b@x"), eavt[0].E);
        Assert.Contains(eavt, d => d.E == E("c@x"));
    }

    [Fact]
    public void IndexRange_is_half_open_and_needs_no_index()
    {
        Assert.Equal(new object[] { "b@x" }, Db.IndexRange(K(":person/email"), "b", "c").Select(d => d.V));
        Assert.Equal(new object[] { 30L, 41L }, Db.IndexRange(K(":person/age"), 30L, null).Select(d => d.V));
        Assert.Equal(new object[] { 25L }, Db.IndexRange(K(":person/age"), null, 30L).Select(d => d.V));
    }

    [Fact]
    public void Components_that_name_nothing_give_no_datoms()
    {
        Assert.Empty(Db.Datoms(IndexType.Eavt, new EdnVector(K(":person/email"), "nobody")));
        Assert.Empty(Db.Datoms(IndexType.Aevt, K(":no/such")));
        Assert.Empty(Db.Datoms(IndexType.Eavt, E("a@x"), K(":person/age"), "not a number"));
    }
}
