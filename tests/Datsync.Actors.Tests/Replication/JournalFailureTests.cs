using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class JournalFailureTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_write_the_journal_refuses_faults_with_the_storage_category_and_a_later_write_commits()
    {
        var (master, server) = StartMaster("journal-reject");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 2).Select(i => StartReplica(server, "c" + i)).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);
        var t = MasterT(master);

        await Journal.OnWrite.Reject();
        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => replicas[0].TransactAsync("""[{:item/key "refused"}]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Storage, ex.Category);
        await Journal.OnWrite.Pass();
        Assert.Equal(t, MasterT(master));
        AwaitAssert(() => Assert.Equal(0, replicas[0].Status.PendingLocal), Long);
        Assert.Null(Lookup(replicas[0].Db, "item/key", "refused"));

        var ok = await replicas[0].TransactAsync("""[{:item/key "stored"}]""").WaitAsync(Long);
        Assert.Equal(t + 1, ok.T);
        AwaitEqual(master, replicas);
    }

    [Fact]
    public async Task Replicas_follow_a_transactor_that_restarts_after_a_journal_failure()
    {
        var (master, server) = StartMaster("journal-fail");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 2).Select(i => StartShimmedReplica(server, "f" + i, 90 + i, Faults.Default).Replica).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);
        Commit(master, """[{:item/key "before"}]""");

        await Journal.OnWrite.Fail(); // the transactor stops and its supervisor starts it again from the journal
        var failed = replicas[0].TransactAsync("""[{:item/key "lost"}]""");
        Assert.Equal(DatsyncErrors.Storage, (await Assert.ThrowsAsync<TxRejectedException>(() => failed.WaitAsync(Long))).Category);
        await Journal.OnWrite.Pass();

        var probe = CreateTestProbe();
        AwaitAssert(() => // until the restarted transactor answers
        {
            master.Transactor.Tell(GetDb.Instance, probe.Ref);
            probe.ExpectMsg<CurrentDb>(TimeSpan.FromSeconds(1));
        }, Long, TimeSpan.FromMilliseconds(300));
        Commit(master, """[{:item/key "after"}]""");
        await replicas[1].TransactAsync("""[{:item/key "from-replica"}]""").WaitAsync(Long);
        AwaitEqual(master, replicas);
        Assert.Null(Lookup(replicas[1].Db, "item/key", "lost"));
    }
}
