using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Query;

/// <summary>
/// Pull reads a small entity once for all the attributes of a pattern and a big one attribute by attribute; both
/// give what the entity's datoms say.
/// </summary>
public class PullEntityReadTests
{
    private static readonly Keyword Name = K(":person/name"), Age = K(":person/age"), Aliases = K(":person/aliases"),
        Email = K(":person/email"), LimitKw = K(":limit");

    private static (Db db, long small, long big) Sample()
    {
        var bigAliases = Enumerable.Range(0, 600).Select(i => (object?)$"alias{i:D4}").ToList();
        var r = TestDb.Schema.Transact(new List<object?>
        {
            new Dictionary<object, object?> { [BuiltIns.DbId] = "s", [Email] = "s@x", [Name] = "Small", [Age] = 7L, [Aliases] = new List<object?> { "z", "a", "m" } },
            new Dictionary<object, object?> { [BuiltIns.DbId] = "b", [Email] = "b@x", [Name] = "Big", [Aliases] = bigAliases },
        });
        return (r.DbAfter, r.Tempids["s"], r.Tempids["b"]);
    }

    private static List<object> Values(Db db, long e, Keyword attr) =>
        db.Datoms(IndexType.Eavt, e, attr).Select(d => d.V).ToList();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_attribute_of_a_pattern_is_read_from_the_entitys_datoms(bool big)
    {
        var (db, small, bigE) = Sample();
        var e = big ? bigE : small;
        var pulled = db.Pull(new object?[] { Email, Name, Age, Aliases }, e)!;
        Assert.Equal(Values(db, e, Email).Single(), pulled[Email]);
        Assert.Equal(Values(db, e, Name).Single(), pulled[Name]);
        Assert.Equal(big ? null : 7L, pulled.GetValueOrDefault(Age));
        var aliases = (List<object?>)pulled[Aliases]!;
        Assert.Equal(Values(db, e, Aliases).Take(PullPattern.DefaultLimit), aliases.Cast<object>());
        Assert.Equal(big ? 600 : 3, aliases.Count);
        // keys in pattern order, without the missing attribute
        Assert.Equal(big ? new object[] { Email, Name, Aliases } : new object[] { Email, Name, Age, Aliases }, pulled.Keys);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_limit_takes_the_first_values_in_index_order(bool big)
    {
        var (db, small, bigE) = Sample();
        var e = big ? bigE : small;
        var pulled = db.Pull(new object?[] { Name, new object?[] { Aliases, LimitKw, 2L } }, e)!;
        Assert.Equal(Values(db, e, Aliases).Take(2), ((List<object?>)pulled[Aliases]!).Cast<object>());
    }

    [Fact]
    public void A_pattern_pulled_against_another_schema_resolves_its_attributes_again()
    {
        var pattern = PullPattern.Parse(new object?[] { Name, K(":person/nickname") });
        var (db, small, _) = Sample();
        Assert.False(db.Pull(pattern, small)!.ContainsKey(K(":person/nickname")));
        var later = db.Transact(Forms("""
            [{:db/ident :person/nickname :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """)).DbAfter;
        later = later.Transact(new List<object?> { new object?[] { K(":db/add"), small, K(":person/nickname"), "Smalls" } }).DbAfter;
        Assert.Equal("Smalls", later.Pull(pattern, small)![K(":person/nickname")]);
        Assert.False(db.Pull(pattern, small)!.ContainsKey(K(":person/nickname")));
    }
}
