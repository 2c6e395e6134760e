using Datsync.Core;

namespace Datsync.Core.Tests.Tx;

/// <summary>The typed builder gives the same transaction data as the EDN text it stands for.</summary>
public class TxBuilderTests
{
    private static readonly Db Schema = Db.Empty.Transact([
        Core.Tx.Attribute(":person/email", "string", unique: "identity"),
        Core.Tx.Attribute(":person/name", "string", index: true, doc: "a person's name"),
        Core.Tx.Attribute(":person/age", "long"),
        Core.Tx.Attribute(":person/aliases", "string", many: true),
        Core.Tx.Attribute(":person/address", "ref", component: true),
        Core.Tx.Attribute(":address/city", "string"),
    ]).DbAfter;

    [Fact]
    public void Every_form_equals_the_form_read_from_its_text()
    {
        var built = new object?[]
        {
            Core.Tx.Add("ivan", ":person/name", "Ivan"),
            Core.Tx.Add(Core.Tx.Lookup(":person/email", "a@x"), ":person/age", 30),
            Core.Tx.Retract(17L, ":person/aliases", "Vanya"),
            Core.Tx.RetractEntity(Core.Tx.Lookup(":person/email", "b@x")),
            Core.Tx.CompareAndSet(17, ":person/age", 30, 31),
            Core.Tx.Entity("p", (":person/name", "Petr"), (":person/aliases", new[] { "Petya", "Pete" }),
                (":person/address", Core.Tx.Entity("a", (":address/city", "Brno")))),
            Core.Tx.Attribute(":person/email", "string", unique: "identity"),
        };
        var text = (IReadOnlyList<object?>)EdnReader.Read("""
            [[:db/add "ivan" :person/name "Ivan"]
             [:db/add [:person/email "a@x"] :person/age 30]
             [:db/retract 17 :person/aliases "Vanya"]
             [:db/retractEntity [:person/email "b@x"]]
             [:db/cas 17 :person/age 30 31]
             {:db/id "p" :person/name "Petr" :person/aliases ["Petya" "Pete"] :person/address {:db/id "a" :address/city "Brno"}}
             {:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
            """)!;
        Assert.Equal(text.Count, built.Length);
        for (var i = 0; i < built.Length; i++)
            Assert.True(EdnEquality.Instance.Equals(text[i], built[i]), $"form {i}: built {EdnPrinter.Print(built[i])}, read {EdnPrinter.Print(text[i])}");
    }

    [Fact]
    public void A_built_transaction_commits_the_same_datoms_as_its_text()
    {
        var fromText = Schema.Transact("""
            [{:db/id "p" :person/email "p@x" :person/name "Petr" :person/age 41 :person/aliases ["Petya" "Pete"]
              :person/address {:db/id "home" :address/city "Brno"}}]
            """, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var built = Schema.Transact([
            Core.Tx.Entity("p", (":person/email", "p@x"), (":person/name", "Petr"), (":person/age", 41),
                (":person/aliases", new List<string> { "Petya", "Pete" }),
                (":person/address", Core.Tx.Entity("home", (":address/city", "Brno")))),
        ], new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(fromText.TxData, built.TxData);
        Assert.Equal(fromText.Tempids["p"], built.Tempids["p"]);
    }

    [Fact]
    public void Values_a_transaction_cannot_hold_fail_at_once_naming_their_type()
    {
        var e = Assert.Throws<ArgumentException>(() => Core.Tx.Add("x", ":person/name", new object()));
        Assert.Contains("Object", e.Message);
        Assert.Throws<ArgumentException>(() => Core.Tx.Add(new object(), ":person/name", "v"));
        Assert.Throws<ArgumentException>(() => Core.Tx.Add("x", " ", "v"));
    }

    [Fact]
    public void Text_that_is_not_tx_data_is_rejected_as_invalid_tx_data()
    {
        Assert.Equal(TxErrors.InvalidTxData, Assert.Throws<TxRejectedException>(() => Core.Tx.Parse("{:a 1}")).Category);
        var unreadable = Assert.Throws<TxRejectedException>(() => Core.Tx.Parse("[[:db/add \"x\" :person/name"));
        Assert.Equal(TxErrors.InvalidTxData, unreadable.Category);
    }
}
