using System.Numerics;
using Datsync.Core;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Semantics;

/// <summary>Values are checked and coerced against :db/valueType.</summary>
public class ValueTypeTests
{
    private readonly Db _db = TestDb.Schema;

    [Theory]
    [InlineData(":v/keyword", ":a/b")]
    [InlineData(":v/boolean", "true")]
    [InlineData(":v/bigint", "12345678901234567890N")]
    [InlineData(":v/float", "1.5")]
    [InlineData(":v/double", "2.25")]
    [InlineData(":v/bigdec", "3.75M")]
    [InlineData(":v/instant", "#inst \"2024-05-06T07:08:09.123Z\"")]
    [InlineData(":v/uuid", "#uuid \"0b4bb2e3-3e9c-4e5b-9d6c-0a6f3c6a7a10\"")]
    [InlineData(":v/uri", "#uri \"https://example.org/x\"")]
    [InlineData(":v/symbol", "foo/bar")]
    [InlineData(":person/age", "42")]
    [InlineData(":person/name", "\"text\"")]
    public void Each_value_type_stores_and_returns_its_value(string attr, string valueEdn)
    {
        var expected = EdnReader.Read(valueEdn)!;
        if (attr == ":v/float") expected = (float)(double)expected;
        var r = _db.Tx($"""[[:db/add "e" {attr} {valueEdn}]]""");
        Assert.Equal(expected, r.DbAfter.Value(r.Tempids["e"], attr));
    }

    [Theory]
    [InlineData(":person/age", "\"forty\"")]
    [InlineData(":person/name", "42")]
    [InlineData(":v/boolean", "1")]
    [InlineData(":v/keyword", "\"a\"")]
    [InlineData(":v/uuid", "\"not-a-uuid\"")]
    [InlineData(":v/instant", "42")]
    [InlineData(":person/friends", "2.5")]
    [InlineData(":v/symbol", ":kw")]
    public void A_value_of_the_wrong_type_is_rejected_naming_the_form(string attr, string valueEdn)
    {
        var ex = _db.Rejects($"""[[:db/add "e" {attr} {valueEdn}]]""", ":db.error/wrong-type-for-attribute");
        Assert.Contains(attr, ex.Message);
        Assert.Contains(valueEdn.Trim('"'), ex.Message);
    }

    [Fact]
    public void Integers_are_coerced_to_double_bigint_and_bigdec()
    {
        var r = _db.Tx("""[[:db/add "e" :v/double 2] [:db/add "e" :v/bigint 3] [:db/add "e" :v/bigdec 4]]""");
        var e = r.Tempids["e"];
        Assert.Equal(2.0, r.DbAfter.Value(e, ":v/double"));
        Assert.Equal(new BigInteger(3), r.DbAfter.Value(e, ":v/bigint"));
        Assert.Equal(4m, r.DbAfter.Value(e, ":v/bigdec"));
    }

    [Fact]
    public void Nil_is_never_a_value()
    {
        var ex = _db.Rejects("""[[:db/add "e" :person/name nil]]""", ":db.error/nil-value");
        Assert.Contains(":person/name", ex.Message);
        _db.Rejects("""[{:person/name nil}]""", ":db.error/nil-value");
    }

    [Fact]
    public void Values_of_an_indexed_attribute_are_ordered_numerically_in_avet()
    {
        var db = _db.After("""[{:v/long 10} {:v/long -3} {:v/long 7}]""");
        Assert.Equal(new object[] { -3L, 7L, 10L }, db.Datoms(IndexType.Avet, K(":v/long")).Select(d => d.V));
        Assert.Equal(new object[] { 7L }, db.IndexRange(K(":v/long"), 0L, 10L).Select(d => d.V));
    }

    [Fact]
    public void Doubles_are_ordered_numerically_including_negatives()
    {
        var db = _db.After("""[{:v/double 1.5} {:v/double -2.5} {:v/double -0.5} {:v/double 0.0}]""");
        Assert.Equal(new object[] { -2.5, -0.5, 0.0, 1.5 }, db.IndexRange(K(":v/double"), null, null).Select(d => d.V));
    }
}
