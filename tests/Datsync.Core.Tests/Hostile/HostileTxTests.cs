using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Hostile;

/// <summary>The transaction engine against deep, huge and sneaky input: a clear error, nothing changes.</summary>
public class HostileTxTests
{
    private readonly Db _db = TestDb.Schema;

    /// <summary>Entity maps nested <paramref name="depth"/> deep through <paramref name="attr"/>.</summary>
    private static EdnMap Nested(int depth, string attr, bool identity)
    {
        EdnMap? inner = null;
        for (var i = depth; i >= 1; i--)
        {
            var entries = new List<object?> { K(identity ? ":person/email" : ":person/name"), $"p{i}" };
            if (inner is not null) { entries.Add(K(attr)); entries.Add(inner); }
            inner = EdnMap.Of(entries.ToArray());
        }
        return inner!;
    }

    private static IReadOnlyList<object?> Tx(params object?[] forms) => forms;

    [Theory]
    [InlineData(":person/address", false)]
    [InlineData(":person/spouse", true)]
    public void Entity_maps_nested_past_the_limit_are_rejected_naming_the_depth(string attr, bool identity)
    {
        var data = Tx(Nested(6_000, attr, identity));
        var e = SmallStack.Run(() => { _db.Transact(data); });
        var ex = Assert.IsType<TxRejectedException>(e);
        Assert.Equal(TxErrors.InvalidTxData, ex.Category);
        Assert.Contains(CoreLimits.Default.MaxTxNestingDepth.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.True(ex.Message.Length < 1_000, ex.Message);
    }

    [Fact]
    public void Entity_maps_nested_to_the_limit_are_accepted()
    {
        var max = CoreLimits.Default.MaxTxNestingDepth;
        var r = SmallStack.Run(() => _db.Transact(Tx(Nested(max, ":person/address", identity: false))));
        Assert.Equal(max, r.DbAfter.Datoms(IndexType.Aevt, K(":person/name")).Count());
        Assert.Equal(max - 1, r.DbAfter.Datoms(IndexType.Aevt, K(":person/address")).Count());
    }

    [Fact]
    public void The_nesting_limit_of_the_engine_is_a_setting()
    {
        var limits = new CoreLimits { MaxTxNestingDepth = 3 };
        Transaction.Run(_db, Tx(Nested(3, ":person/address", false)), null, limits);
        var ex = Assert.Throws<TxRejectedException>(() => Transaction.Run(_db, Tx(Nested(4, ":person/address", false)), null, limits));
        Assert.Equal(TxErrors.InvalidTxData, ex.Category);
        Assert.Contains("3", ex.Message);
        // reverse refs nest too
        var reverse = EdnMap.Of(K(":person/name"), "a", K(":person/_spouse"),
            EdnMap.Of(K(":person/email"), "b", K(":person/_spouse"),
                EdnMap.Of(K(":person/email"), "c", K(":person/_spouse"), EdnMap.Of(K(":person/email"), "d"))));
        Assert.Throws<TxRejectedException>(() => Transaction.Run(_db, Tx(reverse), null, limits));
    }

    [Fact]
    public void A_deeply_nested_value_of_the_wrong_type_gives_a_short_error()
    {
        object? deep = EdnVector.Empty;
        for (var i = 0; i < 100_000; i++) deep = new EdnVector(new object?[] { deep });
        var e = SmallStack.Run(() => { _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":person/age"), deep))); });
        var ex = Assert.IsType<TxRejectedException>(e);
        Assert.Equal(TxErrors.WrongType, ex.Category);
        Assert.True(ex.Message.Length < 1_000, ex.Message);

        var asForm = SmallStack.Run(() => { _db.Transact(Tx(deep)); });
        Assert.Equal(TxErrors.InvalidTxData, Assert.IsType<TxRejectedException>(asForm).Category);
    }

    private static object? NestedLookupRef(int depth)
    {
        object? v = 1L;
        for (var i = 0; i < depth; i++) v = new EdnVector(K(":node/parent"), v);
        return v;
    }

    [Fact]
    public void Lookup_refs_nested_past_the_limit_are_rejected_naming_the_depth()
    {
        var db = Db.Empty.After(
            """
            [{:db/ident :node/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :node/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """);
        var deep = NestedLookupRef(100_000);
        var e = SmallStack.Run(() => { db.Transact(Tx(new EdnVector(K("db/add"), deep, K(":node/name"), "x"))); });
        var ex = Assert.IsType<TxRejectedException>(e);
        Assert.Equal(TxErrors.InvalidTxData, ex.Category);
        Assert.Contains("1,000", ex.Message);
        var asValue = SmallStack.Run(() => { db.Transact(Tx(new EdnVector(K("db/add"), "n", K(":node/parent"), deep))); });
        Assert.Equal(TxErrors.InvalidTxData, Assert.IsType<TxRejectedException>(asValue).Category);
        Assert.IsType<InsufficientExecutionStackException>(SmallStack.Run(() => { db.EntId(deep); }));
        // shallow nesting still resolves (or finds nothing) as before
        db.Rejects("""[[:db/add [:node/parent [:node/parent 5]] :node/name "x"]]""", ":db.error/not-an-entity");
    }

    [Fact]
    public void A_huge_value_of_the_wrong_type_gives_a_short_error_with_its_size()
    {
        var huge = new string('x', 20_000_000);
        var ex = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":person/age"), huge))));
        Assert.Equal(TxErrors.WrongType, ex.Category);
        Assert.Contains("(20,000,000 characters)", ex.Message);
        Assert.Contains(":person/age", ex.Message);
        Assert.True(ex.Describe().Length < 1_000, "the error text is too long");
    }

    [Fact]
    public void A_huge_unknown_keyword_gives_a_short_error()
    {
        var huge = Keyword.Intern("x/" + new string('y', 1_000_000));
        var op = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(huge, "e", K(":person/name"), "n"))));
        Assert.True(op.Message.Length < 1_000, "the error text is too long");
        var ident = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(K("db/add"), huge, K(":person/name"), "n"))));
        Assert.Equal(TxErrors.NotAnEntity, ident.Category);
        Assert.True(ident.Message.Length < 1_000, "the error text is too long");
    }

    [Fact]
    public void A_huge_ident_in_a_schema_error_is_shown_bounded()
    {
        var huge = Keyword.Intern("x/" + new string('y', 1_000_000));
        var ex = Assert.Throws<TxRejectedException>(() => Db.Empty.Transact(Tx(EdnMap.Of(K(":db/ident"), huge, K(":db/valueType"), K(":db.type/long")))));
        Assert.Equal(TxErrors.IncompatibleSchemaChange, ex.Category);
        Assert.Contains("(1,000,003 characters)", ex.Message);
        Assert.True(ex.Message.Length < 1_000, "the error text is too long");
    }

    [Theory]
    [InlineData("""[[:db/add :db.cardinality/one :db/ident :db.cardinality/uno]]""", ":db.cardinality/one")]
    [InlineData("""[[:db/retract :db.type/string :db/ident :db.type/string]]""", ":db.type/string")]
    [InlineData("""[[:db/retractEntity :db.unique/value]]""", ":db.unique/value")]
    [InlineData("""[[:db/add :db.cardinality/many :person/name "x"]]""", ":db.cardinality/many")]
    [InlineData("""[[:db/cas :db.type/long :db/ident :db.type/long :db.type/int]]""", ":db.type/long")]
    [InlineData("""[{:db/id :db.type/uuid :db/doc "ids"}]""", ":db.type/uuid")]
    [InlineData("""[{:db/ident :db.type/keyword :db/doc "names"}]""", ":db.type/keyword")]
    [InlineData("""[[:db/add :db/ident :db/doc "the ident"]]""", ":db/ident")]
    [InlineData("""[[:db/add :db/txInstant :db/ident :db/when]]""", ":db/txInstant")]
    [InlineData("""[[:db/retract :db/doc :db/cardinality :db.cardinality/one]]""", ":db/doc")]
    public void Built_in_schema_entities_are_read_only(string tx, string entity)
    {
        var ex = _db.Rejects(tx, ":db.error/incompatible-schema-change");
        Assert.Contains(entity, ex.Message);
        Assert.Contains("built-in", ex.Message);
    }

    [Fact]
    public void After_a_rejected_rename_of_a_built_in_schema_still_installs()
    {
        Assert.Throws<TxRejectedException>(() => _db.Transact(Forms("[[:db/add :db.cardinality/one :db/ident :db.cardinality/uno]]")));
        var db = _db.After("""[{:db/ident :x/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]""");
        Assert.NotNull(db.Schema[K(":x/n")]);
        Assert.Equal(BuiltIns.CardinalityOne, db.Ident(BuiltIns.CardinalityOneId));
    }

    [Fact]
    public void Refs_to_built_in_entities_still_work()
    {
        var db = _db.After("""[{:db/ident :x/kind :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}]""");
        var r = db.Tx("""[{:db/id "e" :x/kind :db.type/string}]""");
        Assert.Equal(BuiltIns.FirstTypeId + (int)ValueType.String, r.DbAfter.Value(r.Tempids["e"], ":x/kind"));
    }

    [Theory]
    [InlineData("9007199254740992", true)]
    [InlineData("-9007199254740992", true)]
    [InlineData("9007199254740993", false)]
    [InlineData("9223372036854775807", false)]
    [InlineData("-9223372036854775808", true)]
    [InlineData("12345678901234567N", false)]
    public void A_long_converts_to_double_only_when_exact(string valueEdn, bool accepted)
    {
        var tx = $"""[[:db/add "e" :v/double {valueEdn}]]""";
        if (accepted)
        {
            var r = _db.Tx(tx);
            var stored = (double)r.DbAfter.Value(r.Tempids["e"], ":v/double")!;
            Assert.Equal(System.Numerics.BigInteger.Parse(valueEdn.TrimEnd('N')), new System.Numerics.BigInteger(stored));
        }
        else
        {
            var ex = _db.Rejects(tx, ":db.error/wrong-type-for-attribute");
            Assert.Contains(valueEdn.TrimEnd('N'), ex.Message);
        }
    }

    [Theory]
    [InlineData("0.1", true)]
    [InlineData("1.5", true)]
    [InlineData("-2.75e10", true)]
    [InlineData("##NaN", true)]
    [InlineData("##-Inf", true)]
    [InlineData("16777216", true)]
    [InlineData("16777217", false)]
    [InlineData("16777217.0", false)]
    [InlineData("3.141592653589793", false)]
    [InlineData("1e300", false)]
    [InlineData("1e-300", false)]
    public void A_number_converts_to_float_only_when_it_keeps_its_value(string valueEdn, bool accepted)
    {
        var tx = $"""[[:db/add "e" :v/float {valueEdn}]]""";
        if (accepted)
        {
            var r = _db.Tx(tx);
            var stored = (float)r.DbAfter.Value(r.Tempids["e"], ":v/float")!;
            Assert.Equal(EdnReader.Read(valueEdn) switch { double d => (float)d, long l => (float)l, _ => float.NaN }, stored);
        }
        else _db.Rejects(tx, ":db.error/wrong-type-for-attribute");
    }

    [Fact]
    public void A_string_with_an_unpaired_surrogate_is_not_a_string_value()
    {
        var ex = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":person/name"), "a\uD800b"))));
        Assert.Equal(TxErrors.WrongType, ex.Category);
        Assert.Contains("surrogate", ex.Message);
        _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":person/name"), "a😀b")));
    }

    [Fact]
    public void A_keyword_or_symbol_with_an_unpaired_surrogate_is_not_a_value()
    {
        var kw = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":v/keyword"), K("a/b\uDC00")))));
        Assert.Equal(TxErrors.WrongType, kw.Category);
        Assert.Contains("surrogate", kw.Message);
        var sym = Assert.Throws<TxRejectedException>(() => _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":v/symbol"), new Symbol("a\uD800")))));
        Assert.Equal(TxErrors.WrongType, sym.Category);
        _db.Transact(Tx(new EdnVector(K("db/add"), "e", K(":v/keyword"), K("a/😀"))));
    }
}
