using System.Collections;
using System.Collections.ObjectModel;
using System.Numerics;

namespace Datsync.Core.Tests.Edn;

public class EdnPrinterTests
{
    private static string P(object? value) => EdnPrinter.Print(value);

    [Fact]
    public void Nil_and_booleans_print_as_their_names()
    {
        Assert.Equal("nil", P(null));
        Assert.Equal("true", P(true));
        Assert.Equal("false", P(false));
    }

    [Fact]
    public void Integers_of_every_clr_type_print_as_plain_integers()
    {
        Assert.Equal("42", P(42L));
        Assert.Equal("-9223372036854775808", P(long.MinValue));
        Assert.Equal("-7", P(-7));
        Assert.Equal("3", P((short)3));
        Assert.Equal("255", P((byte)255));
        Assert.Equal("-5", P((sbyte)-5));
        Assert.Equal("65535", P(ushort.MaxValue));
        Assert.Equal("4294967295", P(uint.MaxValue));
        Assert.Equal("18446744073709551615", P(ulong.MaxValue));
    }

    [Fact]
    public void A_ulong_beyond_long_reads_back_as_an_equal_BigInteger()
    {
        var back = EdnReader.Read(P(ulong.MaxValue));
        Assert.Equal(new BigInteger(ulong.MaxValue), Assert.IsType<BigInteger>(back));
        Assert.True(EdnEquality.Instance.Equals(ulong.MaxValue, back));
    }

    [Fact]
    public void BigIntegers_print_with_the_N_suffix()
    {
        Assert.Equal("12N", P(new BigInteger(12)));
        Assert.Equal("-100000000000000000000N", P(BigInteger.Pow(10, 20) * -1));
    }

    [Fact]
    public void Decimals_print_with_the_M_suffix_and_their_scale()
    {
        Assert.Equal("1.5M", P(1.5m));
        Assert.Equal("1.50M", P(1.50m));
        Assert.Equal("12M", P(12m));
        Assert.Equal("-0.001M", P(-0.001m));
    }

    [Fact]
    public void Doubles_always_print_with_a_point_or_an_exponent()
    {
        Assert.Equal("1.0", P(1.0));
        Assert.Equal("-3.0", P(-3.0));
        Assert.Equal("0.1", P(0.1));
        Assert.Equal("-0.0", P(-0.0));
        Assert.Equal("1E+300", P(1e300));
        Assert.Equal("1.5E-07", P(1.5e-7));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0 / 3.0)]
    [InlineData(double.Epsilon)]
    [InlineData(double.MaxValue)]
    [InlineData(-123456789.123456789)]
    [InlineData(2.2250738585072014E-308)]
    [InlineData(1e16)]
    public void Doubles_round_trip_exactly(double d)
    {
        Assert.Equal(d, Assert.IsType<double>(EdnReader.Read(P(d))));
    }

    [Fact]
    public void NaN_and_infinities_print_as_symbolic_values()
    {
        Assert.Equal("##NaN", P(double.NaN));
        Assert.Equal("##Inf", P(double.PositiveInfinity));
        Assert.Equal("##-Inf", P(double.NegativeInfinity));
        Assert.Equal("##NaN", P(float.NaN));
        Assert.Equal("##-Inf", P(float.NegativeInfinity));
    }

    [Fact]
    public void Floats_print_their_shortest_text_as_a_double()
    {
        Assert.Equal("0.1", P(0.1f));
        Assert.Equal("2.0", P(2f));
        Assert.Equal(0.1, EdnReader.Read(P(0.1f)));
    }

    [Fact]
    public void Characters_print_with_a_backslash_and_names_for_whitespace()
    {
        Assert.Equal("\\a", P('a'));
        Assert.Equal("\\newline", P('\n'));
        Assert.Equal("\\space", P(' '));
        Assert.Equal("\\tab", P('\t'));
        Assert.Equal("\\return", P('\r'));
        Assert.Equal("\\backspace", P('\b'));
        Assert.Equal("\\formfeed", P('\f'));
        Assert.Equal("\\u0001", P('\u0001'));
        Assert.Equal("\\u00A0", P('\u00A0'));
        Assert.Equal("\\uD83D", P('\uD83D'));
        Assert.Equal("\\\u00e9", P('\u00e9'));
        Assert.Equal("\\(", P('('));
        Assert.Equal("\\\\", P('\\'));
    }

    [Fact]
    public void Strings_print_quoted_with_escapes()
    {
        Assert.Equal("\"plain\"", P("plain"));
        Assert.Equal("\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\"", P("a\"b\\c\nd\te\rf\bg\fh"));
        Assert.Equal("\"\"", P(string.Empty));
    }

    [Fact]
    public void Strings_print_non_ascii_as_is_and_control_characters_as_unicode_escapes()
    {
        Assert.Equal("\"h\u00e9llo \u4e2d \U0001F600\"", P("h\u00e9llo \u4e2d \U0001F600"));
        Assert.Equal("\"a\\u0001b\\u007F\\u0085\"", P("a\u0001b\u007f\u0085"));
    }

    [Fact]
    public void Lone_surrogates_in_strings_print_as_unicode_escapes()
    {
        Assert.Equal("\"x\\uD800y\\uDC00\"", P("x\uD800y\uDC00"));
        // the reader does not take them back: a string holds whole characters only
        Assert.Throws<EdnReadException>(() => EdnReader.Read(P("x\uD800y\uDC00")));
    }

    [Fact]
    public void Keywords_and_symbols_print_by_name()
    {
        Assert.Equal(":db/ident", P(Keyword.Intern("db", "ident")));
        Assert.Equal(":a", P(Keyword.Intern("a")));
        Assert.Equal("foo/bar", P(new Symbol("foo/bar")));
    }

    [Fact]
    public void Instants_print_in_utc_with_at_least_milliseconds()
    {
        Assert.Equal("#inst \"2020-01-02T03:04:05.000Z\"", P(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc)));
        Assert.Equal("#inst \"2020-01-02T03:04:05.120Z\"", P(new DateTime(2020, 1, 2, 3, 4, 5, 120, DateTimeKind.Utc)));
        Assert.Equal("#inst \"2020-01-02T03:04:05.1234567Z\"", P(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567)));
        Assert.Equal("#inst \"2020-01-02T03:04:05.00001Z\"", P(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(100)));
        Assert.Equal("#inst \"0001-01-01T00:00:00.000Z\"", P(DateTime.MinValue));
    }

    [Fact]
    public void DateTimeOffsets_print_as_utc_instants()
    {
        var t = new DateTimeOffset(2020, 1, 1, 1, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal("#inst \"2019-12-31T23:30:00.000Z\"", P(t));
        Assert.True(EdnEquality.Instance.Equals(t, EdnReader.Read(P(t))));
    }

    [Fact]
    public void Local_DateTimes_are_converted_to_utc()
    {
        var local = new DateTime(2020, 6, 1, 12, 0, 0, DateTimeKind.Local);
        var back = Assert.IsType<DateTime>(EdnReader.Read(P(local)));
        Assert.Equal(local.ToUniversalTime(), back);
        Assert.Equal(DateTimeKind.Utc, back.Kind);
    }

    [Fact]
    public void Uuids_print_lowercase()
    {
        var g = new Guid("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6");
        Assert.Equal("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"", P(g));
    }

    [Fact]
    public void Uris_print_as_uri_tagged_strings_and_read_back()
    {
        var u = new Uri("https://example.com/a?q=\"x\"");
        Assert.Equal("#uri \"https://example.com/a?q=\\\"x\\\"\"", P(u));
        Assert.Equal(u, EdnReader.Read(P(u)));
    }

    [Fact]
    public void Collections_print_with_their_delimiters()
    {
        var a = Keyword.Intern("a");
        var b = Keyword.Intern("b");
        Assert.Equal("[1 :a \"s\"]", P(new EdnVector(1L, a, "s")));
        Assert.Equal("(1 2)", P(new EdnList(1L, 2L)));
        Assert.Equal("{:a 1 :b [2]}", P(EdnMap.Of(a, 1L, b, new EdnVector(2L))));
        Assert.Equal("#{1 2}", P(new EdnSet(1L, 2L)));
        Assert.Equal("[]", P(EdnVector.Empty));
        Assert.Equal("()", P(EdnList.Empty));
        Assert.Equal("{}", P(EdnMap.Empty));
        Assert.Equal("#{}", P(EdnSet.Empty));
        Assert.Equal("{nil nil}", P(EdnMap.Of(null, null)));
    }

    [Fact]
    public void Tagged_values_print_tag_then_value()
    {
        Assert.Equal("#my/tag [1 2]", P(new TaggedValue(new Symbol("my/tag"), new EdnVector(1L, 2L))));
    }

    [Fact]
    public void Model_types_ToString_is_their_edn_text()
    {
        Assert.Equal("[1 (2) {:a #{3}}]", new EdnVector(1L, new EdnList(2L), EdnMap.Of(Keyword.Intern("a"), new EdnSet(3L))).ToString());
        Assert.Equal("#t 1", new TaggedValue(new Symbol("t"), 1L).ToString());
    }

    [Fact]
    public void Plain_dotnet_dictionaries_print_as_maps()
    {
        Assert.Equal("{\"a\" 1 \"b\" 2}", P(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 }));
        Assert.Equal("{:x [1 2]}", P(new SortedDictionary<Keyword, int[]> { [Keyword.Intern("x")] = new[] { 1, 2 } }));
        Assert.Equal("{1 \"one\"}", P(new Hashtable { [1] = "one" }));
        Assert.Equal("{\"k\" true}", P(new OnlyReadOnlyDictionary()));
    }

    [Fact]
    public void Plain_dotnet_sequences_print_as_vectors()
    {
        Assert.Equal("[1 2 3]", P(new List<int> { 1, 2, 3 }));
        Assert.Equal("[\"a\" nil]", P(new object?[] { "a", null }));
        Assert.Equal("[[1 2] [3]]", P(new[] { new[] { 1L, 2L }, new[] { 3L } }));
        Assert.Equal("[0 1 2]", P(Enumerable.Range(0, 3)));
        Assert.Equal("[:a 1]", P(new KeyValuePair<Keyword, int>(Keyword.Intern("a"), 1)));
    }

    [Fact]
    public void Values_without_an_edn_form_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => P(new object()));
        Assert.Throws<ArgumentException>(() => P(new EdnVector(1L, TimeSpan.Zero)));
    }

    [Fact]
    public void Printing_to_a_TextWriter_writes_the_same_text_even_when_large()
    {
        var big = new EdnVector(Enumerable.Range(0, 5000).Select(i => (object?)EdnMap.Of(Keyword.Intern("i"), (long)i, Keyword.Intern("s"), new string('x', i % 50))));
        var writer = new StringWriter();
        EdnPrinter.Print(big, writer);
        Assert.Equal(P(big), writer.ToString());
        Assert.Equal(big, EdnReader.Read(writer.ToString()));

        var longString = new string('y', 100_000) + "\n";
        writer = new StringWriter();
        EdnPrinter.Print(longString, writer);
        Assert.Equal(longString, EdnReader.Read(writer.ToString()));
    }

    private sealed class OnlyReadOnlyDictionary : IReadOnlyDictionary<string, bool>
    {
        private readonly ReadOnlyDictionary<string, bool> _inner = new(new Dictionary<string, bool> { ["k"] = true });

        public bool this[string key] => _inner[key];

        public IEnumerable<string> Keys => _inner.Keys;

        public IEnumerable<bool> Values => _inner.Values;

        public int Count => _inner.Count;

        public bool ContainsKey(string key) => _inner.ContainsKey(key);

        public IEnumerator<KeyValuePair<string, bool>> GetEnumerator() => _inner.GetEnumerator();

        public bool TryGetValue(string key, out bool value) => _inner.TryGetValue(key, out value);

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
