using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class FaultToleranceTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task Replicas_behind_drops_duplicates_delays_and_reordering_end_equal_to_the_master()
    {
        var (master, server) = StartMaster("faults-follow");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 4)
            .Select(i => StartShimmedReplica(server, "c" + i, 7 + i, FaultRates.Default with { Drop = 0.15, Delay = 0.3 })).ToList();
        for (var i = 0; i < 60; i++)
        {
            Commit(master, $$"""[{:item/key "k{{i % 17}}" :item/n {{i}} :item/refs [{:item/key "r{{i}}"}]}]""");
            if (i % 10 == 9) Commit(master, $$"""[[:db/retractEntity [:item/key "k{{i % 17}}"]]]""");
        }
        foreach (var (r, _) in replicas) await r.Ready.WaitAsync(Long);
        AwaitEqual(master, replicas.Select(r => r.Replica));
        var stats = replicas.Select(r => StatsOf(r.Shim)).ToList();
        Assert.True(stats.Sum(s => s.Dropped) > 0 && stats.Sum(s => s.Duplicated) > 0 && stats.Sum(s => s.Delayed) > 0,
            "every kind of fault happened");
    }

    [Fact]
    public async Task Writes_through_replicas_behind_faults_commit_exactly_once_and_every_replica_converges()
    {
        var (master, server) = StartMaster("faults-write");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 3).Select(i => StartShimmedReplica(server, "w" + i, 31 + i, FaultRates.Default)).ToList();
        foreach (var (r, _) in replicas) await r.Ready.WaitAsync(Long);
        var writes = new List<Task<ReplicaTxResult>>();
        for (var i = 0; i < 15; i++)
            for (var j = 0; j < replicas.Count; j++)
                writes.Add(replicas[j].Replica.Submit($$"""[{:db/id "x" :item/key "w{{j}}-{{i}}" :item/n 1} [:db/add "x" :item/refs "y"] {:db/id "y" :item/key "y{{j}}-{{i}}"}]"""));
        var results = await Task.WhenAll(writes).WaitAsync(Long);

        Assert.Equal(results.Length, results.Select(r => r.T).Distinct().Count()); // one commit per write
        AwaitEqual(master, replicas.Select(r => r.Replica));
        var db = DbOf(master.Transactor);
        Assert.Equal(results.Length * 2, db.Datoms(IndexType.Aevt, Keyword.Intern("item/key")).Count());
        foreach (var r in results)
            Assert.Equal(r.Tempids["y"], db.Datoms(IndexType.Eavt, r.Tempids["x"], Keyword.Intern("item/refs")).Single().V);
    }

    [Fact]
    public async Task A_replica_whose_faults_are_turned_off_catches_up_at_once()
    {
        var (master, server) = StartMaster("faults-off");
        Commit(master, SchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 5, new FaultRates(0.5, 0.2, 0.2));
        for (var i = 0; i < 30; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        shim.Tell(new FaultShim.SetRates(FaultRates.None));
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
    }
}
