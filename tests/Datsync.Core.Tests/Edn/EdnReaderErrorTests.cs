namespace Datsync.Core.Tests.Edn;

public class EdnReaderErrorTests
{
    private static EdnReadException Fails(string text) => Assert.Throws<EdnReadException>(() => EdnReader.Read(text));

    [Fact]
    public void An_unterminated_string_is_reported_at_its_opening_quote()
    {
        // line 3 is `  :n  "abc`: two spaces, `:n` in columns 3-4, two spaces, the quote in column 7.
        var e = Fails("{:name \"x\"\n  :tags [:a :b]\n  :n  \"abc");
        Assert.Equal(3, e.Line);
        Assert.Equal(7, e.Column);
        Assert.Equal("EDN read error at line 3, column 7: unterminated string", e.Message);
        Assert.Equal("unterminated string", e.Reason);
    }

    [Fact]
    public void Read_errors_are_FormatExceptions()
    {
        Assert.IsAssignableFrom<FormatException>(Fails("\"open"));
    }

    [Fact]
    public void A_mismatched_closing_delimiter_is_reported_where_it_appears()
    {
        // line 2 is ` (3 4]`: the list opens in column 2 and `]` is in column 6.
        var e = Fails("[1 2\n (3 4]\n");
        Assert.Equal(2, e.Line);
        Assert.Equal(6, e.Column);
        Assert.Equal("unexpected ']': expected ')' to close the list opened at line 2, column 2", e.Reason);
    }

    [Fact]
    public void An_unexpected_character_is_reported_at_that_character()
    {
        // line 2 is `  3 @x]`: `@` is in column 5.
        var e = Fails("[1 2\n  3 @x]");
        Assert.Equal((2, 5), (e.Line, e.Column));
        Assert.Equal("unexpected character '@'", e.Reason);
    }

    [Fact]
    public void A_duplicate_key_is_reported_at_the_repeated_key()
    {
        // line 3 is ` :a 3}`: the repeated `:a` is in column 2.
        var e = Fails("{:a 1\n :b 2\n :a 3}");
        Assert.Equal((3, 2), (e.Line, e.Column));
        Assert.Equal("duplicate map key :a", e.Reason);
    }

    [Fact]
    public void A_duplicate_set_element_is_reported_at_the_repeated_element()
    {
        // `#{1 2 1}`: the second `1` is in column 7.
        var e = Fails("#{1 2 1}");
        Assert.Equal((1, 7), (e.Line, e.Column));
    }

    [Fact]
    public void Carriage_return_line_feed_counts_as_one_line_break()
    {
        // line 2 is `  "x`: the quote is in column 3.
        var e = Fails("[\r\n  \"x");
        Assert.Equal((2, 3), (e.Line, e.Column));
    }

    [Fact]
    public void Trailing_content_is_reported_where_it_starts()
    {
        // line 2 is `  :extra`: it starts in column 3.
        var e = Fails("[1]\n  :extra");
        Assert.Equal((2, 3), (e.Line, e.Column));
    }

    [Fact]
    public void A_bad_escape_is_reported_at_its_backslash()
    {
        // `["ab\q"]`: the backslash is in column 5.
        var e = Fails("[\"ab\\q\"]");
        Assert.Equal((1, 5), (e.Line, e.Column));
    }

    [Theory]
    [InlineData("(1 2", "unterminated list", 1, 1)]
    [InlineData("[1\n[2 3]", "unterminated vector", 1, 1)]
    [InlineData("{:a 1", "unterminated map", 1, 1)]
    [InlineData("[0 #{1", "unterminated set", 1, 4)]
    [InlineData("[\"abc", "unterminated string", 1, 2)]
    [InlineData("\"abc\\", "unterminated string", 1, 1)]
    [InlineData("[1 {:a [2]\n", "unterminated map", 1, 4)]
    public void Unterminated_forms_are_reported_at_their_opening(string text, string reason, int line, int column)
    {
        var e = Fails(text);
        Assert.Equal(reason, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Theory]
    [InlineData(")", 1, 1)]
    [InlineData("1 ]", 1, 3)]
    [InlineData("\n  }", 2, 3)]
    public void An_unmatched_closing_delimiter_is_reported(string text, int line, int column)
    {
        var e = Assert.Throws<EdnReadException>(() => EdnReader.ReadAll(text));
        Assert.StartsWith("unmatched", e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void An_error_inside_a_discarded_form_is_still_an_error()
    {
        var e = Fails("[1 #_ {:a} 2]");
        Assert.Contains("even number of forms", e.Reason);
        Assert.Equal((1, 7), (e.Line, e.Column));
    }

    [Fact]
    public void An_invalid_tagged_value_is_reported_at_the_tag()
    {
        // line 2 is ` #uuid "nope"]`: the tag starts in column 2.
        var e = Fails("[1\n #uuid \"nope\"]");
        Assert.Equal((2, 2), (e.Line, e.Column));
        Assert.Contains("invalid #uuid", e.Reason);
    }
}
