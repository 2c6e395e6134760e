using Datsync.Actors.Protocol;
using Datsync.Actors.Server;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ReplicaAckTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public void A_replica_sent_only_deltas_it_holds_acknowledges_its_t_again()
    {
        // the log's deltas 1..20, made as the listener makes them
        var db = Db.Empty;
        var deltas = new List<TxDelta>();
        var txs = new List<string> { SchemaEdn };
        for (var i = 2; i <= 20; i++) txs.Add($$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        foreach (var edn in txs)
        {
            var report = db.Transact(edn);
            db = report.DbAfter;
            deltas.Add(TxDelta.From(db, report.T, report.TxData));
        }

        // a probe plays the server and the session: the replica bootstraps from the empty value, then gets the log
        var session = CreateTestProbe();
        var replica = StartReplica(session.Ref, "ack");
        var connect = session.ExpectMsg<Connect>(Long);
        var image = BootstrapImage.Of(Db.Empty, 64_000);
        replica.Actor.Tell(new Connected(connect.Attempt, image.BasisT, image.Chunks.Count, image.BasisT), session.Ref);
        replica.Actor.Tell(new BootstrapChunk(image.BasisT, 0, 1, image.Chunks[0]), session.Ref);
        foreach (var d in deltas) replica.Actor.Tell(d, session.Ref);
        AwaitCondition(() => replica.Status.BasisT == 20, Long); // it acknowledged t=15 (every 16 applied), not 20

        // the log resubscribed it from an older acknowledgement and sends what it already holds: it says where it is
        foreach (var d in deltas.Skip(10)) replica.Actor.Tell(d, session.Ref);
        session.FishForMessage(m => m is ToSession { Request: DeltasApplied { T: 20 } }, Long);
    }
}
