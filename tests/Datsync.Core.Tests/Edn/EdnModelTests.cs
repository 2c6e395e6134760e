using System.Numerics;

namespace Datsync.Core.Tests.Edn;

public class EdnModelTests
{
    private static readonly Keyword A = Keyword.Intern("a");
    private static readonly Keyword B = Keyword.Intern("b");
    private static readonly EdnEquality Eq = EdnEquality.Instance;

    private static void AssertEqualWithHash(object? x, object? y)
    {
        Assert.True(Eq.Equals(x, y), $"{EdnPrinter.Print(x)} should equal {EdnPrinter.Print(y)}");
        Assert.True(Eq.Equals(y, x), "equality should be symmetric");
        Assert.Equal(Eq.GetHashCode(x), Eq.GetHashCode(y));
    }

    [Fact]
    public void Vectors_are_equal_element_by_element()
    {
        AssertEqualWithHash(new EdnVector(1L, "a", new EdnVector(A)), new EdnVector(new object?[] { 1L, "a", new EdnVector(A) }));
        Assert.NotEqual(new EdnVector(1L, 2L), new EdnVector(2L, 1L));
        Assert.NotEqual(new EdnVector(1L), new EdnVector(1L, 1L));
    }

    [Fact]
    public void A_list_never_equals_a_vector()
    {
        Assert.False(Eq.Equals(new EdnList(1L, 2L), new EdnVector(1L, 2L)));
        Assert.False(new EdnList(1L).Equals(new EdnVector(1L)));
    }

    [Fact]
    public void Maps_are_equal_regardless_of_order()
    {
        var m1 = EdnMap.Of(A, 1L, B, new EdnVector(2L));
        var m2 = EdnMap.Of(B, new EdnVector(2L), A, 1L);
        AssertEqualWithHash(m1, m2);
        Assert.Equal(m1, m2);
        Assert.NotEqual(m1, EdnMap.Of(A, 1L, B, new EdnVector(3L)));
        Assert.NotEqual(m1, EdnMap.Of(A, 1L));
    }

    [Fact]
    public void Sets_are_equal_regardless_of_order_but_enumerate_in_insertion_order()
    {
        var s1 = new EdnSet(1L, 2L, 3L);
        var s2 = new EdnSet(3L, 1L, 2L);
        AssertEqualWithHash(s1, s2);
        Assert.Equal(new object?[] { 3L, 1L, 2L }, s2.ToArray());
        Assert.NotEqual(s1, new EdnSet(1L, 2L));
    }

    [Fact]
    public void Integers_are_equal_across_clr_types_and_BigInteger()
    {
        AssertEqualWithHash(12L, new BigInteger(12));
        AssertEqualWithHash(12L, 12);
        AssertEqualWithHash((byte)12, new BigInteger(12));
        AssertEqualWithHash(ulong.MaxValue, new BigInteger(ulong.MaxValue));
        Assert.False(Eq.Equals(12L, 13L));
        Assert.False(Eq.Equals(new BigInteger(ulong.MaxValue), long.MaxValue));
    }

    [Fact]
    public void Integers_floats_and_decimals_are_never_equal_to_each_other()
    {
        Assert.False(Eq.Equals(1L, 1.0));
        Assert.False(Eq.Equals(1L, 1m));
        Assert.False(Eq.Equals(1.0, 1m));
    }

    [Fact]
    public void Floats_equal_doubles_of_the_same_value_and_NaN_equals_NaN()
    {
        AssertEqualWithHash(2f, 2.0);
        AssertEqualWithHash(double.NaN, double.NaN);
        AssertEqualWithHash(0.0, -0.0);
    }

    [Fact]
    public void Decimals_are_equal_regardless_of_scale()
    {
        AssertEqualWithHash(1.0m, 1.00m);
    }

    [Fact]
    public void Instants_are_equal_when_they_denote_the_same_moment()
    {
        var utc = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        AssertEqualWithHash(utc, new DateTimeOffset(2020, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)));
        Assert.False(Eq.Equals(utc, utc.AddTicks(1)));
    }

    [Fact]
    public void Strings_chars_keywords_and_symbols_are_distinct_kinds()
    {
        Assert.False(Eq.Equals("a", 'a'));
        Assert.False(Eq.Equals(A, new Symbol("a")));
        Assert.False(Eq.Equals(":a", A));
        AssertEqualWithHash(new Symbol("x/y"), new Symbol("x/y"));
    }

    [Fact]
    public void Tagged_values_compare_tag_and_value_structurally()
    {
        AssertEqualWithHash(new TaggedValue(new Symbol("t"), new EdnVector(1L)), new TaggedValue(new Symbol("t"), new EdnVector(1L)));
        Assert.NotEqual(new TaggedValue(new Symbol("t"), 1L), new TaggedValue(new Symbol("u"), 1L));
        Assert.NotEqual(new TaggedValue(new Symbol("t"), 1L), new TaggedValue(new Symbol("t"), 2L));
    }

    [Fact]
    public void Map_lookup_uses_structural_equality()
    {
        var m = EdnMap.Of(new EdnVector(1L, 2L), "pair", 7L, "seven");
        Assert.Equal("pair", m[new EdnVector(1L, 2L)]);
        Assert.Equal("seven", m[7]);
        Assert.Equal("seven", m[new BigInteger(7)]);
        Assert.False(m.ContainsKey(7.0));
        Assert.False(m.TryGetValue(A, out _));
        Assert.Throws<KeyNotFoundException>(() => m[A]);
    }

    [Fact]
    public void Large_maps_and_sets_look_up_through_an_index()
    {
        var entries = Enumerable.Range(0, 100).Select(i => new KeyValuePair<object?, object?>(Keyword.Intern("k" + i), (long)i));
        var m = new EdnMap(entries);
        Assert.Equal(100, m.Count);
        Assert.Equal(42L, m[Keyword.Intern("k42")]);
        Assert.Equal(42, m.IndexOf(Keyword.Intern("k42")));
        var s = new EdnSet(Enumerable.Range(0, 100).Select(i => (object?)(long)i));
        Assert.True(s.Contains(99));
        Assert.False(s.Contains(100L));
    }

    [Fact]
    public void The_dictionary_view_of_a_map_leaves_out_a_nil_key()
    {
        var m = EdnMap.Of(null, 1L, A, 2L);
        Assert.Equal(2, m.Count);
        Assert.Equal(2, m.Entries.Count);
        IReadOnlyDictionary<object, object?> view = m;
        Assert.Single(view);
        var viewCount = view.Count;
        Assert.Equal(1, viewCount);
        Assert.Equal(new object[] { A }, m.Keys.ToArray());
        Assert.Equal(new object?[] { 2L }, m.Values.ToArray());
        Assert.True(m.TryGetValue(null, out var v));
        Assert.Equal(1L, v);
    }

    [Fact]
    public void A_map_constructor_rejects_duplicate_keys()
    {
        var e = Assert.Throws<ArgumentException>(() => EdnMap.Of(A, 1L, A, 2L));
        Assert.Contains(":a", e.Message);
        Assert.Throws<ArgumentException>(() => new EdnMap(new[]
        {
            new KeyValuePair<object?, object?>(1L, "x"),
            new KeyValuePair<object?, object?>(1, "y"),
        }));
        Assert.Throws<ArgumentException>(() => EdnMap.Of(A));
    }

    [Fact]
    public void A_map_can_be_created_from_a_typed_dictionary()
    {
        var m = EdnMap.Create(new Dictionary<string, int> { ["x"] = 1 });
        Assert.Equal(EdnMap.Of("x", 1L), m);
    }

    [Fact]
    public void A_set_constructor_drops_repeated_elements_keeping_the_first()
    {
        var s = new EdnSet(1L, 2L, 1, new BigInteger(2), 3L);
        Assert.Equal(3, s.Count);
        Assert.Equal(new object?[] { 1L, 2L, 3L }, s.ToArray());
        var big = new EdnSet(Enumerable.Range(0, 50).Select(i => (object?)(long)(i % 10)));
        Assert.Equal(10, big.Count);
    }

    [Fact]
    public void Collections_copy_their_input()
    {
        var items = new object?[] { 1L, 2L };
        var v = new EdnVector(items);
        var l = new EdnList(items);
        items[0] = 99L;
        Assert.Equal(1L, v[0]);
        Assert.Equal(1L, l[0]);
    }

    [Fact]
    public void Constructing_from_a_single_sequence_takes_its_elements()
    {
        Assert.Equal(new EdnVector(1L, 2L), new EdnVector(new EdnList(1L, 2L)));
        Assert.Single(new EdnVector(new object?[] { new EdnList(1L, 2L) }));
        EdnVector nested = [new EdnList(1L, 2L)];
        Assert.IsType<EdnList>(Assert.Single(nested));
    }

    [Fact]
    public void Collection_expressions_build_model_values()
    {
        EdnVector v = [1L, A];
        EdnList l = [1L];
        EdnSet s = [1L, 1L, 2L];
        Assert.Equal(new EdnVector(1L, A), v);
        Assert.Equal(new EdnList(1L), l);
        Assert.Equal(2, s.Count);
    }

    [Fact]
    public void A_tagged_value_requires_a_tag()
    {
        Assert.Throws<ArgumentNullException>(() => new TaggedValue(null!, 1L));
    }
}
