using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>Replicas behind the TestKit's faulty links end equal to the master.</summary>
public class FaultToleranceTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task Replicas_behind_drops_duplicates_delays_and_reordering_end_equal_to_the_master()
    {
        var master = await StartMasterAsync("faults-follow");
        await master.TransactAsync(RichSchemaEdn).WaitAsync(Long);
        // bootstrapping while the master commits
        var connecting = Enumerable.Range(0, 4)
            .Select(i => ConnectReplicaAsync(master, "c" + i, new Faults(Seed: 7 + i, Drop: 0.15, Duplicate: 0.1, Delay: 0.3, Reorder: 0.1))).ToList();
        for (var i = 0; i < 60; i++)
        {
            await master.TransactAsync($$"""[{:item/key "k{{i % 17}}" :item/n {{i}} :item/refs [{:item/key "r{{i}}"}]}]""").WaitAsync(Long);
            if (i % 10 == 9) await master.TransactAsync($$"""[[:db/retractEntity [:item/key "k{{i % 17}}"]]]""").WaitAsync(Long);
        }
        var replicas = await Task.WhenAll(connecting).WaitAsync(Long);
        await AwaitConvergedAsync(master, replicas);
        foreach (var r in replicas) AssertReplicaEqualsMaster(master, r);
        var stats = await Task.WhenAll(replicas.Select(r => Link(r).StatsAsync()));
        Assert.True(stats.Sum(s => s.Dropped) > 0 && stats.Sum(s => s.Duplicated) > 0 && stats.Sum(s => s.Delayed) > 0 && stats.Sum(s => s.Reordered) > 0,
            "every kind of fault happened");
    }

    [Fact]
    public async Task Writes_through_replicas_behind_faults_commit_exactly_once_and_every_replica_converges()
    {
        var master = await StartMasterAsync("faults-write");
        await master.TransactAsync(RichSchemaEdn).WaitAsync(Long);
        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ConnectReplicaAsync(master, "w" + i, Faults.Default with { Seed = 31 + i })));
        var writes = new List<Task<ReplicaTxResult>>();
        for (var i = 0; i < 15; i++)
            for (var j = 0; j < replicas.Length; j++)
                writes.Add(replicas[j].Submit($$"""[{:db/id "x" :item/key "w{{j}}-{{i}}" :item/n 1} [:db/add "x" :item/refs "y"] {:db/id "y" :item/key "y{{j}}-{{i}}"}]"""));
        var results = await Task.WhenAll(writes).WaitAsync(Long);

        Assert.Equal(results.Length, results.Select(r => r.T).Distinct().Count()); // one commit per write
        await AwaitConvergedAsync(master, replicas);
        foreach (var r in replicas) AssertReplicaEqualsMaster(master, r);
        var db = master.Db;
        Assert.Equal(results.Length * 2, db.Datoms(IndexType.Aevt, Keyword.Intern("item/key")).Count());
        foreach (var r in results)
            Assert.Equal(r.Tempids["y"], db.Datoms(IndexType.Eavt, r.Tempids["x"], Keyword.Intern("item/refs")).Single().V);
    }

    [Fact]
    public async Task A_replica_whose_faults_are_turned_off_catches_up_at_once()
    {
        var master = await StartMasterAsync("faults-off");
        await master.TransactAsync(SchemaEdn).WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "c1", new Faults(Seed: 5, Drop: 0.5, Duplicate: 0.2, Delay: 0.2));
        for (var i = 0; i < 30; i++) await master.TransactAsync($$"""[{:item/key "k{{i}}" :item/n {{i}}}]""").WaitAsync(Long);
        Link(replica).SetFaults(Faults.None);
        await AwaitConvergedAsync(master, replica);
        AssertReplicaEqualsMaster(master, replica);
    }
}
