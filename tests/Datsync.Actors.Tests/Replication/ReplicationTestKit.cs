using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Tests.Master;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A master, its server and replicas in the test's actor system, with quick retry settings.</summary>
public abstract class ReplicationTestKit(ITestOutputHelper output) : MasterTestKit(output)
{
    protected static readonly ReplicaSettings QuickReplica = new(TimeSpan.FromMilliseconds(100), 16, TimeSpan.FromSeconds(3));
    protected static readonly SessionSettings QuickSession = SessionSettings.Default with { HeartbeatInterval = TimeSpan.FromMilliseconds(100) };

    protected (MasterHandle Master, IActorRef Server) StartMaster(string id, SessionSettings? session = null, int recent = 10_000, int buffer = 1024)
    {
        var master = DatsyncMaster.Start(Sys, Settings(id, buffer: buffer, recent: recent), id);
        var server = DatsyncMaster.StartServer(Sys, master, session ?? QuickSession, id + "-server");
        return (master, server);
    }

    protected DatsyncReplica StartReplica(IActorRef server, string clientId, ReplicaSettings? settings = null) =>
        DatsyncReplica.Start(Sys, server, clientId, settings ?? QuickReplica, "r-" + clientId + "-" + Guid.NewGuid().ToString("N")[..6]);

    protected TxAccepted Commit(MasterHandle master, string edn)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(Tx(Guid.NewGuid().ToString("N"), edn), probe.Ref);
        return probe.ExpectMsg<TxAccepted>(Long);
    }

    /// <summary>Waits until the replica's synced value holds exactly the master's datoms at the master's t.</summary>
    protected void AwaitEqual(MasterHandle master, DatsyncReplica replica)
    {
        var db = DbOf(master.Transactor);
        AwaitAssert(() =>
        {
            Assert.Equal(db.BasisT, replica.Status.BasisT);
            Assert.Equal(AllDatoms(db), AllDatoms(replica.SyncedDb));
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Every current datom (schema and transaction entities included) as (e, a, v).</summary>
    protected static List<(long, int, string)> AllDatoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, EdnPrinter.Print(d.V))).ToList();
}
