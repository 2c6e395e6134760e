using System.Globalization;
using System.Numerics;

namespace Datsync.Core.Tests.Edn;

public class EdnReaderScalarTests
{
    private static object? R(string text) => EdnReader.Read(text);

    private static EdnReadException Fails(string text) => Assert.Throws<EdnReadException>(() => EdnReader.Read(text));

    [Fact]
    public void Nil_true_and_false_read_as_null_and_booleans()
    {
        Assert.Null(R("nil"));
        Assert.Equal(true, R("true"));
        Assert.Equal(false, R("false"));
    }

    [Theory]
    [InlineData("nil?")]
    [InlineData("truex")]
    [InlineData("falsey")]
    public void Names_that_only_start_like_nil_or_booleans_are_symbols(string text)
    {
        Assert.Equal(new Symbol(text), R(text));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("-7", -7L)]
    [InlineData("+7", 7L)]
    [InlineData("-0", 0L)]
    [InlineData("1000000", 1000000L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Integers_read_as_long(string text, long expected)
    {
        var value = R(text);
        Assert.IsType<long>(value);
        Assert.Equal(expected, (long)value!);
    }

    [Fact]
    public void Integers_beyond_the_range_of_long_read_as_BigInteger()
    {
        Assert.Equal(BigInteger.Parse("9223372036854775808", CultureInfo.InvariantCulture), Assert.IsType<BigInteger>(R("9223372036854775808")));
        Assert.Equal(BigInteger.Parse("-9223372036854775809", CultureInfo.InvariantCulture), Assert.IsType<BigInteger>(R("-9223372036854775809")));
        Assert.Equal(BigInteger.Pow(10, 30), Assert.IsType<BigInteger>(R("1000000000000000000000000000000")));
    }

    [Fact]
    public void The_N_suffix_makes_a_BigInteger_even_when_small()
    {
        Assert.Equal(new BigInteger(12), Assert.IsType<BigInteger>(R("12N")));
        Assert.Equal(new BigInteger(-3), Assert.IsType<BigInteger>(R("-3N")));
        Assert.Equal(BigInteger.Zero, Assert.IsType<BigInteger>(R("0N")));
    }

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-2.25", -2.25)]
    [InlineData("+0.5", 0.5)]
    [InlineData("3e2", 300.0)]
    [InlineData("-2.5e3", -2500.0)]
    [InlineData("1E-2", 0.01)]
    [InlineData("1.5E+3", 1500.0)]
    [InlineData("0.0", 0.0)]
    [InlineData("1.", 1.0)]
    public void Floats_read_as_double(string text, double expected)
    {
        Assert.Equal(expected, Assert.IsType<double>(R(text)));
    }

    [Fact]
    public void Minus_zero_keeps_its_sign()
    {
        Assert.True(double.IsNegative(Assert.IsType<double>(R("-0.0"))));
    }

    [Fact]
    public void Symbolic_values_read_as_NaN_and_infinities()
    {
        Assert.True(double.IsNaN(Assert.IsType<double>(R("##NaN"))));
        Assert.Equal(double.PositiveInfinity, R("##Inf"));
        Assert.Equal(double.NegativeInfinity, R("##-Inf"));
        EdnAssert.Equal(new EdnVector(double.NegativeInfinity, 1L), R("[##-Inf 1]"));
    }

    [Fact]
    public void Unknown_symbolic_values_are_rejected()
    {
        Assert.Contains("##Foo", Fails("##Foo").Message);
    }

    [Fact]
    public void The_M_suffix_makes_a_decimal_that_keeps_its_scale()
    {
        Assert.Equal(1.50m, Assert.IsType<decimal>(R("1.50M")));
        Assert.Equal("1.50", ((decimal)R("1.50M")!).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(12m, Assert.IsType<decimal>(R("12M")));
        Assert.Equal(-0.001m, Assert.IsType<decimal>(R("-1e-3M")));
        Assert.Equal(decimal.MaxValue, R("79228162514264337593543950335M"));
    }

    [Theory]
    [InlineData("1e29M")]
    [InlineData("79228162514264337593543950336M")]
    [InlineData("-1e30M")]
    public void Decimals_outside_the_range_of_System_Decimal_are_rejected(string text)
    {
        var e = Fails(text);
        Assert.Contains("outside the range of System.Decimal", e.Message);
    }

    [Fact]
    public void Decimals_too_small_for_System_Decimal_are_rejected_rather_than_read_as_zero()
    {
        Assert.Contains("too small", Fails("1e-40M").Message);
        Assert.Equal(0m, R("0.000M"));
    }

    [Theory]
    [InlineData("012", "only 0 itself")]
    [InlineData("-01", "only 0 itself")]
    [InlineData("1/2", "ratios")]
    [InlineData("1.5N", "integers only")]
    [InlineData("0x1F", "hexadecimal")]
    [InlineData("1e", "exponent")]
    [InlineData("12abc", "invalid number")]
    [InlineData("1.2.3", "invalid number")]
    public void Malformed_numbers_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message);
    }

    [Fact]
    public void Strings_read_with_every_escape()
    {
        Assert.Equal("a\"b\\c\nd\te\rf\bg\fh", R("\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\""));
        Assert.Equal("A\u00e9\u4e2d", R("\"\\u0041\\u00E9\\u4e2d\""));
        Assert.Equal(string.Empty, R("\"\""));
    }

    [Fact]
    public void Strings_may_span_lines_and_hold_any_unicode()
    {
        Assert.Equal("line1\nline2", R("\"line1\nline2\""));
        Assert.Equal("h\u00e9llo \U0001F600", R("\"h\u00e9llo \U0001F600\""));
    }

    [Theory]
    [InlineData("\"\\q\"", "unsupported escape sequence \\q")]
    [InlineData("\"\\u12\"", "four hexadecimal digits")]
    [InlineData("\"\\u12G4\"", "four hexadecimal digits")]
    public void Bad_string_escapes_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message);
    }

    [Theory]
    [InlineData("\\a", 'a')]
    [InlineData("\\Z", 'Z')]
    [InlineData("\\7", '7')]
    [InlineData("\\newline", '\n')]
    [InlineData("\\space", ' ')]
    [InlineData("\\tab", '\t')]
    [InlineData("\\return", '\r')]
    [InlineData("\\backspace", '\b')]
    [InlineData("\\formfeed", '\f')]
    [InlineData("\\u00e9", '\u00e9')]
    [InlineData("\\u0041", 'A')]
    [InlineData("\\\\", '\\')]
    [InlineData("\\(", '(')]
    [InlineData("\\\"", '"')]
    [InlineData("\\,", ',')]
    [InlineData("\\u", 'u')]
    [InlineData("\\n", 'n')]
    public void Characters_read_as_char(string text, char expected)
    {
        Assert.Equal(expected, Assert.IsType<char>(R(text)));
    }

    [Fact]
    public void Characters_end_at_delimiters()
    {
        EdnAssert.Equal(new EdnVector('a', 'b', '(', ')'), R("[\\a \\b\\( \\)]"));
    }

    [Theory]
    [InlineData("\\foo")]
    [InlineData("\\u12")]
    [InlineData("\\ab")]
    [InlineData("\\")]
    [InlineData("\\ ")]
    public void Malformed_characters_are_rejected(string text)
    {
        Fails(text);
    }

    [Fact]
    public void Keywords_read_as_interned_Keyword()
    {
        Assert.Same(Keyword.Intern("a"), R(":a"));
        var k = Assert.IsType<Keyword>(R(":db/ident"));
        Assert.Equal("db", k.Namespace);
        Assert.Equal("ident", k.Name);
        Assert.Same(Keyword.Intern("db", "ident"), k);
        Assert.Same(Keyword.Intern("my.ns/valid?"), R(":my.ns/valid?"));
        Assert.Same(Keyword.Intern("nil"), R(":nil"));
    }

    [Theory]
    [InlineData(":")]
    [InlineData("::a")]
    [InlineData(":a/")]
    [InlineData(":/a")]
    [InlineData(":a/b/c")]
    public void Malformed_keywords_are_rejected(string text)
    {
        Fails(text);
    }

    [Theory]
    [InlineData("foo", null, "foo")]
    [InlineData("my.ns/sym", "my.ns", "sym")]
    [InlineData("/", null, "/")]
    [InlineData("+", null, "+")]
    [InlineData("-", null, "-")]
    [InlineData("->x", null, "->x")]
    [InlineData("a#", null, "a#")]
    [InlineData("<=>", null, "<=>")]
    [InlineData("*earmuffs*", null, "*earmuffs*")]
    [InlineData("-a", null, "-a")]
    [InlineData("clojure.core//", "clojure.core", "/")]
    public void Symbols_read_as_Symbol(string text, string? ns, string name)
    {
        var s = Assert.IsType<Symbol>(R(text));
        Assert.Equal(text, s.FullName);
        Assert.Equal(ns, s.Namespace);
        Assert.Equal(name, s.Name);
    }

    [Theory]
    [InlineData(".5")]
    [InlineData("a/")]
    [InlineData("a/b/c")]
    [InlineData("@x")]
    [InlineData("^x")]
    [InlineData("'x")]
    [InlineData("~x")]
    public void Malformed_symbols_are_rejected(string text)
    {
        Fails(text);
    }

    [Fact]
    public void Inst_reads_as_a_utc_DateTime()
    {
        var t = Assert.IsType<DateTime>(R("#inst \"1985-04-12T23:20:50.52Z\""));
        Assert.Equal(DateTimeKind.Utc, t.Kind);
        Assert.Equal(new DateTime(1985, 4, 12, 23, 20, 50, 520, DateTimeKind.Utc), t);
    }

    [Fact]
    public void Inst_offsets_are_converted_to_utc()
    {
        var t = Assert.IsType<DateTime>(R("#inst \"1985-04-12T19:20:50.52-04:00\""));
        Assert.Equal(DateTimeKind.Utc, t.Kind);
        Assert.Equal(new DateTime(1985, 4, 12, 23, 20, 50, 520, DateTimeKind.Utc).Ticks, t.Ticks);
        Assert.Equal(new DateTime(2019, 12, 31, 22, 30, 0, DateTimeKind.Utc), R("#inst \"2020-01-01T00:00:00+01:30\""));
    }

    [Fact]
    public void Inst_keeps_fractional_seconds_to_100_nanoseconds()
    {
        var midnight = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(midnight.AddTicks(1234567), R("#inst \"2020-01-01T00:00:00.1234567Z\""));
        Assert.Equal(midnight.AddTicks(1234567), R("#inst \"2020-01-01T00:00:00.123456789Z\""));
        Assert.Equal(midnight.AddTicks(5000000), R("#inst \"2020-01-01T00:00:00.5Z\""));
    }

    [Fact]
    public void Inst_accepts_truncated_timestamps_as_utc()
    {
        Assert.Equal(new DateTime(1985, 1, 1, 0, 0, 0, DateTimeKind.Utc), R("#inst \"1985\""));
        Assert.Equal(new DateTime(1985, 4, 12, 0, 0, 0, DateTimeKind.Utc), R("#inst \"1985-04-12\""));
        Assert.Equal(new DateTime(1985, 4, 12, 23, 20, 0, DateTimeKind.Utc), R("#inst \"1985-04-12T23:20\""));
    }

    [Theory]
    [InlineData("#inst \"2020-02-30T00:00:00Z\"")]
    [InlineData("#inst \"2020-13-01T00:00:00Z\"")]
    [InlineData("#inst \"2020-01-01T24:00:00Z\"")]
    [InlineData("#inst \"2020-01-01T00:00:00Zjunk\"")]
    [InlineData("#inst \"2020-01-01 00:00:00Z\"")]
    [InlineData("#inst \"yesterday\"")]
    [InlineData("#inst 2020")]
    [InlineData("#inst \"0001-01-01T00:00:00+01:00\"")]
    public void Invalid_insts_are_rejected(string text)
    {
        Fails(text);
    }

    [Fact]
    public void Uuid_reads_as_Guid()
    {
        Assert.Equal(new Guid("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), R("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\""));
        Assert.Equal(new Guid("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), R("#uuid \"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\""));
    }

    [Theory]
    [InlineData("#uuid \"not-a-uuid\"")]
    [InlineData("#uuid \"f81d4fae7dec11d0a76500a0c91e6bf6\"")]
    [InlineData("#uuid 1")]
    public void Invalid_uuids_are_rejected(string text)
    {
        Fails(text);
    }

    [Fact]
    public void Uri_reads_as_System_Uri()
    {
        var u = Assert.IsType<Uri>(R("#uri \"https://example.com/a?b=c\""));
        Assert.Equal("https://example.com/a?b=c", u.OriginalString);
        Assert.Equal("example.com", u.Host);
    }
}
