using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>
/// A foreign actor system that holds no token sends every message of the protocol — the clients', the servers' and the
/// master's internal ones, through the wire serializer and through Akka's default one — to every actor it can name or
/// find, as itself and in the name of the master's own actors and of a legitimate replica. It learns nothing but
/// refusals, changes nothing on the master, and the legitimate replica connected meanwhile stays equal to the master.
/// </summary>
public sealed class ForeignSystemTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);


    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    private const string Evil = """[[:db/add "x" :person/name "evil"]]""";

    private readonly List<ActorSystem> _systems = new();
    private MasterSystem _server = null!;
    private string _address = "";

    public Task InitializeAsync()
    {
        _server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, RemoteTesting.Quick + "\n" + TestTokens.Clients(("alice", "a-token")));
        _systems.Add(_server.System);
        _address = DatsyncRemote.ListeningAt(_server.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromMinutes(1)); // a shutdown that hangs fails the test
    }

    private Task<TxAccepted> Commit(string edn) => RemoteTesting.Commit(_server, edn, Long);

    private Task<Db> MasterDb() => RemoteTesting.DbOf(_server, Long);


    /// <summary>Keeps whatever reaches the foreign system.</summary>
    private sealed class Collector(ConcurrentQueue<object> got) : ReceiveActor
    {
        protected override void Unhandled(object message) => got.Enqueue(message);

        public static Props Props(ConcurrentQueue<object> got) => Akka.Actor.Props.Create(() => new Collector(got));
    }

    /// <summary>A foreign system that reads and writes everything, the master's internal messages over Hyperion too
    /// when <paramref name="internalOverWire"/> (otherwise they go with Akka's default serializer).</summary>
    private ActorSystem Foreign(string name, bool internalOverWire)
    {
        var bindings = internalOverWire
            ? string.Join("\n", new[] { typeof(Transact), typeof(GetDb), typeof(CurrentDb), typeof(SubscribeLog), typeof(UnsubscribeLog),
                    typeof(LogAck), typeof(ResumeFrom), typeof(TxRange) }
                .Select(t => $"\"{t.FullName}, {t.Assembly.GetName().Name}\" = datsync-wire"))
            : "";
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.serialization-bindings { {{bindings}} }
            akka.actor.serialization-settings.datsync-wire.accept = both
            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            """).WithFallback(DatsyncRemote.RemoteConfig("127.0.0.1", 0)).WithFallback(DatsyncConfig.Default);
        var s = ActorSystem.Create(name, config);
        _systems.Add(s);
        return s;
    }

    private static IEnumerable<object> EveryMessage(Db masterDb)
    {
        var key = ChannelKeys.New();
        var evilTx = (IReadOnlyList<object?>)EdnReader.Read(Evil)!;
        var name = Keyword.Intern("person/name");
        var evilDelta = new TxDelta(1_000, DateTime.UtcNow, [new DeltaDatom(true, 4_000_000, name, "evil", false, 0)]);
        return
        [
            // the master's own messages
            new Transact("evil-1", evilTx), GetDb.Instance, new CurrentDb(Db.Empty), new SubscribeLog(0, true), new SubscribeLog(0),
            UnsubscribeLog.Instance, new LogAck(1_000), new ResumeFrom(0), new TxRange(1, 100),
            // what clients send, without a token or a key of their own
            new Connect("alice", null, long.MaxValue, null, key), new Connect("alice", 0, long.MaxValue, "wrong", key),
            new Connect("mallory", null, 1, "x", key), new Connect("alice", null, long.MaxValue, "a-token-guess"),
            new TransactOnce("alice", "wrong", "evil-2", Evil, key), new TransactOnce("alice", null, "evil-3", Evil),
            new ToSession(key, new SubmitTx("alice", "evil-4", Evil)), new ToSession(key, new DeltasApplied(1_000)),
            new ToSession(key, new DeltasWanted(1, 100)), new ToSession(key, new BootstrapAck(masterDb.BasisT, 0)),
            new ToSession(key, new SubmitTxPart("alice", "evil-5", 0, 1, System.Text.Encoding.UTF8.GetBytes(Evil))),
            new SubmitTx("alice", "evil-6", Evil), new DeltasApplied(1_000), new DeltasWanted(1, 100), new BootstrapAck(0, 0),
            // what servers send
            evilDelta, new TxDeltaBatch([evilDelta]), new TxRangeResult(1_000, 1_000, [evilDelta]),
            new TxDeltaPart(1_000, 0, 1, [1, 2, 3]), new SessionHeartbeat(1_000), new Connected(long.MaxValue, 0, 0, 1_000),
            new ConnectRefused(long.MaxValue, "go away"), new TxAccepted("x", 1_000, new Dictionary<object, long>(), []),
            new TxRejected("x", TxErrors.InvalidTxData, "no"), new FromSession(key, evilDelta),
            new FromSession(key, new TxDeltaBatch([evilDelta])), new FromSession(key, new ConnectRefused(long.MaxValue, "go away")),
            // Akka's own
            new Identify("direct"), PoisonPill.Instance, Kill.Instance,
        ];
    }

    [Fact]
    public async Task A_foreign_system_learns_nothing_and_changes_nothing_while_a_replica_stays_correct()
    {
        await Commit(Schema);
        await Commit("""[{:person/email "ivan@x" :person/name "Ivan"}]""");
        var clientSystem = DatsyncRemote.ClientSystem("alice-system", overrides: RemoteTesting.Quick);
        _systems.Add(clientSystem);
        var replica = DatsyncReplica.Connect(clientSystem, _address, "alice", "a-token");
        await replica.Ready.WaitAsync(Long);

        var masterAddress = ((ExtendedActorSystem)_server.System).Provider.DefaultAddress;
        var replicaAddress = ((ExtendedActorSystem)clientSystem).Provider.DefaultAddress;
        var before = await MasterDb();

        foreach (var (foreign, internalOverWire) in new[] { (Foreign("mallory-wire", true), true), (Foreign("mallory-json", false), false) })
        {
            var got = new ConcurrentQueue<object>();
            var collector = foreign.ActorOf(Collector.Props(got), "collector");
            var provider = ((ExtendedActorSystem)foreign).Provider;

            // what it can find by asking: every actor path an actor selection reaches
            var found = new List<string>();
            foreach (var pattern in new[] { "/user/*", "/user/*/*", "/user/*/*/*", "/system/*", "/system/*/*", "/*" })
            {
                var ids = await Discover(foreign, $"{masterAddress}{pattern}");
                found.AddRange(ids);
            }
            // and what it can name
            var named = new[]
            {
                "/user/datsync-server", "/user/datsync-master", "/user/datsync-master/transactor", "/user/datsync-master-log",
                "/user/datsync-server/session-alice", "/system/akka.persistence.journal.inmem", "/system/remote-watcher", "/system/endpointManager",
                // the master's own journal and snapshot store (plugin actors are named by their plugin id)
                "/system/" + StorageOptions.JournalPluginId, "/system/" + StorageOptions.SnapshotStorePluginId,
            }.Select(p => masterAddress + p).Concat([replicaAddress + replica.Actor.Path.ToStringWithoutAddress()]);
            var targets = found.Concat(named).Distinct().ToList();
            var senders = new List<IActorRef> { collector };
            senders.AddRange(new[] { "/user/datsync-server", "/user/datsync-master/transactor", "/user/datsync-master-log", "/user/datsync-server/session-alice" }
                .Select(p => provider.ResolveActorRef(masterAddress + p)));
            senders.Add(provider.ResolveActorRef(replicaAddress + replica.Actor.Path.ToStringWithoutAddress()));

            foreach (var target in targets)
            {
                var to = provider.ResolveActorRef(target);
                foreach (var message in EveryMessage(before))
                foreach (var sender in senders)
                {
                    if (message is PoisonPill or Kill && !sender.Equals(collector)) continue;
                    to.Tell(message, sender);
                }
                foreign.ActorSelection(target).Tell(new Transact("evil-sel", (IReadOnlyList<object?>)EdnReader.Read(Evil)!), collector);
                foreign.ActorSelection(target).Tell(PoisonPill.Instance, collector);
            }

            // a barrier: the foreign system's messages were dispatched in order before the server answers this
            await Discover(foreign, masterAddress + "/user/datsync-server");
            var barrier = await Commit($$"""[{:person/email "barrier-{{internalOverWire}}@x" :person/name "B"}]""");

            // it learned nothing: refusals, and the door itself, are all that came back
            foreach (var m in got)
            {
                var inner = m is FromSession f ? f.Message : m;
                var allowed = inner switch
                {
                    ConnectRefused => true,
                    TxRejected r => r.Category == DatsyncErrors.Refused,
                    ActorIdentity { Subject: null } => true,
                    ActorIdentity { Subject: Nobody } => true, // its own dead letters, once a guard closed its connection
                    ActorIdentity { Subject: { } s } => s.Path.ToStringWithoutAddress() == "/user/datsync-server",
                    _ => false,
                };
                Assert.True(allowed, $"the foreign system ({(internalOverWire ? "wire" : "json")}) got {inner}");
            }
            Assert.Contains(got, m => (m is FromSession f ? f.Message : m) is ConnectRefused);

            // it changed nothing: the master holds only what was committed here, and every actor still works
            var after = await MasterDb();
            Assert.DoesNotContain(RemoteTesting.All(after), d => d.Contains("evil"));
            Assert.Equal(barrier.T, after.BasisT);
            Assert.Equal(before.BasisT + (internalOverWire ? 1 : 2), after.BasisT);

            // the legitimate replica follows, equal to the master and free of anything the foreign system sent it
            await replica.SyncAsync(barrier.T).WaitAsync(Long);
            Assert.Equal(RemoteTesting.All(after), RemoteTesting.All(replica.SyncedDb));
            Assert.Equal(ConnectionState.Connected, replica.Status.Connection);
        }

        // and it still writes
        var written = await replica.TransactAsync("""[{:db/id "a" :person/email "anna@x" :person/name "Anna"}]""").WaitAsync(Long);
        await replica.SyncAsync(written.T).WaitAsync(Long);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));
    }

    /// <summary>The paths an Identify through an actor selection of <paramref name="path"/> finds.</summary>
    private static async Task<List<string>> Discover(ActorSystem foreign, string path)
    {
        var found = new List<string>();
        var inbox = Inbox.Create(foreign);
        foreign.ActorSelection(path).Tell(new Identify(path), inbox.Receiver);
        try
        {
            // answers come while there are any; a selection nobody answers ends the wait
            while (true)
            {
                var reply = await inbox.ReceiveAsync(TimeSpan.FromSeconds(2));
                if (reply is ActorIdentity { Subject: { } s }) found.Add(s.Path.ToString());
            }
        }
        catch (TimeoutException) { }
        return found;
    }
}
