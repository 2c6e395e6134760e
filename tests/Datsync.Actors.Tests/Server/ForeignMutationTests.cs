using Datsync.Actors.Protocol;
using Datsync.Actors.Tests.Replication;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Server;

/// <summary>A client cannot send a mutation of another client's key: the master runs each key's mutations once and in
/// order, so a forged high number would make the owner's next ones look committed already.</summary>
public class ForeignMutationTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public void A_mutation_id_of_another_clients_key_is_refused_and_the_owners_mutations_go_on()
    {
        var (master, server) = StartMaster("foreign-mutation");
        Commit(master, SchemaEdn);
        var t = MasterT(master);

        var bob = CreateTestProbe();
        server.Tell(new Connect("bob", null, 1, null, "bob-key"), bob.Ref);
        bob.FishForMessage(m => m is Connected, Long);
        var session = bob.LastSender;
        session.Tell(new ToSession("bob-key", new SubmitTx("bob", "alice/0123456789abcdef#900", """[{:item/key "forged" :item/n 1}]""")), bob.Ref);
        var refused = bob.FishForMessage<TxRejected>(r => r.RequestId == "alice/0123456789abcdef#900", Long);
        Assert.Equal(DatsyncErrors.Refused, refused.Category);
        Assert.Contains("another client's key", refused.Message);
        Assert.Equal(t, MasterT(master));

        // alice's own first mutation of that key still runs (the forged number was never recorded)
        var alice = CreateTestProbe();
        server.Tell(new Connect("alice", null, 1, null, "alice-key"), alice.Ref);
        alice.FishForMessage(m => m is Connected, Long);
        alice.LastSender.Tell(new ToSession("alice-key", new SubmitTx("alice", "alice/0123456789abcdef#1", """[{:item/key "mine" :item/n 2}]""")), alice.Ref);
        var accepted = alice.FishForMessage<TxAccepted>(a => a.RequestId == "alice/0123456789abcdef#1", Long);
        Assert.Equal(t + 1, accepted.T);
        Assert.Equal(t + 1, MasterT(master));

        // bob's own mutation ids are taken
        session.Tell(new ToSession("bob-key", new SubmitTx("bob", "bob/fedcba9876543210#1", """[{:item/key "bobs" :item/n 3}]""")), bob.Ref);
        Assert.Equal(t + 2, bob.FishForMessage<TxAccepted>(a => a.RequestId == "bob/fedcba9876543210#1", Long).T);
    }
}
