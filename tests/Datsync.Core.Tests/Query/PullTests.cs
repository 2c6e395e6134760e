using static Datsync.Core.Tests.Query.People;

namespace Datsync.Core.Tests.Query;

/// <summary>Pull, specified by the examples of the Datomic pull documentation worked by hand on <see cref="People"/>.</summary>
public class PullTests
{
    private static readonly People P = People.Sample;
    private static readonly Symbol Star = new("*"), Ellipsis = new("..."), LimitSym = new("limit"), DefaultSym = new("default");
    private static readonly Keyword As = K(":as"), Limit = K(":limit"), Default = K(":default");

    private static Dictionary<object, object?> Id(long e) => M(DbId, e);

    private static void AssertPull(object? expected, object pattern, object eid, Db? db = null) =>
        Assert.Equal(Show(expected), Show((db ?? P.Db).Pull(pattern, eid)));

    // ---- attribute names

    [Fact]
    public void Attribute_names_pull_just_those_attributes()
    {
        AssertPull(M(Name, "Alice", Age, 30L), V(Name, Age), P.Alice);
    }

    [Fact]
    public void Attributes_the_entity_lacks_are_left_out()
    {
        AssertPull(M(Name, "Dave"), V(Name, Age, Aka), P.Dave);
    }

    [Fact]
    public void An_entity_with_none_of_the_attributes_pulls_as_an_empty_map()
    {
        AssertPull(M(), V(Age), P.Dave);
    }

    [Fact]
    public void An_attribute_the_schema_does_not_know_is_left_out()
    {
        AssertPull(M(Name, "Dave"), V(Name, K(":no/such")), P.Dave);
    }

    [Fact]
    public void An_eid_that_names_no_entity_pulls_null()
    {
        Assert.Null(P.Db.Pull(V(Name), V(Name, "Nobody")));
        Assert.Null(P.Db.Pull(V(Name), 987654321L));
        Assert.Null(P.Db.Pull(V(Name), K(":no/ident")));
    }

    [Fact]
    public void The_entity_may_be_named_by_id_ident_or_lookup_ref()
    {
        AssertPull(M(Name, "Alice"), V(Name), V(Name, "Alice"));
        AssertPull(M(DbIdent, K(":country/se")), V(DbIdent), K(":country/se"));
        AssertPull(M(Name, "Bob"), V(Name), (int)P.Bob);
    }

    [Fact]
    public void Db_id_in_a_pattern_pulls_the_entity_id()
    {
        AssertPull(M(DbId, P.Alice, Name, "Alice"), V(DbId, Name), P.Alice);
    }

    [Fact]
    public void A_cardinality_many_attribute_pulls_a_vector_of_its_values()
    {
        var result = P.Db.Pull(V(Aka), P.Alice)!;
        var akas = Assert.IsAssignableFrom<IReadOnlyList<object?>>(result[Aka]);
        Assert.Equal(["Al", "Ali"], akas);
    }

    [Fact]
    public void A_ref_without_a_sub_pattern_pulls_a_map_of_the_target_id()
    {
        AssertPull(M(Spouse, Id(P.Bob), Friend, V(Id(P.Bob), Id(P.Carol))), V(Spouse, Friend), P.Alice);
    }

    [Fact]
    public void A_ref_to_an_entity_with_an_ident_pulls_a_map_of_its_id_not_the_ident()
    {
        AssertPull(M(Country, Id(P.Sweden)), V(Country), P.Alice);
    }

    [Fact]
    public void A_component_attribute_without_a_sub_pattern_pulls_the_whole_component()
    {
        AssertPull(
            M(Address, M(DbId, P.AliceAddress, Street, "1 Main St", City, "Springfield", Geo, M(DbId, P.AliceGeo, Lat, 59.5)),
              Phone, V(M(DbId, P.AlicePhone1, Number, "555-1", Kind, Id(P.Mobile)),
                       M(DbId, P.AlicePhone2, Number, "555-2", Kind, Id(P.Home)))),
            V(Address, Phone), P.Alice);
    }

    // ---- wildcard

    [Fact]
    public void The_wildcard_pulls_every_attribute_and_the_id()
    {
        AssertPull(M(DbId, P.Bob, Name, "Bob", Age, 31L, Friend, V(Id(P.Alice), Id(P.Dave)), Spouse, Id(P.Alice)),
            V(Star), P.Bob);
    }

    [Fact]
    public void The_wildcard_expands_components_recursively_and_leaves_other_refs_as_ids()
    {
        AssertPull(
            M(DbId, P.Alice, Name, "Alice", Aka, V("Al", "Ali"), Age, 30L, Spouse, Id(P.Bob), Country, Id(P.Sweden),
              Friend, V(Id(P.Bob), Id(P.Carol)),
              Address, M(DbId, P.AliceAddress, Street, "1 Main St", City, "Springfield", Geo, M(DbId, P.AliceGeo, Lat, 59.5)),
              Phone, V(M(DbId, P.AlicePhone1, Number, "555-1", Kind, Id(P.Mobile)),
                       M(DbId, P.AlicePhone2, Number, "555-2", Kind, Id(P.Home)))),
            V(Star), P.Alice);
    }

    [Fact]
    public void The_wildcard_may_be_written_as_a_string()
    {
        Assert.Equal(Show(P.Db.Pull(V(Star), P.Bob)), Show(P.Db.Pull(V("*"), P.Bob)));
    }

    [Fact]
    public void A_map_spec_next_to_the_wildcard_decides_how_its_attribute_is_pulled()
    {
        AssertPull(M(DbId, P.Bob, Name, "Bob", Age, 31L, Spouse, Id(P.Alice), Friend, V(M(Name, "Alice"), M(Name, "Dave"))),
            V(Star, M(Friend, V(Name))), P.Bob);
    }

    [Fact]
    public void The_wildcard_on_an_entity_without_attributes_pulls_just_the_id()
    {
        var db = P.Db.Transact([V(K(":db/retractEntity"), P.Dave)]).DbAfter;
        AssertPull(M(DbId, P.Dave), V(Star), P.Dave, db);
    }

    // ---- map specs

    [Fact]
    public void A_map_spec_pulls_its_sub_pattern_from_each_referenced_entity()
    {
        AssertPull(M(Name, "Alice", Friend, V(M(Name, "Bob"), M(Name, "Carol")), Spouse, M(Name, "Bob", Age, 31L)),
            V(Name, M(Friend, V(Name)), M(Spouse, V(Name, Age))), P.Alice);
    }

    [Fact]
    public void Map_specs_nest()
    {
        AssertPull(
            M(Friend, V(M(Name, "Bob", Friend, V(M(Name, "Alice"), M(Name, "Dave"))),
                        M(Name, "Carol", Friend, V(M(Name, "Dave"))))),
            V(M(Friend, V(Name, M(Friend, V(Name))))), P.Alice);
    }

    [Fact]
    public void A_map_spec_may_hold_several_attributes()
    {
        AssertPull(M(Spouse, M(Name, "Bob"), Address, M(City, "Springfield")),
            V(M(Spouse, V(Name), Address, V(City))), P.Alice);
    }

    [Fact]
    public void A_sub_pattern_on_a_component_replaces_the_full_pull()
    {
        AssertPull(M(Phone, V(M(Number, "555-1"), M(Number, "555-2"))), V(M(Phone, V(Number))), P.Alice);
    }

    [Fact]
    public void A_sub_pattern_can_follow_a_ref_to_an_ident_entity()
    {
        AssertPull(M(Country, M(DbIdent, K(":country/se"))), V(M(Country, V(DbIdent))), P.Alice);
    }

    // ---- reverse refs

    [Fact]
    public void A_reverse_ref_pulls_the_referring_entities_as_a_vector()
    {
        AssertPull(M(K(":person/_friend"), V(Id(P.Bob), Id(P.Carol))), V(K(":person/_friend")), P.Dave);
        AssertPull(M(K(":person/_friend"), V(Id(P.Alice))), V(K(":person/_friend")), P.Carol);
    }

    [Fact]
    public void A_reverse_ref_takes_a_sub_pattern()
    {
        AssertPull(M(K(":person/_parent"), V(M(Name, "Eve"))), V(M(K(":person/_parent"), V(Name))), P.Frank);
    }

    [Fact]
    public void A_reverse_ref_nobody_makes_is_left_out()
    {
        AssertPull(M(Name, "Eve"), V(Name, K(":person/_parent"), K(":person/_friend")), P.Eve);
    }

    [Fact]
    public void The_reverse_of_a_component_attribute_pulls_the_single_owner()
    {
        AssertPull(M(K(":person/_address"), Id(P.Alice)), V(K(":person/_address")), P.AliceAddress);
        AssertPull(M(K(":person/_phone"), M(Name, "Alice")), V(M(K(":person/_phone"), V(Name))), P.AlicePhone2);
    }

    [Fact]
    public void A_reverse_ref_of_a_component_is_not_expanded_without_a_sub_pattern()
    {
        AssertPull(M(K(":address/_geo"), Id(P.AliceAddress)), V(K(":address/_geo")), P.AliceGeo);
    }

    // ---- limits

    [Fact]
    public void A_limit_caps_the_values_of_a_cardinality_many_attribute()
    {
        var akas = (IReadOnlyList<object?>)P.Db.Pull(V(V(Aka, Limit, 1L)), P.Alice)![Aka]!;
        Assert.Single(akas);
    }

    [Fact]
    public void A_limit_caps_a_reverse_ref()
    {
        var friendOf = (IReadOnlyList<object?>)P.Db.Pull(V(V(K(":person/_friend"), Limit, 1L)), P.Dave)![K(":person/_friend")]!;
        Assert.Single(friendOf);
    }

    [Fact]
    public void A_limit_caps_a_map_spec_when_it_is_the_key()
    {
        var result = P.Db.Pull(V(M(V(Friend, Limit, 1L), V(Name))), P.Alice)!;
        Assert.Single((IReadOnlyList<object?>)result[Friend]!);
    }

    [Fact]
    public void A_limit_on_a_cardinality_one_attribute_changes_nothing()
    {
        AssertPull(M(Name, "Alice"), V(V(Name, Limit, 1L)), P.Alice);
    }

    [Fact]
    public void The_limit_expression_form_works_with_a_symbol_or_a_string()
    {
        Assert.Single((IReadOnlyList<object?>)P.Db.Pull(V(V(LimitSym, Aka, 1L)), P.Alice)![Aka]!);
        Assert.Single((IReadOnlyList<object?>)P.Db.Pull(V(V("limit", Aka, 1L)), P.Alice)![Aka]!);
    }

    [Fact]
    public void Cardinality_many_values_are_capped_at_1000_by_default_and_a_nil_limit_lifts_the_cap()
    {
        var item = K(":item/n");
        var db = Db.Empty.Transact([Attr(item, "long", many: true)]).DbAfter;
        var values = Enumerable.Range(0, 1500).Select(i => (object?)(long)i).ToArray();
        var report = db.Transact([M(DbId, "x", item, values)]);
        var x = report.Tempids["x"];

        Assert.Equal(1000, ((IReadOnlyList<object?>)report.DbAfter.Pull(V(item), x)![item]!).Count);
        Assert.Equal(1500, ((IReadOnlyList<object?>)report.DbAfter.Pull(V(V(item, Limit, null)), x)![item]!).Count);
        Assert.Equal(1200, ((IReadOnlyList<object?>)report.DbAfter.Pull(V(V(item, Limit, 1200L)), x)![item]!).Count);
        Assert.Equal(1500, ((IReadOnlyList<object?>)report.DbAfter.Pull(V(V(LimitSym, item, null)), x)![item]!).Count);
    }

    // ---- defaults

    [Fact]
    public void A_default_stands_in_for_a_missing_attribute()
    {
        AssertPull(M(Name, "Dave", Age, 0L), V(Name, V(Age, Default, 0L)), P.Dave);
    }

    [Fact]
    public void A_default_is_not_used_when_the_attribute_has_a_value()
    {
        AssertPull(M(Age, 30L), V(V(Age, Default, 0L)), P.Alice);
    }

    [Fact]
    public void The_default_expression_form_works_with_a_symbol_or_a_string()
    {
        AssertPull(M(Age, 0L), V(V(DefaultSym, Age, 0L)), P.Dave);
        AssertPull(M(Aka, "none"), V(V("default", Aka, "none")), P.Dave);
    }

    [Fact]
    public void A_default_applies_to_missing_reverse_refs_and_unknown_attributes()
    {
        AssertPull(M(K(":person/_friend"), V(), K(":no/such"), "n/a"),
            V(V(K(":person/_friend"), Default, V()), V(K(":no/such"), Default, "n/a")), P.Eve);
    }

    // ---- aliases

    [Fact]
    public void As_renames_the_key_of_an_attribute()
    {
        AssertPull(M(K(":name"), "Alice", "Age", 30L), V(V(Name, As, K(":name")), V(Age, As, "Age")), P.Alice);
    }

    [Fact]
    public void As_renames_db_id_and_reverse_refs()
    {
        AssertPull(M("id", P.Dave, "friend-of", V(Id(P.Bob), Id(P.Carol))),
            V(V(DbId, As, "id"), V(K(":person/_friend"), As, "friend-of")), P.Dave);
    }

    [Fact]
    public void Options_combine_in_one_spec_in_any_order()
    {
        var result = P.Db.Pull(V(V(Aka, As, "nicknames", Limit, 1L), V(Age, Limit, null, Default, 0L, As, "years")), P.Dave)!;
        Assert.Equal(Show(M("years", 0L)), Show(result));
        var alice = P.Db.Pull(V(V(Aka, As, "nicknames", Limit, 1L)), P.Alice)!;
        Assert.Single((IReadOnlyList<object?>)alice["nicknames"]!);
    }

    [Fact]
    public void Options_may_be_written_as_a_list()
    {
        var list = new List<object?> { Aka, Limit, 1L, As, K(":nick") };
        var result = P.Db.Pull(new List<object?> { list }, P.Alice)!;
        Assert.Single((IReadOnlyList<object?>)result[K(":nick")]!);
    }

    [Fact]
    public void A_map_spec_key_may_carry_options()
    {
        AssertPull(M(K(":buddies"), V(M(Name, "Bob"), M(Name, "Carol")), K(":partner"), M(Name, "Bob")),
            V(M(V(Friend, As, K(":buddies")), V(Name), V(Spouse, As, K(":partner")), V(Name))), P.Alice);
    }

    [Fact]
    public void An_alias_does_not_hide_the_attribute_from_the_wildcard()
    {
        AssertPull(M(DbId, P.Dave, Name, "Dave", "n", "Dave"), V(Star, V(Name, As, "n")), P.Dave);
    }

    // ---- recursion

    [Fact]
    public void Unbounded_recursion_follows_the_attribute_and_shows_an_entity_already_on_the_path_as_its_id()
    {
        // alice -> bob -> (alice: on the path) and dave; alice -> carol -> dave
        AssertPull(
            M(Name, "Alice", Friend, V(
                M(Name, "Bob", Friend, V(Id(P.Alice), M(Name, "Dave"))),
                M(Name, "Carol", Friend, V(M(Name, "Dave"))))),
            V(Name, M(Friend, Ellipsis)), P.Alice);
    }

    [Fact]
    public void Unbounded_recursion_may_be_written_with_a_string()
    {
        Assert.Equal(Show(P.Db.Pull(V(Name, M(Friend, Ellipsis)), P.Alice)), Show(P.Db.Pull(V(Name, M(Friend, "...")), P.Alice)));
    }

    [Fact]
    public void Unbounded_recursion_follows_a_chain_to_its_end()
    {
        AssertPull(M(Name, "Eve", Parent, M(Name, "Frank", Parent, M(Name, "Grace", Parent, M(Name, "Heidi")))),
            V(Name, M(Parent, Ellipsis)), P.Eve);
    }

    [Fact]
    public void A_recursion_limit_follows_the_attribute_that_many_levels_and_leaves_it_out_below()
    {
        AssertPull(M(Name, "Eve", Parent, M(Name, "Frank", Parent, M(Name, "Grace"))),
            V(Name, M(Parent, 2L)), P.Eve);
        AssertPull(M(Name, "Eve", Parent, M(Name, "Frank")), V(Name, M(Parent, 1)), P.Eve);
    }

    [Fact]
    public void A_recursion_limit_still_stops_at_a_cycle()
    {
        AssertPull(
            M(Name, "Bob", Friend, V(
                M(Name, "Alice", Friend, V(Id(P.Bob), M(Name, "Carol", Friend, V(M(Name, "Dave"))))),
                M(Name, "Dave"))),
            V(Name, M(Friend, 5L)), P.Bob);
    }

    [Fact]
    public void An_entity_that_refers_to_itself_recurses_once()
    {
        var db = P.Db.Transact([Add(P.Dave, Friend, P.Dave)]).DbAfter;
        AssertPull(M(Name, "Dave", Friend, V(Id(P.Dave))), V(Name, M(Friend, Ellipsis)), P.Dave, db);
    }

    [Fact]
    public void Recursion_works_through_a_reverse_ref()
    {
        AssertPull(M(Name, "Heidi", K(":person/_parent"), V(M(Name, "Grace", K(":person/_parent"), V(M(Name, "Frank"))))),
            V(Name, M(K(":person/_parent"), 2L)), P.Heidi);
    }

    [Fact]
    public void Recursion_combines_with_the_wildcard()
    {
        AssertPull(M(DbId, P.Grace, Name, "Grace", Parent, M(DbId, P.Heidi, Name, "Heidi")),
            V(Star, M(Parent, Ellipsis)), P.Grace);
    }

    [Fact]
    public void Recursion_limits_of_two_attributes_count_separately()
    {
        // eve -parent-> frank; frank's friend is carol; carol's friend is dave
        var db = P.Db.Transact([Add(P.Frank, Friend, P.Carol)]).DbAfter;
        AssertPull(
            M(Name, "Eve", Parent, M(Name, "Frank", Friend, V(M(Name, "Carol")))),
            V(Name, M(Parent, 1L, Friend, 1L)), P.Eve, db);
    }

    // ---- pull many and patterns

    [Fact]
    public void PullMany_pulls_each_eid_in_order_and_null_for_an_eid_that_names_nothing()
    {
        var results = P.Db.PullMany(V(Name), [P.Carol, V(Name, "Nobody"), P.Alice, K(":country/se")]);
        Assert.Equal(["{:person/name \"Carol\"}", "nil", "{:person/name \"Alice\"}", "{}"], results.Select(Show));
    }

    [Fact]
    public void A_parsed_pattern_can_be_reused_for_many_pulls()
    {
        var pattern = PullPattern.Parse(V(Name, M(Friend, V(Name))));
        Assert.Same(pattern, PullPattern.Parse(pattern));
        Assert.Equal(Show(P.Db.Pull(V(Name, M(Friend, V(Name))), P.Bob)), Show(P.Db.Pull(pattern, P.Bob)));
        Assert.Equal(Show(P.Db.Pull(V(Name, M(Friend, V(Name))), P.Carol)), Show(P.Db.Pull(pattern, P.Carol)));
    }

    [Fact]
    public void A_pull_reads_the_database_value_it_is_given()
    {
        var later = P.Db.Transact([Add(P.Dave, Age, 40L)]).DbAfter;
        AssertPull(M(Name, "Dave"), V(Name, Age), P.Dave);
        AssertPull(M(Name, "Dave", Age, 40L), V(Name, Age), P.Dave, later);
    }

    // ---- malformed patterns

    [Theory]
    [MemberData(nameof(MalformedPatterns))]
    public void A_malformed_pattern_is_rejected_naming_the_bad_element(object pattern, string named)
    {
        var ex = Assert.Throws<ArgumentException>(() => P.Db.Pull(pattern, P.Alice));
        Assert.Contains(named, ex.Message);
    }

    public static TheoryData<object, string> MalformedPatterns() => new()
    {
        { Name, ":person/name" },                                   // not a vector
        { V(Name, 42L), "42" },                                     // not an attr spec
        { V(V(Aka, Limit, 0L)), "0" },                              // limit must be positive
        { V(V(Aka, Limit, "ten")), "ten" },
        { V(V(Aka, K(":xform"), "f")), ":xform" },                  // unknown option
        { V(V(Aka, Limit)), "option/value pairs" },                 // odd option
        { V(M(Friend, 0L)), "0" },                                  // recursion limit must be positive
        { V(M(Friend, "friends")), "friends" },                     // neither pattern nor recursion
        { V(M(DbId, V(Name))), ":db/id" },                          // :db/id takes no sub-pattern
        { V(V("limit", "person/aka", 1L)), "keyword" },             // attr of a limit expr must be a keyword
        { V(V(Aka, As, null)), ":as" },                             // nil alias
    };

    [Fact]
    public void A_malformed_pattern_is_rejected_even_when_the_entity_does_not_exist()
    {
        Assert.Throws<ArgumentException>(() => P.Db.Pull(V(42L), 987654321L));
        Assert.Throws<ArgumentException>(() => P.Db.PullMany(V(42L), []));
    }
}
