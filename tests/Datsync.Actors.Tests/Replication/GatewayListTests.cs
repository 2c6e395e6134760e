using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A replica that knows several servers of one master (a cluster's gateways) moves to the next when one does
/// not answer or goes quiet.</summary>
public class GatewayListTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    [Fact]
    public async Task A_replica_whose_first_gateway_never_answers_connects_through_the_next()
    {
        var (master, server) = StartMaster("gw-list");
        Commit(master, "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
        var silent = CreateTestProbe();
        var replica = DatsyncReplica.Start(Sys, silent.Ref, "c1", QuickReplica, "r-gw", alsoServers: [server]);

        silent.ExpectMsg<Connect>(Long); // asked first, never answers
        await replica.Ready.WaitAsync(Long);
        Assert.Equal(1, replica.Status.BasisT);
        var r = await replica.TransactAsync("[{:person/name \"Ivan\"}]").WaitAsync(Long);
        Assert.Equal(2, r.T);
    }

    [Fact]
    public async Task A_replica_whose_gateway_goes_quiet_connects_through_the_other_and_resumes_from_its_t()
    {
        var (master, server) = StartMaster("gw-quiet");
        Commit(master, "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
        // the first gateway: it hands handshakes to the server until it goes away
        var gate = Sys.ActorOf(Props.Create(() => new Gate(server)), "gate");
        var replica = DatsyncReplica.Start(Sys, gate, "c2", QuickReplica, "r-quiet", alsoServers: [server]);
        await replica.Ready.WaitAsync(Long);
        var firstSession = await Sys.ActorSelection(server.Path / DatsyncServerActor.SessionName("c2")).ResolveOne(Long);
        gate.Tell(Gate.Close.Instance);
        firstSession.Tell(PoisonPill.Instance); // the gateway's session is gone with it

        var r = await replica.TransactAsync("[{:person/name \"Ivan\"}]").WaitAsync(Long);
        Assert.Equal(2, r.T);
        Assert.Equal(ConnectionState.Connected, replica.Status.Connection);
        Assert.Equal(Datoms(master), replica.SyncedDb.Datoms(Datsync.Core.IndexType.Eavt).Select(d => d.ToString()).ToList());
    }

    private List<string> Datoms(Datsync.Actors.Master.MasterHandle master) =>
        master.Transactor.Ask<CurrentDb>(GetDb.Instance, Long).Result.Db.Datoms(Datsync.Core.IndexType.Eavt).Select(d => d.ToString()).ToList();

    /// <summary>Forwards handshakes to the server until closed, then drops them (a gateway that went away).</summary>
    private sealed class Gate : ReceiveActor
    {
        public sealed record Close
        {
            public static readonly Close Instance = new();
        }

        public Gate(IActorRef server)
        {
            var open = true;
            Receive<Close>(_ => open = false);
            ReceiveAny(m => { if (open) server.Forward(m); });
        }
    }
}
