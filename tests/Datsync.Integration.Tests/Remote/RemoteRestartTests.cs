using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Remote;

/// <summary>Restarts across Akka.Remote: the master on the same SQLite file, and a replica in a new actor system.</summary>
public sealed class RemoteRestartTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private const string Quick = """
        datsync.replica.retry-interval = 200ms
        datsync.replica.connection-timeout = 5s
        datsync.session.heartbeat-interval = 200ms
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        """;

    private readonly SqliteFile _dir = new();
    private readonly List<ActorSystem> _systems = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromMinutes(1)); // a shutdown that hangs fails the test
        _dir.Dispose();
    }

    private MasterSystem Server(int port)
    {
        var server = DatsyncRemote.StartServer(_dir.Storage(), "127.0.0.1", port, Quick);
        _systems.Add(server.System);
        return server;
    }

    private ActorSystem Client(string name)
    {
        var s = DatsyncRemote.ClientSystem(name, overrides: Quick);
        _systems.Add(s);
        return s;
    }

    private static Task<TxAccepted> Commit(MasterSystem m, string edn) => RemoteTesting.Commit(m, edn, Long);

    private static Task<Db> DbOf(MasterSystem m) => RemoteTesting.DbOf(m, Long);


    private const string Schema = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    [Fact]
    public async Task Replicas_survive_a_master_restart_on_the_same_file_and_resume_from_their_t()
    {
        var first = Server(0);
        var address = DatsyncRemote.ListeningAt(first.System);
        var port = DatsyncRemote.ParseHostPort(address).Port;
        await Commit(first, Schema);
        for (var i = 0; i < 20; i++) await Commit(first, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var replicas = new[] { "a", "b" }.Select(id => DatsyncReplica.Connect(Client("client-" + id), address, id)).ToArray();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);
        var before = (await DbOf(first)).BasisT;
        foreach (var r in replicas) await r.SyncAsync(before).WaitAsync(Long);

        await first.System.Terminate();
        // the replicas notice, keep serving reads, and refuse writes at once
        foreach (var r in replicas)
        {
            await WaitUntil(() => r.Status.Connection is ConnectionState.Disconnected or ConnectionState.Connecting);
            Assert.Equal(before, r.Status.BasisT);
            Assert.Equal(10L, r.Db.Entity(EdnReader.Read("""[:item/key "k10"]""")!)![":item/n"]);
            var e = await Assert.ThrowsAsync<TxRejectedException>(() => r.TransactAsync("""[{:item/key "while-down"}]""").WaitAsync(Long));
            Assert.Equal(DatsyncErrors.Unavailable, e.Category);
        }

        var second = Server(port);
        Assert.Equal(before, (await DbOf(second)).BasisT); // nothing acknowledged was lost
        for (var i = 0; i < 10; i++) await Commit(second, $$"""[{:item/key "after{{i}}" :item/n {{i}}}]""");
        var now = (await DbOf(second)).BasisT;
        foreach (var r in replicas)
        {
            await r.SyncAsync(now).WaitAsync(Long);
            Assert.Equal(RemoteTesting.All(await DbOf(second)), RemoteTesting.All(r.SyncedDb));
            Assert.Equal(ConnectionState.Connected, r.Status.Connection);
        }
        // and writes through them work again
        var w = await replicas[0].TransactAsync("""[{:db/id "x" :item/key "again" :item/n 1}]""").WaitAsync(Long);
        await replicas[1].SyncAsync(w.T).WaitAsync(Long);
        Assert.Equal(w.Tempids["x"], replicas[1].Db.Entity(EdnReader.Read("""[:item/key "again"]""")!)!.Id);
    }

    [Fact]
    public async Task A_replica_restarted_in_a_new_actor_system_resumes_from_the_value_it_kept()
    {
        var server = Server(0);
        var address = DatsyncRemote.ListeningAt(server.System);
        await Commit(server, Schema);
        for (var i = 0; i < 10; i++) await Commit(server, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var oldSystem = Client("old");
        var old = DatsyncReplica.Connect(oldSystem, address, "r1");
        await old.Ready.WaitAsync(Long);
        var t = (await DbOf(server)).BasisT;
        await old.SyncAsync(t).WaitAsync(Long);
        var kept = old.SyncedDb;
        await oldSystem.Terminate();

        for (var i = 0; i < 10; i++) await Commit(server, $$"""[{:item/key "later{{i}}" :item/n {{i}}}]""");
        var fresh = DatsyncReplica.Connect(Client("new"), address, "r1", resumeFrom: kept);
        var reports = new List<long>();
        fresh.Listen(r => { lock (reports) reports.Add(r.T); });
        await fresh.Ready.WaitAsync(Long);
        var now = (await DbOf(server)).BasisT;
        await fresh.SyncAsync(now).WaitAsync(Long);
        Assert.Equal(RemoteTesting.All(await DbOf(server)), RemoteTesting.All(fresh.SyncedDb));
        lock (reports) Assert.Equal(Enumerable.Range((int)t + 1, (int)(now - t)).Select(x => (long)x), reports); // only the missing ones
    }

    private static Task WaitUntil(Func<bool> condition) =>
        Task.Run(() => Assert.True(SpinWait.SpinUntil(condition, Long), "condition not met in time"));
}
