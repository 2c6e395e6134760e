using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replica;

/// <summary>
/// The offline property: replicas with local stores write through fault shims (drops, duplicates, delays, reorders)
/// while a random schedule cuts their links (bursts of drops), crashes them (their actor stopped at once, a new one
/// started on the same store) and restarts their SQLite master (its actor system terminated and started again on the
/// same file, under the live replicas). After reconnection every replica equals the master, every outbox is empty,
/// and the master holds every acknowledged local transaction exactly once, and every one a crashed replica had taken
/// (in its view, so in its outbox) exactly once too.
/// </summary>
/// <remarks>Exactly once is counted, not inferred from final values: <c>:w/id</c> is not unique, so a write committed
/// twice would leave two entities with its id.</remarks>
public sealed class OfflinePropertyTests(ITestOutputHelper output) : ReplicationTestKit(output), IDisposable
{
    private const string WriteSchema = """
        [{:db/ident :w/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :w/client :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :w/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("datsync-offprop-");

    /// <summary>Where the replicas' links send their handshakes: the server of the master now running (none while it
    /// is down: a handshake then is lost, and the replica asks again).</summary>
    private sealed class ServerProxy : UntypedActor
    {
        public sealed record PointAt(IActorRef? Server);

        private IActorRef? _server;

        protected override void OnReceive(object message)
        {
            if (message is PointAt p)
            {
                _server = p.Server;
                Sender.Tell(p);
                return;
            }
            _server?.Forward(message);
        }
    }

    /// <summary>One local write: its id, the client and incarnation that took it, and its caller's task.</summary>
    private sealed record Write(string Id, string Client, long N, int Incarnation, Task<TxResult> Task)
    {
        /// <summary>Seen in the view of its replica just before that replica was crashed (so in its outbox, or
        /// committed).</summary>
        public bool TakenBeforeCrash { get; set; }

        public bool Crashed { get; set; }
    }

    private sealed class Client(string id, string store)
    {
        public string Id { get; } = id;
        public string Store { get; } = store;
        public DatsyncReplica Replica { get; set; } = null!;
        public IActorRef Shim { get; set; } = null!;
        public int Incarnation { get; set; }
        public long Next { get; set; }
        public bool Dropping { get; set; }
    }

    private static readonly string MasterHocon = "akka.loglevel = WARNING\n" + DatsyncTestKit.QuickHocon;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task After_disconnects_replica_crashes_and_master_restarts_every_replica_equals_the_master_which_holds_every_acknowledged_write_once(
        int seed)
    {
        var rng = new Random(seed);
        var log = new List<string>();
        string Where(string what) => $"seed {seed}: {what}\nschedule:\n  " + string.Join("\n  ", log.TakeLast(80));

        var masterDir = _root.CreateSubdirectory("master");
        var proxy = Sys.ActorOf(Props.Create(() => new ServerProxy()), "server-proxy-" + seed);
        var generation = 0;
        MasterSystem? master = null;

        async Task StartMasterSystem()
        {
            master = MasterRuntime.StartSystem($"offprop-{seed}-{++generation}", new SqliteStorage(masterDir.FullName), MasterHocon);
            await master.Master.Recovered(Long);
            await proxy.Ask<ServerProxy.PointAt>(new ServerProxy.PointAt(master.Server), Long);
        }

        async Task StopMasterSystem()
        {
            await proxy.Ask<ServerProxy.PointAt>(new ServerProxy.PointAt(null), Long);
            await master!.DisposeAsync();
            master = null;
        }

        await StartMasterSystem();
        Commit(master!.Master, WriteSchema);
        var schemaT = MasterT(master.Master);

        var clientCount = 2 + rng.Next(2);
        var faults = new Faults(Drop: rng.NextDouble() * 0.15, Duplicate: rng.NextDouble() * 0.1, Delay: rng.NextDouble() * 0.2,
            Reorder: rng.NextDouble() * 0.1, MaxDelayMs: 30);
        log.Add($"{clientCount} clients, faults {faults}");
        var clients = Enumerable.Range(1, clientCount)
            .Select(i => new Client("c" + i, _root.CreateSubdirectory("store-c" + i).FullName)).ToList();
        var writes = new List<Write>();

        void StartClient(Client c)
        {
            c.Incarnation++;
            (c.Replica, c.Shim) = StartShimmedReplica(proxy, c.Id, seed * 1000 + c.Incarnation * 10 + c.Id[1], faults,
                settings: QuickReplica with { Store = c.Store, QueueOffline = true });
            c.Dropping = false;
        }

        foreach (var c in clients)
        {
            StartClient(c);
            await c.Replica.Ready.WaitAsync(Long); // its first value holds the schema its writes name
        }

        var steps = 36 + rng.Next(12);
        for (var step = 0; step < steps; step++)
        {
            var roll = rng.NextDouble();
            var c = clients[rng.Next(clients.Count)];
            if (roll < 0.55)
            {
                var n = ++c.Next;
                var id = $"{c.Id}-{n}";
                var task = c.Replica.TransactAsync($$"""[{:w/id "{{id}}" :w/client "{{c.Id}}" :w/n {{n}}}]""");
                writes.Add(new Write(id, c.Id, n, c.Incarnation, task));
                log.Add($"{step}: write {id} through {c.Id}#{c.Incarnation}");
            }
            else if (roll < 0.70)
            {
                // a crash: the actor stopped at once, whatever it was doing; a new one takes its outbox back
                var view = c.Replica.Db;
                var pending = writes.Where(w => w.Client == c.Id && w.Incarnation == c.Incarnation && !w.Task.IsCompletedSuccessfully).ToList();
                foreach (var w in pending) w.TakenBeforeCrash = HasId(view, w.Id);
                var probe = CreateTestProbe();
                probe.Watch(c.Replica.Actor);
                Sys.Stop(c.Replica.Actor);
                probe.ExpectTerminated(c.Replica.Actor, Long);
                foreach (var w in pending) w.Crashed = true;
                log.Add($"{step}: crash {c.Id}#{c.Incarnation} with {pending.Count} unacknowledged " +
                        $"({pending.Count(w => w.TakenBeforeCrash)} in its view): {string.Join(",", pending.Select(w => w.Id))}");
                StartClient(c);
            }
            else if (roll < 0.85)
            {
                if (c.Dropping)
                {
                    c.Shim.Tell(new FaultShim.DropWhere(null));
                    c.Dropping = false;
                    log.Add($"{step}: reconnect {c.Id}#{c.Incarnation}");
                }
                else
                {
                    c.Shim.Tell(new FaultShim.DropWhere(_ => true));
                    c.Dropping = true;
                    log.Add($"{step}: disconnect {c.Id}#{c.Incarnation} (every message dropped)");
                }
            }
            else if (roll < 0.92)
            {
                var downFor = rng.Next(3);
                log.Add($"{step}: master stops (t {MasterT(master!.Master)}), {downFor} writes while it is down");
                await StopMasterSystem();
                for (var i = 0; i < downFor; i++)
                {
                    var d = clients[rng.Next(clients.Count)];
                    var n = ++d.Next;
                    var id = $"{d.Id}-{n}";
                    writes.Add(new Write(id, d.Id, n, d.Incarnation,
                        d.Replica.TransactAsync($$"""[{:w/id "{{id}}" :w/client "{{d.Id}}" :w/n {{n}}}]""")));
                    log.Add($"{step}: write {id} through {d.Id}#{d.Incarnation} (master down)");
                }
                await StartMasterSystem();
                log.Add($"{step}: master started again (t {MasterT(master!.Master)})");
            }
            else
            {
                // time for the links to work (and fail): not an ordering, only a pause of random length
                await Task.Delay(rng.Next(20, 200));
            }
            await Task.Delay(rng.Next(0, 25));
        }

        // every link heals; one last write per client: the master commits a client's mutations in order, so once it is
        // acknowledged every earlier one its outbox held is settled
        foreach (var c in clients.Where(c => c.Dropping))
        {
            c.Shim.Tell(new FaultShim.DropWhere(null));
            c.Dropping = false;
        }
        log.Add("end: every link heals");
        foreach (var c in clients)
        {
            var n = ++c.Next;
            var id = $"{c.Id}-{n}";
            writes.Add(new Write(id, c.Id, n, c.Incarnation,
                c.Replica.TransactAsync($$"""[{:w/id "{{id}}" :w/client "{{c.Id}}" :w/n {{n}}}]""")));
        }
        var live = writes.Where(w => !w.Crashed).ToList();
        try { await Task.WhenAll(live.Select(w => w.Task)).WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (Exception) { }
        foreach (var w in live)
            Assert.True(w.Task.IsCompletedSuccessfully,
                Where($"the write {w.Id} through a live replica was not acknowledged: " +
                      (w.Task.IsFaulted ? w.Task.Exception!.InnerException!.Message : "still pending") +
                      $"; replica {w.Client}: {clients.Single(c => c.Id == w.Client).Replica.Status}"));

        foreach (var c in clients)
        {
            try { AwaitEqual(master!.Master, c.Replica); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException(Where($"replica {c.Id}#{c.Incarnation} differs from the master: {e.Message}")); }
        }

        var ids = AssertEachWriteOnce("after reconnection");
        var acknowledged = writes.Where(w => w.Task.IsCompletedSuccessfully).ToList();
        var taken = writes.Where(w => !w.Task.IsCompletedSuccessfully && w.TakenBeforeCrash).ToList();
        foreach (var w in acknowledged.Concat(taken))
            Assert.True(ids.ContainsKey(w.Id),
                Where($"the master lacks {w.Id} ({(w.Task.IsCompletedSuccessfully ? "acknowledged" : "taken by a replica that crashed")})"));

        // every outbox is empty once its replica stopped
        var leftovers = new List<string>();
        foreach (var c in clients)
        {
            await StopClient(c);
            using var store = ReplicaStore.Open(c.Store, c.Id);
            leftovers.AddRange(store.Outbox().Select(e => $"{c.Id}: {e.RequestId} {e.TxEdn}" + (ids.Keys.Any(id => e.TxEdn.Contains($"\"{id}\"")) ? " (on the master)" : "")));
        }

        log.Add("end: left in the outboxes after reconnection: " + (leftovers.Count == 0 ? "none" : string.Join("; ", leftovers)));

        // started again from their stores, the replicas send again whatever their outboxes still hold: the master keeps
        // each write once, and the outboxes empty
        foreach (var c in clients) StartClient(c);
        foreach (var c in clients)
        {
            var n = ++c.Next;
            var id = $"{c.Id}-{n}";
            writes.Add(new Write(id, c.Id, n, c.Incarnation,
                c.Replica.TransactAsync($$"""[{:w/id "{{id}}" :w/client "{{c.Id}}" :w/n {{n}}}]""")));
        }
        try { await Task.WhenAll(writes.Where(w => !w.Crashed).Select(w => w.Task)).WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (Exception) { }
        foreach (var w in writes.Where(w => !w.Crashed))
            Assert.True(w.Task.IsCompletedSuccessfully, Where($"the write {w.Id} after the last start was not acknowledged"));
        foreach (var c in clients)
        {
            try { AwaitEqual(master!.Master, c.Replica); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException(Where($"replica {c.Id}#{c.Incarnation} (last start) differs from the master: {e.Message}")); }
        }
        var again = AssertEachWriteOnce("after the replicas started again from their stores");
        var lastLeftovers = new List<string>();
        foreach (var id in ids.Keys) Assert.True(again.ContainsKey(id), Where($"{id} left the master"));
        foreach (var c in clients)
        {
            await StopClient(c);
            using var store = ReplicaStore.Open(c.Store, c.Id);
            lastLeftovers.AddRange(store.Outbox().Select(e => $"{c.Id}: {e.RequestId} {e.TxEdn}" +
                (again.Keys.Any(id => e.TxEdn.Contains($"\"{id}\"")) ? " (on the master)" : "")));
        }
        var lost = writes.Count(w => !w.Task.IsCompletedSuccessfully && !w.TakenBeforeCrash && !again.ContainsKey(w.Id));
        Sys.Log.Info($"seed {seed}: {clientCount} clients, {writes.Count} writes ({acknowledged.Count} acknowledged, {taken.Count} taken " +
                     $"back after a crash, {lost} never taken by a crashed replica), {generation} master starts, master t {MasterT(master!.Master)}, " +
                     $"{leftovers.Count} committed outbox entries left after reconnection, {lastLeftovers.Count} after the last start");
        await StopMasterSystem();

        // a committed write leaves the outbox however the replica learns of it: the master's answer, or its delta alone
        // (whose answer was lost on the link or with a master restart)
        Assert.True(leftovers.Count == 0 && lastLeftovers.Count == 0,
            Where("every write is acknowledged and on the master once, every replica equals the master, yet the outboxes still hold committed " +
                  $"entries after reconnection:\n  {string.Join("\n  ", leftovers)}\nand after the replicas started again (their outboxes sent " +
                  $"again, one more write each):\n  {string.Join("\n  ", lastLeftovers)}"));

        async Task StopClient(Client c)
        {
            var probe = CreateTestProbe();
            probe.Watch(c.Replica.Actor);
            await c.Replica.DisposeAsync();
            probe.ExpectTerminated(c.Replica.Actor, Long);
        }

        Dictionary<string, List<long>> AssertEachWriteOnce(string when)
        {
            var db = DbOf(master!.Master.Transactor);
            var byId = db.Datoms(IndexType.Aevt, db.Schema[Keyword.Intern("w/id")]!.Id)
                .GroupBy(d => (string)d.V).ToDictionary(g => g.Key, g => g.Select(d => d.E).ToList());
            var known = writes.ToDictionary(w => w.Id);
            foreach (var (id, es) in byId)
            {
                Assert.True(known.ContainsKey(id), Where($"{when}: the master holds {id}, which no replica wrote"));
                Assert.True(es.Count == 1, Where($"{when}: the master holds {id} {es.Count} times (entities {string.Join(",", es)})"));
                var e = db.Entity(es[0])!;
                Assert.True(e.Get<long>(":w/n") == known[id].N && e.Get<string>(":w/client") == known[id].Client,
                    Where($"{when}: the master's {id} is not the one written"));
            }
            // one transaction per write on the master (none twice under another shape, none empty)
            Assert.True(db.BasisT - schemaT == byId.Count,
                Where($"{when}: the master has {db.BasisT - schemaT} transactions after the schema for {byId.Count} writes"));
            return byId;
        }
    }

    private static bool HasId(Db db, string id) =>
        db.Schema[Keyword.Intern("w/id")] is { } a && db.Datoms(IndexType.Aevt, a.Id).Any(d => Equals(d.V, id));

    public new void Dispose()
    {
        base.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { _root.Delete(true); }
        catch (IOException) { }
    }
}
