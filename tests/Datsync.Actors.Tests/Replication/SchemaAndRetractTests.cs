using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class SchemaAndRetractTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly Keyword ItemN = Keyword.Intern("item/n"), ItemTag = Keyword.Intern("item/tag");

    [Fact]
    public async Task Replicas_follow_schema_changes_mid_stream_new_attribute_cardinality_one_to_many_and_a_new_unique()
    {
        var (master, server) = StartMaster("schema-change");
        Commit(master, SchemaEdn);
        var replicas = Enumerable.Range(0, 2).Select(i => StartShimmedReplica(server, "s" + i, 40 + i, Faults.Default).Replica).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);
        Commit(master, """[{:item/key "a" :item/n 1} {:item/key "b" :item/n 2}]""");

        // a new attribute, and data using it in the next transaction
        Commit(master, """[{:db/ident :item/tag :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");
        Commit(master, """[{:item/key "a" :item/tag "red"} {:item/key "b" :item/tag "blue"}]""");
        AwaitEqual(master, replicas);
        Assert.All(replicas, r => Assert.NotNull(r.Db.Schema[ItemTag]));

        // cardinality one -> many, then several values
        Commit(master, """[{:db/id :item/n :db/cardinality :db.cardinality/many}]""");
        Commit(master, """[[:db/add [:item/key "a"] :item/n 10] [:db/add [:item/key "a"] :item/n 11]]""");
        AwaitEqual(master, replicas);
        foreach (var r in replicas)
        {
            Assert.True(r.Db.Schema[ItemN]!.IsMany);
            var a = Lookup(r.Db, "item/key", "a")!.Value;
            Assert.Equal(new object[] { 1L, 10L, 11L }, r.Db.Datoms(IndexType.Eavt, a, ItemN).Select(d => d.V));
        }

        // :db/unique added to an attribute whose values are distinct; lookups through it work on the replicas
        Commit(master, """[{:db/id :item/tag :db/unique :db.unique/value}]""");
        AwaitEqual(master, replicas);
        foreach (var r in replicas)
        {
            Assert.Equal(Uniqueness.Value, r.Db.Schema[ItemTag]!.Unique);
            Assert.Equal(Lookup(r.Db, "item/key", "b"), Lookup(r.Db, "item/tag", "blue"));
        }

        // a replica's write that breaks the new unique is refused before it leaves the replica
        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => replicas[0].TransactAsync("""[{:item/key "c" :item/tag "red"}]""").WaitAsync(Long));
        Assert.Equal(TxErrors.UniqueConflict, ex.Category);
        // and one that keeps it is committed and reaches the other replica
        await replicas[1].TransactAsync("""[{:item/key "c" :item/tag "green" :item/n 5}]""").WaitAsync(Long);
        AwaitEqual(master, replicas);
        Assert.NotNull(Lookup(replicas[0].Db, "item/tag", "green"));
    }

    [Fact]
    public async Task RetractEntity_with_nested_components_retracts_them_on_every_replica()
    {
        var (master, server) = StartMaster("retract-components");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 2).Select(i => StartShimmedReplica(server, "x" + i, 50 + i, Faults.Default).Replica).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);

        var order = Commit(master, """
            [{:db/id "o" :order/id "o1"
              :order/lines [{:line/sku "s1" :line/detail {:detail/note "n1"}}
                            {:line/sku "s2" :line/detail {:detail/note "n2"}}]}
             {:order/id "o2" :order/lines [{:line/sku "keep" :line/detail {:detail/note "keep"}}]}
             {:item/key "points-at-o1" :item/ref "o"}]
            """);
        AwaitEqual(master, replicas);
        var o1 = order.Tempids["o"];
        var parts = replicas[0].Db.Datoms(IndexType.Eavt, o1, Keyword.Intern("order/lines")).Select(d => (long)d.V).ToList();
        Assert.Equal(2, parts.Count);
        var details = parts.Select(l => (long)replicas[0].Db.Datoms(IndexType.Eavt, l, Keyword.Intern("line/detail")).Single().V).ToList();

        Commit(master, """[[:db/retractEntity [:order/id "o1"]]]""");
        AwaitEqual(master, replicas);
        foreach (var r in replicas)
        {
            foreach (var e in parts.Concat(details).Append(o1)) Assert.Empty(r.Db.Datoms(IndexType.Eavt, e));
            var pointer = Lookup(r.Db, "item/key", "points-at-o1")!.Value;
            Assert.Empty(r.Db.Datoms(IndexType.Eavt, pointer, Keyword.Intern("item/ref"))); // refs to it are gone too
            Assert.NotNull(Lookup(r.Db, "order/id", "o2"));
            Assert.Single(r.Db.Datoms(IndexType.Aevt, Keyword.Intern("line/sku"))); // o2's line only
        }

        // a replica retracts o2 (with its components) itself
        await replicas[1].TransactAsync("""[[:db/retractEntity [:order/id "o2"]]]""").WaitAsync(Long);
        AwaitEqual(master, replicas);
        Assert.All(replicas, r => Assert.Empty(r.Db.Datoms(IndexType.Aevt, Keyword.Intern("detail/note"))));
    }
}
