using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Sync;

/// <summary>The rewrite replaces ids 100 and 101 (as a replica's local ids) by 900 and 901 and nothing else.</summary>
public class EntityIdRewriteTests
{
    private static readonly Schema S = TestDb.Schema.Schema;

    private static long? Map(long e) => e switch { 100 => 900, 101 => 901, _ => null };

    private static string Rewritten(string edn) => EdnPrinter.Print(EntityIdRewrite.Rewrite(Forms(edn), S, Map));

    private static string Printed(string edn) => EdnPrinter.Print(EdnReader.Read(edn));

    private static void Rewrites(string before, string after) => Assert.Equal(Printed(after), Rewritten(before));

    private static void KeepsAsWritten(string edn)
    {
        var forms = Forms(edn);
        Assert.Same(forms, EntityIdRewrite.Rewrite(forms, S, Map));
    }

    [Fact]
    public void The_entity_position_of_list_forms_is_rewritten() =>
        Rewrites("""[[:db/add 100 :person/name "A"] [:db/retract 101 :person/age 3] [:db/retractEntity 100]]""",
            """[[:db/add 900 :person/name "A"] [:db/retract 901 :person/age 3] [:db/retractEntity 900]]""");

    [Fact]
    public void The_db_id_of_an_entity_map_is_rewritten() =>
        Rewrites("""[{:db/id 100 :person/name "A"}]""", """[{:db/id 900 :person/name "A"}]""");

    [Fact]
    public void Ref_values_of_list_forms_and_of_cas_are_rewritten() =>
        Rewrites("""[[:db/add 7 :person/spouse 100] [:db/retract 7 :person/friends 101] [:db/cas 100 :person/spouse 101 100]]""",
            """[[:db/add 7 :person/spouse 900] [:db/retract 7 :person/friends 901] [:db/cas 900 :person/spouse 901 900]]""");

    [Fact]
    public void Ref_values_of_maps_are_rewritten_one_or_many() =>
        Rewrites("""[{:db/id "p" :person/spouse 100 :person/friends [101 7 100]}]""",
            """[{:db/id "p" :person/spouse 900 :person/friends [901 7 900]}]""");

    [Fact]
    public void Nested_maps_are_rewritten_at_any_depth() =>
        Rewrites("""[{:db/id 100 :person/address {:db/id 101 :address/street "S"} :person/pets [{:db/id 100 :pet/name "a"} {:pet/name "b" :person/spouse 101}]}]""",
            """[{:db/id 900 :person/address {:db/id 901 :address/street "S"} :person/pets [{:db/id 900 :pet/name "a"} {:pet/name "b" :person/spouse 901}]}]""");

    [Fact]
    public void Reverse_refs_are_rewritten() =>
        Rewrites("""[{:db/id 100 :person/_friends 101} {:db/id "x" :person/_spouse [100 101]}]""",
            """[{:db/id 900 :person/_friends 901} {:db/id "x" :person/_spouse [900 901]}]""");

    [Fact]
    public void Lookup_refs_on_a_ref_attribute_are_rewritten_and_others_kept() =>
        Rewrites("""[[:db/add [:person/spouse 100] :person/name "A"] [:db/add [:person/email "a@x"] :person/spouse [:person/spouse 101]] {:person/friends [[:person/email "b@x"] 100]}]""",
            """[[:db/add [:person/spouse 900] :person/name "A"] [:db/add [:person/email "a@x"] :person/spouse [:person/spouse 901]] {:person/friends [[:person/email "b@x"] 900]}]""");

    [Fact]
    public void Long_values_of_attributes_that_are_not_refs_are_left_alone()
    {
        KeepsAsWritten("""[[:db/add 7 :person/age 100] {:db/id 7 :v/long 101 :person/aliases ["100"]} [:db/cas 7 :person/age 100 101]]""");
        Rewrites("""[[:db/add 100 :person/age 100] {:db/id 101 :v/long 101}]""", """[[:db/add 900 :person/age 100] {:db/id 901 :v/long 101}]""");
    }

    [Fact]
    public void Tempids_idents_and_unmapped_ids_are_left_alone_and_the_same_objects_come_back()
    {
        KeepsAsWritten("""[{:db/id "t" :person/spouse "u" :person/color :color/red} [:db/add 7 :person/friends 8] [:db/add :person/name :db/doc "x"]]""");
        KeepsAsWritten("[]");
    }

    [Fact]
    public void EntityIds_lists_the_ids_in_the_positions_the_rewrite_looks_at()
    {
        var ids = EntityIdRewrite.EntityIds(Forms("""
            [[:db/add 100 :person/age 55]
             {:db/id 7 :person/spouse 101 :person/address {:db/id 8 :address/street "S"} :v/long 66}
             [:db/add [:person/spouse 9] :person/name "x"]]
            """), S);
        Assert.Equal(new long[] { 7, 8, 9, 100, 101 }, ids.Order());
    }
}
