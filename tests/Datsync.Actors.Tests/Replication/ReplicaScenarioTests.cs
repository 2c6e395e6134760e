using Datsync.Actors.Replica;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>Scenarios of one master and its replicas, on the TestKit's masters and replicas.</summary>
public class ReplicaScenarioTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_of_an_empty_master_bootstraps_and_follows_the_log()
    {
        var master = await StartMasterAsync("scn-empty");
        var replica = await ConnectReplicaAsync(master, "c1");
        Assert.Equal(0, replica.Status.BasisT);
        await master.TransactAsync(SchemaEdn).WaitAsync(Long);
        await master.TransactAsync("""[{:item/key "a" :item/n 1}]""").WaitAsync(Long);
        await AwaitConvergedAsync(master, replica);
        AssertReplicaEqualsMaster(master, replica);
        var e = replica.Db.Entity(EdnReader.Read("""[:item/key "a"]""")!);
        Assert.Equal(1L, e!["item/n"]);
    }

    [Fact]
    public async Task A_write_through_a_replica_gets_local_ids_then_master_ids()
    {
        var master = await StartMasterAsync("scn-write");
        await master.TransactAsync(SchemaEdn).WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "c1");
        var result = await replica.Submit("""[{:db/id "x" :item/key "x" :item/n 5}]""").WaitAsync(Long);
        var local = result.LocalTempids["x"];
        var remote = result.Tempids["x"];
        Assert.True(local >= ReplicaState.LocalIdBase);
        Assert.True(remote < ReplicaState.LocalIdBase);
        Assert.Equal(remote, replica.RemoteId(local));
        Assert.Equal(remote, replica.LocalId(remote));
        Assert.Equal(remote, replica.Db.Entity(remote)![Db.RemoteIdAttr]);
        await AwaitConvergedAsync(master, replica);
        AssertReplicaEqualsMaster(master, replica);
    }

    [Fact]
    public async Task A_replica_installs_an_attribute_through_the_master_and_then_uses_it()
    {
        var master = await StartMasterAsync("scn-schema-write");
        var replica = await ConnectReplicaAsync(master, "c1");
        var schema = await replica.TransactAsync("""
            [{:db/id "attr" :db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
            """).WaitAsync(Long);
        Assert.Equal(1, schema.T);
        var attr = schema.Tempids["attr"];
        Assert.True(attr < int.MaxValue);
        Assert.NotNull(replica.Db.Schema[Keyword.Intern("person/email")]);
        var person = await replica.TransactAsync("""[{:db/id "p" :person/email "a@b.c"}]""").WaitAsync(Long);
        Assert.Equal(person.Tempids["p"], replica.Db.Entity(new EdnVector(Keyword.Intern("person/email"), "a@b.c"))!.Id);
        await AwaitConvergedAsync(master, replica);
        AssertReplicaEqualsMaster(master, replica);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_in_process_replica_shares_the_masters_value_unless_told_not_to(bool share)
    {
        var master = await StartMasterAsync("scn-share-" + share, $"datsync.session.share-master-values = {(share ? "on" : "off")}");
        await master.TransactAsync(SchemaEdn).WaitAsync(Long);
        // straight to the server: a TestKit link carries deltas as they cross the wire, without the master's values
        var replica = StartReplica(master.Server, "c1");
        await replica.Ready.WaitAsync(Long);
        var t = (await master.TransactAsync("""[{:item/key "a" :item/n 1}]""").WaitAsync(Long)).T;
        await replica.SyncAsync(t).WaitAsync(Long);
        var masterDb = DbOf(master.Handle.Transactor);
        Assert.Equal(t, masterDb.BasisT);
        Assert.Equal(share, ReferenceEquals(masterDb, replica.SyncedDb));
        AssertReplicaEqualsMaster(master, replica);
    }
}
