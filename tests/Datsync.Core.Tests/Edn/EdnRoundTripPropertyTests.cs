using System.Numerics;
using CsCheck;

namespace Datsync.Core.Tests.Edn;

public class EdnRoundTripPropertyTests
{
    private const string NameStart = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*!_?$%&=<>\u00e9\u03bb";
    private const string NameRest = NameStart + "0123456789.-+#:'";

    private static readonly Gen<string> Name =
        Gen.Select(Gen.Char[NameStart], Gen.String[Gen.Char[NameRest], 0, 6], (first, rest) => first + rest);

    private static readonly Gen<string> QualifiedName =
        Gen.Select(Gen.Bool, Name, Name, (qualified, ns, name) => qualified ? ns + "/" + name : name);

    private static readonly Gen<Symbol> SymbolGen = QualifiedName
        .Where(n => n is not ("nil" or "true" or "false"))
        .Select(n => new Symbol(n));

    private static readonly Gen<Symbol> TagGen = Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyzXYZ"], QualifiedName, (c, n) => c + n)
        .Where(n => n is not ("inst" or "uuid" or "uri"))
        .Select(n => new Symbol(n));

    /// <summary>Any UTF-16 code unit, so control characters and lone surrogates are covered.</summary>
    private static readonly Gen<char> AnyChar = Gen.Char[char.MinValue, char.MaxValue];

    /// <summary>Strings hold whole characters: the reader rejects an unpaired surrogate, so a lone half becomes '?'.</summary>
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String,
        Gen.String[Gen.Char["abc \"\\\n\t\r\b\f;,#{}()[]\u00e9\uD83D\uDE00"], 0, 12],
        AnyChar.Array[0, 8].Select(chars => new string(chars))).Select(WholeCharacters);

    private static string WholeCharacters(string s)
    {
        var chars = s.ToCharArray();
        for (var i = Utf8Strict.IndexOfUnpairedSurrogate(chars); i >= 0; i = Utf8Strict.IndexOfUnpairedSurrogate(chars)) chars[i] = '?';
        return new string(chars);
    }

    private static readonly Gen<object?> Scalar = Gen.OneOf<object?>(
        Gen.Const((object?)null),
        Gen.Bool.Select(b => (object?)b),
        Gen.Long.Select(l => (object?)l),
        Gen.Int[-1000, 1000].Select(i => (object?)(long)i),
        Gen.Select(Gen.Long, Gen.Long, (a, b) => (object?)((new BigInteger(a) * long.MaxValue) + b)),
        Gen.Long.Select(l => (object?)new BigInteger(l)),
        Gen.Double.Select(d => (object?)d),
        Gen.Int.Select(i => (object?)(i / 1000.0)),
        Gen.OneOf<object?>(Gen.Const<object?>(double.NaN), Gen.Const<object?>(double.PositiveInfinity), Gen.Const<object?>(double.NegativeInfinity), Gen.Const<object?>(-0.0)),
        Gen.Decimal.Select(m => (object?)m),
        Text.Select(s => (object?)s),
        AnyChar.Select(c => (object?)c),
        QualifiedName.Select(n => (object?)Keyword.Intern(n)),
        SymbolGen.Select(s => (object?)s),
        Gen.Long[DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks].Select(t => (object?)new DateTime(t, DateTimeKind.Utc)),
        Gen.Guid.Select(g => (object?)g),
        Gen.String[Gen.Char["abcxyz019/-_.~"], 0, 12].Select(p => (object?)new Uri("https://example.com/" + p)));

    private static Gen<object?> Nested(Gen<object?> inner) => Gen.Frequency<object?>(
        (4, Scalar),
        (1, inner.Array[0, 5].Select(items => (object?)new EdnList(items))),
        (1, inner.Array[0, 5].Select(items => (object?)new EdnVector(items))),
        (1, inner.Array[0, 5].Select(items => (object?)new EdnSet(items))),
        (1, Gen.Select(inner.Array[0, 5], inner.Array[0, 5], (keys, values) => (object?)DistinctMap(keys, values))),
        (1, Gen.Select(TagGen, inner, (tag, value) => (object?)new TaggedValue(tag, value))));

    /// <summary>EDN values nested up to three collections deep.</summary>
    private static readonly Gen<object?> Value = Nested(Nested(Nested(Scalar)));

    private static EdnMap DistinctMap(object?[] keys, object?[] values)
    {
        var entries = new List<KeyValuePair<object?, object?>>();
        for (var i = 0; i < Math.Min(keys.Length, values.Length); i++)
        {
            var duplicate = false;
            foreach (var e in entries) duplicate |= EdnEquality.Instance.Equals(e.Key, keys[i]);
            if (!duplicate) entries.Add(new KeyValuePair<object?, object?>(keys[i], values[i]));
        }
        return new EdnMap(entries);
    }

    private static string Show(object? value) => EdnPrinter.Print(value);

    [Fact]
    public void Printing_then_reading_gives_an_equal_value()
    {
        Value.Sample(
            v =>
            {
                var text = EdnPrinter.Print(v);
                var back = EdnReader.Read(text);
                Assert.True(EdnEquality.Instance.Equals(back, v), $"read back {Show(back)}");
                Assert.Equal(EdnEquality.Instance.GetHashCode(v), EdnEquality.Instance.GetHashCode(back));
            },
            iter: 2000,
            print: Show);
    }

    [Fact]
    public void Printing_is_stable_across_a_round_trip()
    {
        Value.Sample(
            v =>
            {
                var text = EdnPrinter.Print(v);
                Assert.Equal(text, EdnPrinter.Print(EdnReader.Read(text)));
            },
            iter: 1000,
            print: Show);
    }

    [Fact]
    public void Printed_values_separated_by_whitespace_read_back_with_ReadAll()
    {
        Value.Array[0, 6].Sample(
            values =>
            {
                var writer = new StringWriter();
                foreach (var v in values)
                {
                    EdnPrinter.Print(v, writer);
                    writer.Write('\n');
                }
                var back = EdnReader.ReadAll(writer.ToString());
                Assert.Equal(values.Length, back.Count);
                for (var i = 0; i < values.Length; i++) Assert.True(EdnEquality.Instance.Equals(values[i], back[i]), $"form {i}: {Show(back[i])}");
            },
            iter: 300,
            print: vs => string.Join(" ", vs.Select(Show)));
    }
}
