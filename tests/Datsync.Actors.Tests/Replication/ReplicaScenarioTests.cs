using Datsync.Actors.Replica;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ReplicaScenarioTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_of_an_empty_master_bootstraps_and_follows_the_log()
    {
        var (master, server) = StartMaster("scn-empty");
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        Assert.Equal(0, replica.Status.BasisT);
        Commit(master, SchemaEdn);
        Commit(master, """[{:item/key "a" :item/n 1}]""");
        AwaitEqual(master, replica);
        var e = replica.Db.Entity(EdnReader.Read("""[:item/key "a"]""")!);
        Assert.Equal(1L, e!["item/n"]);
    }

    [Fact]
    public async Task A_write_through_a_replica_gets_local_ids_then_master_ids()
    {
        var (master, server) = StartMaster("scn-write");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        var result = await replica.Submit("""[{:db/id "x" :item/key "x" :item/n 5}]""").WaitAsync(Long);
        var local = result.LocalTempids["x"];
        var remote = result.Tempids["x"];
        Assert.True(local >= ReplicaState.LocalIdBase);
        Assert.True(remote < ReplicaState.LocalIdBase);
        Assert.Equal(remote, replica.RemoteId(local));
        Assert.Equal(remote, replica.LocalId(remote));
        Assert.Equal(remote, replica.Db.Entity(remote)![Db.RemoteIdAttr]);
        AwaitEqual(master, replica);
    }

    [Fact]
    public async Task A_replica_installs_an_attribute_through_the_master_and_then_uses_it()
    {
        var (master, server) = StartMaster("scn-schema-write");
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        var schema = await replica.TransactAsync("""
            [{:db/id "attr" :db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
            """).WaitAsync(Long);
        Assert.Equal(1, schema.T);
        var attr = schema.Tempids["attr"];
        Assert.True(attr < int.MaxValue);
        Assert.NotNull(replica.Db.Schema[Keyword.Intern("person/email")]);
        var person = await replica.TransactAsync("""[{:db/id "p" :person/email "a@b.c"}]""").WaitAsync(Long);
        Assert.Equal(person.Tempids["p"], replica.Db.Entity(new EdnVector(Keyword.Intern("person/email"), "a@b.c"))!.Id);
        AwaitEqual(master, replica);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_in_process_replica_shares_the_masters_value_unless_told_not_to(bool share)
    {
        var (master, server) = StartMaster("scn-share-" + share, QuickSession with { ShareMasterValues = share });
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        var t = Commit(master, """[{:item/key "a" :item/n 1}]""").T;
        await replica.SyncAsync(t).WaitAsync(Long);
        var masterDb = DbOf(master.Transactor);
        Assert.Equal(t, masterDb.BasisT);
        Assert.Equal(share, ReferenceEquals(masterDb, replica.SyncedDb));
        Assert.Equal(AllDatoms(masterDb), AllDatoms(replica.SyncedDb));
    }
}
