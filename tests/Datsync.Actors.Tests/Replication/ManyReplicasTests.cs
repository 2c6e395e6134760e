using Datsync.Actors.Replica;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ManyReplicasTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_hundred_replicas_converge_on_the_masters_state()
    {
        var (master, server) = StartMaster("many");
        Commit(master, RichSchemaEdn);
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "before{{i}}" :item/n {{i}}}]""");
        var settings = QuickReplica with { RetryInterval = TimeSpan.FromMilliseconds(300) };
        var replicas = Enumerable.Range(0, 100).Select(i => StartReplica(server, "m" + i, settings)).ToList();
        for (var i = 0; i < 20; i++) Commit(master, $$"""[{:item/key "during{{i % 7}}" :item/n {{i}}}]""");
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);

        var writes = replicas.Where((_, i) => i % 10 == 0)
            .Select((r, j) => r.TransactAsync($$"""[{:db/id "n" :item/key "from{{j}}" :item/ref [:item/key "before{{j}}"]}]""")).ToList();
        await Task.WhenAll(writes).WaitAsync(Long);
        Commit(master, """[[:db/retractEntity [:item/key "during3"]]]""");

        var db = DbOf(master.Transactor);
        var expected = AllDatoms(db);
        AwaitAssert(() =>
        {
            foreach (var r in replicas)
            {
                Assert.Equal(db.BasisT, r.Status.BasisT);
                Assert.Equal(expected, AllDatoms(r.SyncedDb));
            }
        }, Long, TimeSpan.FromMilliseconds(100));
        Assert.All(replicas, r => Assert.Equal(ConnectionState.Connected, r.Status.Connection));
    }
}
