using Akka.Actor;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ResumeTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_restarted_replica_started_from_the_value_it_held_resumes_from_its_t_without_a_bootstrap()
    {
        var (master, server) = StartMaster("resume-restart");
        Commit(master, SchemaEdn);
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var first = StartReplica(server, "c1");
        await first.Ready.WaitAsync(Long);
        AwaitEqual(master, first);
        Watch(first.Actor);
        Sys.Stop(first.Actor);
        ExpectTerminated(first.Actor, Long);
        var held = first.SyncedDb;

        for (var i = 10; i < 25; i++) Commit(master, $$"""[{:item/key "k{{i % 12}}" :item/n {{i}}}]""");
        Commit(master, """[[:db/retractEntity [:item/key "k0"]]]""");

        var (again, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, resumeFrom: held);
        await again.Ready.WaitAsync(Long);
        AwaitEqual(master, again);

        var stats = StatsOf(shim);
        Assert.NotEmpty(stats.Connected);
        Assert.All(stats.Connected, c => Assert.Equal(0, c.BootstrapChunks));
        Assert.Equal(held.BasisT, stats.Connected[0].BasisT);
        Assert.Equal(0, stats.Chunks);
        Assert.Null(Lookup(again.Db, "item/key", "k0"));
    }

    [Fact]
    public async Task A_restarted_replica_resuming_behind_faults_ends_equal_to_the_master_and_can_write()
    {
        var (master, server) = StartMaster("resume-faults");
        Commit(master, RichSchemaEdn);
        var (first, firstShim) = StartShimmedReplica(server, "c1", 11, Faults.Default);
        await first.Ready.WaitAsync(Long);
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        AwaitEqual(master, first);
        Watch(first.Actor);
        Sys.Stop(first.Actor);
        ExpectTerminated(first.Actor, Long);
        Sys.Stop(firstShim);

        for (var i = 10; i < 20; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var (again, shim) = StartShimmedReplica(server, "c1", 12, Faults.Default, resumeFrom: first.SyncedDb);
        await again.Ready.WaitAsync(Long);
        await again.SyncAsync(MasterT(master)).WaitAsync(Long);
        var result = await again.TransactAsync("""[{:db/id "n" :item/key "new" :item/ref [:item/key "k15"]}]""").WaitAsync(Long);
        AwaitEqual(master, again);
        Assert.Equal(Lookup(again.Db, "item/key", "k15"), again.Db.Datoms(IndexType.Eavt, result.Tempids["n"], Keyword.Intern("item/ref")).Single().V);
        Assert.All(StatsOf(shim).Connected, c => Assert.Equal(0, c.BootstrapChunks));
    }

    [Fact]
    public async Task A_replica_resuming_from_a_t_the_master_does_not_have_is_bootstrapped_again()
    {
        var (other, otherServer) = StartMaster("resume-ahead-other");
        Commit(other, SchemaEdn);
        for (var i = 0; i < 10; i++) Commit(other, $$"""[{:item/key "other{{i}}" :item/n {{i}}}]""");
        var ahead = StartReplica(otherServer, "x");
        await ahead.Ready.WaitAsync(Long);
        AwaitEqual(other, ahead);

        var (master, server) = StartMaster("resume-ahead");
        Commit(master, SchemaEdn);
        Commit(master, """[{:item/key "mine" :item/n 1}]""");
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, resumeFrom: ahead.SyncedDb);
        await replica.Ready.WaitAsync(Long);
        AwaitEqual(master, replica);
        Assert.Contains(StatsOf(shim).Connected, c => c.BootstrapChunks > 0);
        Assert.Null(Lookup(replica.Db, "item/key", "other3"));
        await replica.TransactAsync("""[{:item/key "after"}]""").WaitAsync(Long);
        AwaitEqual(master, replica);
    }
}
