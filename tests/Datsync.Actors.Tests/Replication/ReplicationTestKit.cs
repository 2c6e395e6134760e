using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Master;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A master, its server and replicas in the test's actor system, with quick retry settings (the TestKit's);
/// the replicas' links are the TestKit's fault shims.</summary>
public abstract class ReplicationTestKit(ITestOutputHelper output) : MasterTestKit(output)
{
    private protected (MasterHandle Master, IActorRef Server) StartMaster(string id, SessionSettings? session = null, int recent = 10_000, int buffer = 1024,
        ClientAccess? access = null, ServerScopes? scopes = null)
    {
        var master = MasterRuntime.Start(Sys, Settings(id, buffer: buffer, recent: recent) with { Scopes = scopes }, id);
        var server = MasterRuntime.StartServer(Sys, master, (session ?? QuickSession) with { Scopes = scopes }, access, id + "-server");
        return (master, server);
    }

    /// <summary>A scoped master and its server, with <paramref name="txs"/> committed in order.</summary>
    private protected (MasterHandle Master, IActorRef Server) StartMaster(string id, ServerScopes scopes, params string[] txs)
    {
        var (master, server) = StartMaster(id, scopes: scopes);
        foreach (var tx in txs) Commit(master, tx);
        return (master, server);
    }

    private protected DatsyncReplica StartReplica(IActorRef server, string clientId, ReplicaSettings? settings = null, Db? resumeFrom = null,
        string? resumeDatabaseId = null) =>
        DatsyncReplica.Start(Sys, server, clientId, settings ?? QuickReplica, "r-" + clientId + "-" + Guid.NewGuid().ToString("N")[..6], resumeFrom,
            resumeDatabaseId: resumeDatabaseId);

    /// <summary>A replica that reaches the server through a <see cref="FaultShim"/> with the given seed and faults.</summary>
    private protected (DatsyncReplica Replica, IActorRef Shim) StartShimmedReplica(IActorRef server, string clientId, int seed, Faults faults,
        ReplicaSettings? settings = null, Db? resumeFrom = null, Func<object, bool>? dropWhere = null, Func<object, bool>? holdWhere = null,
        string? resumeDatabaseId = null)
    {
        var (replica, link) = StartLinkedReplica(server, clientId, faults with { Seed = seed }, settings ?? QuickReplica, resumeFrom, dropWhere, holdWhere,
            resumeDatabaseId);
        return (replica, link.Shim);
    }

    /// <summary>A probe plays the transactor and another the log; a third connects through the server as a replica.</summary>
    private protected (Akka.TestKit.TestProbe Transactor, Akka.TestKit.TestProbe Listener, IActorRef Server) ProbedServer(SessionSettings? settings = null)
    {
        var transactor = CreateTestProbe();
        var listener = CreateTestProbe();
        var server = Sys.ActorOf(DatsyncServerActor.Props(new MasterHandle(transactor.Ref, listener.Ref), settings ?? QuickSession));
        return (transactor, listener, server);
    }

    /// <summary>Connects <paramref name="replica"/> through the server and answers the session's GetDb: it resumes at t=0.</summary>
    private protected IActorRef Handshake(Akka.TestKit.TestProbe transactor, IActorRef server, Akka.TestKit.TestProbe replica, string clientId, string key)
    {
        server.Tell(new Connect(clientId, 0, 1, null, key), replica.Ref);
        transactor.ExpectMsg<GetDb>(Long);
        var session = transactor.LastSender;
        transactor.Reply(new CurrentDb(Db.Empty));
        replica.FishForMessage(m => m is Connected, Long);
        return session;
    }

    private protected FaultShim.Stats StatsOf(IActorRef shim) => shim.Ask<FaultShim.Stats>(FaultShim.GetStats.Instance, Long).Result;

    private protected TxAccepted Commit(MasterHandle master, IReadOnlyList<object?> forms)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(new Transact(Guid.NewGuid().ToString("N"), forms), probe.Ref);
        var reply = probe.ExpectMsg<object>(Long);
        return reply as TxAccepted ?? throw new Xunit.Sdk.XunitException($"the master rejected a test transaction: {reply}");
    }

    /// <summary>Commits and returns the outcome, accepted or rejected.</summary>
    private protected object TryCommit(MasterHandle master, IReadOnlyList<object?> forms)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(new Transact(Guid.NewGuid().ToString("N"), forms), probe.Ref);
        return probe.ExpectMsg<object>(Long);
    }

    /// <summary>Waits until every replica's synced value holds exactly the master's datoms at the master's t.</summary>
    private protected void AwaitEqual(MasterHandle master, IEnumerable<DatsyncReplica> replicas)
    {
        foreach (var r in replicas) AwaitEqual(master, r);
    }

    private protected TxAccepted Commit(MasterHandle master, string edn)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(Tx(Guid.NewGuid().ToString("N"), edn), probe.Ref);
        return probe.ExpectMsg<TxAccepted>(Long);
    }

    /// <summary>Waits until the replica's synced value holds exactly the master's datoms at the master's t.</summary>
    private protected void AwaitEqual(MasterHandle master, DatsyncReplica replica)
    {
        var db = DbOf(master.Transactor);
        AwaitAssert(() =>
        {
            Assert.Equal(db.BasisT, replica.Status.BasisT);
            if (Difference(db, replica.SyncedDb) is { } difference) throw new Xunit.Sdk.XunitException(difference);
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>A schema with refs, component refs (nested two deep), a unique value and a cardinality-many attribute.</summary>
    protected const string RichSchemaEdn = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :item/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
         {:db/ident :item/ref :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
         {:db/ident :item/refs :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
         {:db/ident :order/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :order/lines :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
         {:db/ident :line/sku :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :line/detail :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/isComponent true}
         {:db/ident :detail/note :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    protected static IReadOnlyList<object?> Forms(string edn) => (IReadOnlyList<object?>)EdnReader.Read(edn)!;

    /// <summary>The master's current t.</summary>
    private protected long MasterT(MasterHandle master) => DbOf(master.Transactor).BasisT;

    /// <summary>The entity id of [attr value] in a value, or null.</summary>
    protected static long? Lookup(Db db, string attr, object value) => db.EntId(new object?[] { Keyword.Intern(attr), value });

    /// <summary>Every current datom (schema and transaction entities included) as (e, a, v).</summary>
    protected static List<(long, int, string)> AllDatoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, EdnPrinter.Print(d.V))).ToList();
}
