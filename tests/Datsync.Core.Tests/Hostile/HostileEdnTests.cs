using System.Collections;
using System.Text;
using Datsync.Core;

namespace Datsync.Core.Tests.Hostile;

/// <summary>The reader and the printer against deep, huge and malformed input: a clear error, never a crash.</summary>
public class HostileEdnTests
{
    private const int BigStack = 256 * 1024 * 1024;

    private static string Vectors(int depth) => new string('[', depth) + new string(']', depth);

    private static EdnVector DeepVector(int depth)
    {
        var v = EdnVector.Empty;
        for (var i = 1; i < depth; i++) v = new EdnVector(new object?[] { v });
        return v;
    }

    [Fact]
    public void Collections_nested_past_the_limit_are_rejected_with_line_and_column()
    {
        var max = CoreLimits.Default.MaxEdnNestingDepth;
        var e = SmallStack.Run(() => { EdnReader.Read(Vectors(max + 1)); }, BigStack);
        var ex = Assert.IsType<EdnReadException>(e);
        Assert.Contains(max.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), ex.Reason);
        Assert.Equal(1, ex.Line);
        Assert.Equal(max + 1, ex.Column);
    }

    [Fact]
    public void Forms_nested_to_the_limit_are_read_even_on_a_small_stack()
    {
        var max = CoreLimits.Default.MaxEdnNestingDepth;
        var value = SmallStack.Run(() => EdnReader.Read(Vectors(max)));
        var depth = 1;
        while (value is EdnVector { Count: 1 } v) { value = v[0]; depth++; }
        Assert.Equal(max, depth);

        // maps, then a tag and a discard: each counts one level
        var maps = string.Concat(Enumerable.Repeat("{:a ", max - 2)) + "#t #_ 0 1" + new string('}', max - 2);
        var map = SmallStack.Run(() => EdnReader.Read(maps));
        for (var i = 0; i < max - 2; i++) map = Assert.IsType<EdnMap>(map)[Keyword.Intern("a")];
        Assert.Equal(new TaggedValue(new Symbol("t"), 1L), map);
    }

    [Fact]
    public void The_nesting_limit_of_the_reader_is_a_setting()
    {
        var limits = new CoreLimits { MaxEdnNestingDepth = 3 };
        Assert.NotNull(new EdnParser("[[[1]]]", limits).ReadSingle());
        var ex = Assert.Throws<EdnReadException>(() => new EdnParser("[{:a #{[1]}}]", limits).ReadSingle());
        Assert.Equal(8, ex.Column);
        Assert.Contains("3", ex.Reason);
        Assert.Throws<EdnReadException>(() => new EdnParser("[[#t [1]]]", limits).ReadSingle());
        Assert.Throws<EdnReadException>(() => new EdnParser("[[#_ [1] 2]]", limits).ReadSingle());
    }

    [Fact]
    public void Printing_deeply_nested_values_never_overflows()
    {
        const int depth = 100_000;
        var text = SmallStack.Run(() => EdnPrinter.Print(DeepVector(depth)));
        Assert.Equal(Vectors(depth), text);

        object? list = new List<object?>();
        for (var i = 1; i < 20_000; i++) list = new List<object?> { list, 1L };
        var listText = SmallStack.Run(() => EdnPrinter.Print(list));
        Assert.StartsWith(new string('[', 19_999) + "[] 1] 1]", listText);
        Assert.EndsWith(" 1] 1]", listText);
        Assert.Equal(2 + (19_999 * 4), listText.Length);

        object? map = EdnMap.Empty;
        for (var i = 1; i < 20_000; i++) map = EdnMap.Of(Keyword.Intern("a"), map);
        var mapText = SmallStack.Run(() => EdnPrinter.Print(map));
        Assert.StartsWith("{:a {:a ", mapText);
        Assert.Contains(":a {:a {}}}", mapText);
        Assert.EndsWith("}}}", mapText);

        object? tagged = 1L;
        for (var i = 0; i < 20_000; i++) tagged = new TaggedValue(new Symbol("t"), tagged);
        var taggedText = SmallStack.Run(() => EdnPrinter.Print(tagged));
        Assert.Equal(string.Concat(Enumerable.Repeat("#t ", 20_000)) + "1", taggedText);

        var sw = new StringWriter();
        SmallStack.Run(() => { EdnPrinter.Print(DeepVector(depth), sw); return 0; });
        Assert.Equal(Vectors(depth), sw.ToString());
    }

    [Fact]
    public void Printed_text_of_nested_values_is_unchanged()
    {
        var value = EdnReader.Read("""[1 (2 "x") {:a [3 #{4}] nil #t {:b 5}} #inst "2024-01-02T03:04:05.000Z" []]""");
        Assert.Equal("""[1 (2 "x") {:a [3 #{4}] nil #t {:b 5}} #inst "2024-01-02T03:04:05.000Z" []]""", EdnPrinter.Print(value));
        Assert.Equal("{:a [1 2]}", EdnPrinter.Print(new Dictionary<object, object?> { [Keyword.Intern("a")] = new List<object?> { 1L, 2L } }));
        Assert.Equal("[:k 1]", EdnPrinter.Print(new KeyValuePair<Keyword, long>(Keyword.Intern("k"), 1L)));
    }

    [Fact]
    public void An_error_shows_a_bounded_prefix_of_a_huge_value_and_its_size()
    {
        var max = CoreLimits.Default.MaxErrorFormLength;
        var huge = new string('x', 10_000_000);
        var shown = EdnPrinter.Describe(huge);
        Assert.StartsWith("\"xxxx", shown);
        Assert.EndsWith("… (10,000,000 characters)", shown);
        Assert.True(shown.Length <= max + 40, shown);

        var many = new EdnVector(Enumerable.Range(0, 1_000_000).Select(i => (object?)(long)i));
        var manyShown = EdnPrinter.Describe(many);
        Assert.StartsWith("[0 1 2 3", manyShown);
        Assert.EndsWith("… (1,000,000 elements)", manyShown);
        Assert.True(manyShown.Length <= max + 40, manyShown);

        Assert.Equal("[1 \"a\" :b]", EdnPrinter.Describe(EdnReader.Read("[1 \"a\" :b]")));
        // the cut never splits a character
        Assert.Equal(-1, Utf8Strict.IndexOfUnpairedSurrogate(EdnPrinter.Describe(string.Concat(Enumerable.Repeat("😀", 1_000)))));
        Assert.Equal(-1, Utf8Strict.IndexOfUnpairedSurrogate(EdnPrinter.Describe(new Symbol(string.Concat(Enumerable.Repeat("😀", 1_000))))));
        Assert.Equal(-1, Utf8Strict.IndexOfUnpairedSurrogate(EdnPrinter.DescribeText(string.Concat(Enumerable.Repeat("😀", 1_000)))));
        Assert.Equal(new string('y', max), EdnPrinter.Describe(new Symbol(new string('y', max))));
    }

    [Fact]
    public void Printing_for_an_error_stops_past_the_bound()
    {
        var shown = EdnPrinter.Describe(new Endless());
        Assert.StartsWith("[1 1 1", shown);
        Assert.Contains("…", shown);
    }

    /// <summary>A sequence that fails when read far past any error bound.</summary>
    private sealed class Endless : IEnumerable
    {
        public IEnumerator GetEnumerator()
        {
            for (var i = 0; i < 100_000; i++) yield return 1L;
            throw new InvalidOperationException("read the whole value");
        }
    }

    [Fact]
    public void A_reader_error_names_a_huge_token_by_a_prefix_and_its_size()
    {
        var token = "1" + new string('x', 1_000_000);
        var ex = Assert.Throws<EdnReadException>(() => EdnReader.Read(token));
        Assert.Contains("(1,000,001 characters)", ex.Reason);
        Assert.True(ex.Reason.Length < 400, ex.Reason);
    }

    [Fact]
    public void Strict_UTF8_decoding_rejects_invalid_bytes_with_line_and_column()
    {
        var good = Encoding.UTF8.GetBytes("[\"añb\" \"😀\"]");
        Assert.Equal("[\"añb\" \"😀\"]", Utf8Strict.Decode(good));

        var bad = Encoding.UTF8.GetBytes("[\"añ\"\n \"b?c\"]");
        bad[Array.IndexOf(bad, (byte)'?')] = 0xFF;
        var ex = Assert.Throws<EdnReadException>(() => Utf8Strict.Decode(bad));
        Assert.Equal(2, ex.Line);
        Assert.Equal(4, ex.Column);
        Assert.Contains("UTF-8", ex.Reason);

        var truncated = new byte[] { (byte)'"', 0xE2, 0x82 };
        Assert.Throws<EdnReadException>(() => Utf8Strict.Decode(truncated));
        var encodedSurrogate = new byte[] { 0xED, 0xA0, 0x80 };
        Assert.Throws<EdnReadException>(() => Utf8Strict.Decode(encodedSurrogate));
    }

    [Theory]
    [InlineData("\"a\\uD800b\"")]
    [InlineData("\"a\\uDC00\"")]
    [InlineData("\"\\uDE00\\uD83D\"")]
    public void A_string_with_an_unpaired_surrogate_is_rejected(string text)
    {
        var ex = Assert.Throws<EdnReadException>(() => EdnReader.Read(text));
        Assert.Contains("surrogate", ex.Reason);
    }

    [Fact]
    public void A_string_with_a_raw_unpaired_surrogate_is_rejected()
    {
        var ex = Assert.Throws<EdnReadException>(() => EdnReader.Read("[\"ab" + '\uD800' + "c\"]"));
        Assert.Contains("U+D800", ex.Reason);
        Assert.Equal(5, ex.Column);
    }

    [Theory]
    [InlineData(":ab", 1)]
    [InlineData("ab", 0)]
    [InlineData("#ab 1", 1)]
    public void A_keyword_symbol_or_tag_with_an_unpaired_surrogate_is_rejected(string text, int at)
    {
        var withSurrogate = text.Insert(at + 1, "\uDC00");
        var ex = Assert.Throws<EdnReadException>(() => EdnReader.Read(withSurrogate));
        Assert.Contains("surrogate", ex.Reason);
        Assert.Equal(at + 2, ex.Column);
        Assert.NotNull(EdnReader.Read(text.Insert(at + 1, "😀")));
    }

    [Fact]
    public void A_string_with_a_surrogate_pair_is_read()
    {
        Assert.Equal("😀", EdnReader.Read("\"\\uD83D\\uDE00\""));
        Assert.Equal("a😀", EdnReader.Read("\"a😀\""));
    }
}

/// <summary>Hashing and comparing values nested past the stack: an exception, never a crash of the process.</summary>
public class HostileEdnEqualityTests
{
    private static EdnVector DeepVector(int depth, object? bottom)
    {
        var v = new EdnVector(new object?[] { bottom });
        for (var i = 1; i < depth; i++) v = new EdnVector(new object?[] { v });
        return v;
    }

    [Fact]
    public void Hashing_a_value_nested_past_the_stack_throws_instead_of_crashing()
    {
        var deep = DeepVector(1_000_000, 1L);
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { deep.GetHashCode(); }));
        var deepMap = EdnMap.Of(Keyword.Intern("a"), 1L);
        for (var i = 0; i < 1_000_000; i++) deepMap = EdnMap.Of(Keyword.Intern("a"), deepMap);
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { deepMap.GetHashCode(); }));
        object? tagged = 1L;
        for (var i = 0; i < 1_000_000; i++) tagged = new TaggedValue(new Symbol("t"), tagged);
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { tagged.GetHashCode(); }));
    }

    [Fact]
    public void Comparing_values_nested_past_the_stack_throws_instead_of_crashing()
    {
        var a = DeepVector(1_000_000, 1L);
        var b = DeepVector(1_000_000, 1L);
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { EdnEquality.Instance.Equals(a, b); }));
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { _ = new EdnSet(a, b); }));
    }
}
