using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Cluster;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Actors.Tests.Cluster;

/// <summary>A cluster node's master as its sessions see it: transactions go to the cluster's transactor as EDN, are sent
/// again while unanswered, and each caller hears the transactor's one answer, never one the node made up.</summary>
public class NodeMasterTests() : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.loglevel = WARNING
    datsync.cluster.resend-after = 300ms
    """).WithFallback(DatsyncConfig.Default))
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private (IActorRef Node, Akka.TestKit.TestProbe Transactor) StartNode(TimeSpan? resendAfter = null)
    {
        var transactor = CreateTestProbe();
        transactor.IgnoreMessages(m => m is Connect); // the node's copy connecting: not this test's
        var settings = ClusterSettings.From(Sys.Settings.Config);
        if (resendAfter is { } r) settings = settings with { ResendAfter = r };
        var node = Sys.ActorOf(NodeMasterActor.Props(transactor.Ref, CreateTestProbe().Ref, ReplicaSettings.From(Sys.Settings.Config), settings, new MasterHealth(), null));
        return (node, transactor);
    }

    private static readonly IReadOnlyList<object?> Forms = Tx.Parse("""[{:db/id "p" :person/name "Ivan" :person/age 37} [:db/add "p" :person/tags #{"a" "b"}]]""");

    [Fact]
    public void A_transaction_goes_to_the_cluster_transactor_as_its_edn_and_is_sent_again_until_answered()
    {
        var (node, transactor) = StartNode();
        node.Tell(new Transact("req-1", Forms, "{:datsync/client \"alice\"}") { Identity = ClientIdentity.Of("alice", "admin") });

        var first = transactor.ExpectMsg<ClusterTransact>(Long);
        Assert.Equal("req-1", first.RequestId);
        Assert.Equal("alice", first.ClientId);
        Assert.Equal("{:datsync/client \"alice\"}", first.TxMeta);
        Assert.Equal(EdnPrinter.Print(Forms), EdnPrinter.Print(Tx.Parse(first.TxEdn)));
        // unanswered (a transactor failing over): the same request again, nothing answered meanwhile
        var again = transactor.ExpectMsg<ClusterTransact>(Long);
        Assert.Equal(first, again);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        transactor.Reply(new TxAccepted("req-1", 7, new Dictionary<object, long> { ["p"] = 1001 }, []));
        var accepted = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(7, accepted.T);
        Assert.Equal(1001, accepted.Tempids["p"]);
        // answered: no more sends, and a second answer (to the request sent again) reaches no one
        transactor.Reply(new TxAccepted("req-1", 7, new Dictionary<object, long>(), []));
        ExpectNoMsg(TimeSpan.FromMilliseconds(700));
        transactor.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_request_sent_again_while_waiting_is_sent_once_and_both_callers_hear_the_one_answer()
    {
        var (node, transactor) = StartNode();
        var other = CreateTestProbe();
        node.Tell(new Transact("req-2", Forms));
        node.Tell(new Transact("req-2", Forms), other.Ref);
        transactor.ExpectMsg<ClusterTransact>(m => m.RequestId == "req-2", Long);
        transactor.Reply(new TxRejected("req-2", TxErrors.UniqueConflict, "taken"));
        Assert.Equal(TxErrors.UniqueConflict, ExpectMsg<TxRejected>(Long).Category);
        Assert.Equal(TxErrors.UniqueConflict, other.ExpectMsg<TxRejected>(Long).Category);
    }

    [Fact]
    public void A_restarted_node_master_sends_what_it_waited_for_again_and_its_callers_hear_the_answer()
    {
        var (node, transactor) = StartNode(resendAfter: TimeSpan.FromHours(1)); // no resend by the timer in this test
        node.Tell(new Transact("req-3", Forms));
        transactor.ExpectMsg<ClusterTransact>(m => m.RequestId == "req-3", Long);
        node.Tell(NodeMasterActor.FailForTest.Instance);

        transactor.ExpectMsg<ClusterTransact>(m => m.RequestId == "req-3", Long); // the next instance sends it again
        transactor.Reply(new TxAccepted("req-3", 9, new Dictionary<object, long>(), []));
        Assert.Equal(9, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public void The_nodes_value_is_given_only_once_its_copy_holds_one()
    {
        var (node, _) = StartNode();
        node.Tell(GetDb.Instance);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // the copy has not bootstrapped: nobody gets an empty master
    }
}
