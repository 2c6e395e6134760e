namespace Datsync.Core.Tests.Edn;

public class EdnReaderStructureTests
{
    private static readonly Keyword A = Keyword.Intern("a");
    private static readonly Keyword B = Keyword.Intern("b");

    private static object? R(string text) => EdnReader.Read(text);

    private static EdnReadException Fails(string text) => Assert.Throws<EdnReadException>(() => EdnReader.Read(text));

    [Fact]
    public void Lists_read_as_EdnList()
    {
        var list = Assert.IsType<EdnList>(R("(1 :a \"s\")"));
        Assert.Equal(3, list.Count);
        Assert.Equal(1L, list[0]);
        Assert.Same(A, list[1]);
        Assert.Equal("s", list[2]);
    }

    [Fact]
    public void Vectors_read_as_EdnVector()
    {
        var v = Assert.IsType<EdnVector>(R("[1 2 3]"));
        Assert.Equal(new object?[] { 1L, 2L, 3L }, v.ToArray());
    }

    [Fact]
    public void Maps_read_as_EdnMap_in_source_order()
    {
        var m = Assert.IsType<EdnMap>(R("{:z 1 :a 2 \"k\" [3]}"));
        Assert.Equal(3, m.Count);
        Assert.Equal(new object[] { Keyword.Intern("z"), A, "k" }, m.Keys.ToArray());
        Assert.Equal(2L, m[A]);
        EdnAssert.Equal(new EdnVector(3L), m["k"]);
    }

    [Fact]
    public void Sets_read_as_EdnSet()
    {
        var s = Assert.IsType<EdnSet>(R("#{1 :a \"s\"}"));
        Assert.Equal(3, s.Count);
        Assert.True(s.Contains(1L));
        Assert.True(s.Contains(A));
        Assert.True(s.Contains("s"));
        Assert.False(s.Contains(2L));
        Assert.Equal(new object?[] { 1L, A, "s" }, s.ToArray());
    }

    [Fact]
    public void Empty_collections_read_as_empty_model_values()
    {
        Assert.Empty(Assert.IsType<EdnList>(R("()")));
        Assert.Empty(Assert.IsType<EdnVector>(R("[ ]")));
        Assert.Equal(0, Assert.IsType<EdnMap>(R("{}")).Count);
        Assert.Empty(Assert.IsType<EdnSet>(R("#{}")));
    }

    [Fact]
    public void Collections_nest()
    {
        var expected = new EdnVector(
            1L,
            new EdnList(2L, new EdnVector(3L)),
            EdnMap.Of(A, new EdnSet(4L, 5L)),
            new EdnSet(new object?[] { new EdnVector(6L) }));
        EdnAssert.Equal(expected, R("[1 (2 [3]) {:a #{4 5}} #{[6]}]"));
    }

    [Fact]
    public void Nil_can_be_a_map_key_and_a_set_element()
    {
        var m = Assert.IsType<EdnMap>(R("{nil 1 :a nil}"));
        Assert.Equal(2, m.Count);
        Assert.True(m.ContainsKey(null));
        Assert.Equal(1L, m[null]);
        Assert.Null(m[A]);
        Assert.Equal(new KeyValuePair<object?, object?>(null, 1L), m.Entries[0]);
        Assert.True(Assert.IsType<EdnSet>(R("#{nil}")).Contains(null));
    }

    [Fact]
    public void Commas_are_whitespace()
    {
        EdnAssert.Equal(new EdnVector(1L, 2L, 3L), R("[1,2,,3,]"));
        EdnAssert.Equal(EdnMap.Of(A, 1L, B, 2L), R("{:a 1, :b 2}"));
    }

    [Fact]
    public void Comments_run_to_the_end_of_the_line()
    {
        var text = "; leading comment\n[1 ; inline comment ]\n 2] ; trailing comment";
        EdnAssert.Equal(new EdnVector(1L, 2L), R(text));
    }

    [Fact]
    public void Discard_skips_the_next_form()
    {
        EdnAssert.Equal(new EdnVector(1L, 3L), R("[1 #_ 2 3]"));
        EdnAssert.Equal(new EdnVector(1L, 2L), R("[1 #_[nested (forms {:x 1})] 2]"));
        EdnAssert.Equal(EdnMap.Of(A, 1L), R("{:a #_ :b 1}"));
    }

    [Fact]
    public void Discard_may_be_the_last_thing_in_a_collection()
    {
        EdnAssert.Equal(new EdnVector(1L), R("[1 #_ 2]"));
        EdnAssert.Equal(EdnList.Empty, R("(#_ x)"));
    }

    [Fact]
    public void Consecutive_discards_each_skip_one_form()
    {
        Assert.Equal(3L, R("#_ #_ 1 2 3"));
        EdnAssert.Equal(new EdnVector(4L), R("[#_ 1 #_ 2 #_ 3 4]"));
    }

    [Fact]
    public void A_discard_around_the_only_form_leaves_nothing_to_read()
    {
        Assert.Contains("expected a form", Fails("#_ 1").Message);
        Assert.Empty(EdnReader.ReadAll("#_ 1"));
        Assert.Equal(1L, R("1 #_ 2"));
    }

    [Fact]
    public void Discard_needs_a_form()
    {
        Assert.Contains("#_ must be followed by a form", Fails("[1 #_]").Message);
        Assert.Contains("#_ must be followed by a form", Fails("1 #_").Message);
    }

    [Fact]
    public void Unknown_tags_read_as_TaggedValue()
    {
        var t = Assert.IsType<TaggedValue>(R("#myapp/Person {:first \"Fred\"}"));
        Assert.Equal(new Symbol("myapp/Person"), t.Tag);
        EdnAssert.Equal(EdnMap.Of(Keyword.Intern("first"), "Fred"), t.Value);
    }

    [Fact]
    public void Tags_may_be_separated_from_their_form_by_comments_and_discards()
    {
        EdnAssert.Equal(new TaggedValue(new Symbol("x"), 2L), R("#x ; note\n #_ 1 2"));
    }

    [Fact]
    public void Tags_nest()
    {
        var outer = Assert.IsType<TaggedValue>(R("#a #b [1]"));
        Assert.Equal(new Symbol("a"), outer.Tag);
        EdnAssert.Equal(new TaggedValue(new Symbol("b"), new EdnVector(1L)), outer.Value);
    }

    [Fact]
    public void A_tag_needs_a_form()
    {
        Assert.Contains("must be followed by a form", Fails("[#foo]").Message);
        Assert.Contains("must be followed by a form", Fails("#foo").Message);
    }

    [Theory]
    [InlineData("#\"regex\"", "regular expressions")]
    [InlineData("#:ns{:a 1}", "namespaced map")]
    [InlineData("#(inc %)", "unsupported dispatch")]
    [InlineData("#1 2", "unsupported dispatch")]
    [InlineData("#", "end of input")]
    public void Non_edn_dispatch_forms_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message);
    }

    [Fact]
    public void Duplicate_map_keys_are_rejected()
    {
        Assert.Contains("duplicate map key :a", Fails("{:a 1 :a 2}").Message);
        Assert.Contains("duplicate map key [1 2]", Fails("{[1 2] :x [1 2] :y}").Message);
        Assert.Contains("duplicate map key nil", Fails("{nil 1 nil 2}").Message);
    }

    [Fact]
    public void Integer_keys_that_differ_only_by_N_are_duplicates()
    {
        Fails("{1 :a 1N :b}");
        Fails("#{1 1N}");
    }

    [Fact]
    public void Duplicate_keys_are_rejected_in_large_maps_too()
    {
        var keys = string.Join(' ', Enumerable.Range(0, 20).Select(i => $":k{i} {i}"));
        Assert.Equal(20, Assert.IsType<EdnMap>(R("{" + keys + "}")).Count);
        Assert.Contains("duplicate map key :k3", Fails("{" + keys + " :k3 0}").Message);
    }

    [Fact]
    public void Duplicate_set_elements_are_rejected()
    {
        Assert.Contains("duplicate set element 1", Fails("#{1 2 1}").Message);
        Assert.Equal("duplicate set element {:b 2 :a 1}", Fails("#{{:a 1 :b 2} {:b 2 :a 1}}").Reason);
        var many = string.Join(' ', Enumerable.Range(0, 20));
        Assert.Equal(20, Assert.IsType<EdnSet>(R("#{" + many + "}")).Count);
        Assert.Contains("duplicate set element 7", Fails("#{" + many + " 7}").Message);
    }

    [Fact]
    public void Lists_and_vectors_with_the_same_elements_are_distinct_set_elements()
    {
        Assert.Equal(2, Assert.IsType<EdnSet>(R("#{[1] (1)}")).Count);
    }

    [Fact]
    public void A_map_needs_an_even_number_of_forms()
    {
        Assert.Contains("even number of forms", Fails("{:a 1 :b}").Message);
    }

    [Fact]
    public void Read_requires_exactly_one_form()
    {
        Assert.Contains("after the form", Fails("1 2").Message);
        Assert.Contains("expected a form", Fails("").Message);
        Assert.Contains("expected a form", Fails("  ; only a comment\n").Message);
        EdnAssert.Equal(new EdnVector(1L), R("  [1]  ; done\n"));
    }

    [Fact]
    public void ReadAll_returns_every_top_level_form()
    {
        var forms = EdnReader.ReadAll("1 :a\n\"s\" [2] ; end");
        Assert.Equal(4, forms.Count);
        EdnAssert.Equal(new EdnVector(1L, A, "s", new EdnVector(2L)), new EdnVector(forms));
        Assert.Empty(EdnReader.ReadAll("  ; nothing\n"));
    }

    [Fact]
    public void Reading_from_a_TextReader_reads_the_rest_of_it()
    {
        EdnAssert.Equal(new EdnVector(1L, 2L), EdnReader.Read(new StringReader("[1 2]\n")));
        Assert.Equal(2, EdnReader.ReadAll(new StringReader("1 2")).Count);
    }

    [Fact]
    public void A_leading_byte_order_mark_is_ignored()
    {
        Assert.Equal(1L, R("\uFEFF1"));
    }

    [Fact]
    public void Deep_nesting_is_read_or_rejected_without_crashing()
    {
        var depth = 500;
        var text = new string('[', depth) + new string(']', depth);
        var value = R(text);
        for (var i = 1; i < depth; i++) value = Assert.Single(Assert.IsType<EdnVector>(value));
        Assert.Empty(Assert.IsType<EdnVector>(value));

        AssertRejectedOnASmallStack(new string('[', 1_000_000) + new string(']', 1_000_000), "collections are nested more than 10,000 deep");
        AssertRejectedOnASmallStack(string.Concat(Enumerable.Repeat("#t ", 1_000_000)) + "1", "tagged literals are nested more than 10,000 deep");
        AssertRejectedOnASmallStack(string.Concat(Enumerable.Repeat("#_ ", 1_000_000)) + "1", "discards are nested more than 10,000 deep");
    }

    private static void AssertRejectedOnASmallStack(string text, string reason)
    {
        Exception? caught = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    EdnReader.Read(text);
                }
                catch (Exception e)
                {
                    caught = e;
                }
            },
            256 * 1024);
        thread.Start();
        thread.Join();
        Assert.StartsWith(reason, Assert.IsType<EdnReadException>(caught).Reason);
    }
}
