using Datsync.Core;

namespace Datsync.Core.Tests.Edn;

public class EdnValuesTests
{
    private static IReadOnlyList<object?> Read(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    [Fact]
    public void Forms_the_reader_yields_come_back_as_the_same_object()
    {
        var forms = Read("""[{:db/id "a" :x/s "s" :x/n 1 :x/b 2N :x/d 1.5 :x/m 1.5M :x/c \c :x/t true :x/nil nil}""" +
                         """ [:db/add 1 :x/at #inst "2020-01-02T03:04:05.000Z"] (:x #{1 2} #uuid "00000000-0000-0000-0000-000000000001" #my/tag [1])]""");
        Assert.Same(forms, EdnValues.AsImmutableForms(forms));
    }

    [Fact]
    public void A_clr_list_of_edn_forms_comes_back_as_an_equal_vector()
    {
        var form = Read("""[{:db/id "a" :x/s "s"}]""")[0];
        var forms = new List<object?> { form };
        var frozen = Assert.IsType<EdnVector>(EdnValues.AsImmutableForms(forms));
        forms.Clear(); // the caller's list may change: the vector does not
        Assert.Same(form, Assert.Single(frozen));
    }

    [Theory]
    [MemberData(nameof(NotReaderValues))]
    public void Forms_that_hold_other_values_are_not_taken(object? value) =>
        Assert.Null(EdnValues.AsImmutableForms(new EdnVector(new EdnVector(Keyword.Intern("db/add"), "x", Keyword.Intern("x/v"), value))));

    public static TheoryData<object?> NotReaderValues() => new()
    {
        1,                                          // an int: text turns it into a long
        1.5f,
        new List<object?> { 1L },                   // a CLR collection its owner may change
        new Dictionary<object, object?> { ["a"] = 1L },
        new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Unspecified),
        "half \ud800 a character",                  // the reader takes whole characters only
        new object(),
    };

    [Fact]
    public void Forms_nested_deeper_than_the_reader_takes_are_not_taken()
    {
        object? nested = 1L;
        for (var i = 0; i < CoreLimits.Current.MaxEdnNestingDepth + 1; i++) nested = new EdnVector(new object?[] { nested });
        Assert.Null(EdnValues.AsImmutableForms(new EdnVector(new object?[] { nested })));
        Assert.NotNull(EdnValues.AsImmutableForms(Read("[[[1]]]")));
    }
}
