using Akka.Actor;
using Datsync.Actors.Master;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A failure of the log listener restarts it; its subscribers (the sessions) are told to resume from what
/// they acknowledged, and every replica keeps following the master.</summary>
public class ListenerRestartTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task Replicas_keep_following_the_master_across_a_restart_of_the_log_listener()
    {
        var (master, server) = StartMaster("listener-restart");
        Commit(master, SchemaEdn);
        var replicas = Enumerable.Range(0, 3).Select(i => StartReplica(server, "l" + i)).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);
        for (var i = 0; i < 5; i++) Commit(master, $$"""[{:item/key "before-{{i}}" :item/n {{i}}}]""");
        AwaitEqual(master, replicas);

        master.Listener.Tell(TxListenerActor.FailForTest.Instance); // it throws: its supervisor restarts it
        for (var i = 0; i < 20; i++) Commit(master, $$"""[{:item/key "after-{{i}}" :item/n {{i}}}]""");
        AwaitEqual(master, replicas);
    }
}

/// <summary>A failure of a client session restarts it; its replica connects again and keeps following the master.</summary>
public class SessionRestartTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_comes_back_after_a_restart_of_its_session_and_keeps_following_and_writing()
    {
        var (master, server) = StartMaster("session-restart");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "s1");
        await replica.Ready.WaitAsync(Long);
        var session = await Sys.ActorSelection(server.Path / Datsync.Actors.Server.DatsyncServerActor.SessionName("s1")).ResolveOne(Long);

        session.Tell(Datsync.Actors.Server.FailForTest.Instance); // it throws: the server restarts it
        for (var i = 0; i < 10; i++) Commit(master, $$"""[{:item/key "k-{{i}}" :item/n {{i}}}]""");
        AwaitEqual(master, replica);
        var written = await replica.TransactAsync("""[{:db/id "a" :item/key "mine" :item/n 1}]""").WaitAsync(Long);
        AwaitEqual(master, replica);
        Assert.Equal(written.T, replica.Status.BasisT);
    }
}
