using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch.SysMsg;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>The transport guard of a served master, against floods of connections and foreign messages.</summary>
public sealed class WireGuardTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private const string Quick = """
        datsync.replica.retry-interval = 200ms
        datsync.replica.connection-timeout = 5s
        datsync.session.heartbeat-interval = 200ms
        datsync.server { max-connections = 200, max-handshakes = 100, handshake-timeout = 2s }
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    private readonly List<ActorSystem> _systems = new();
    private MasterSystem _server = null!;
    private string _address = "";

    public Task InitializeAsync()
    {
        _server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, Quick);
        _systems.Add(_server.System);
        _address = DatsyncRemote.ListeningAt(_server.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromMinutes(1)); // a shutdown that hangs fails the test
    }

    private WireGuardStats Stats => WireGuard.StatsOf(_server.System) ?? throw new Xunit.Sdk.XunitException("the server's transport has no guard");

    private static Task Eventually(Func<bool> condition, string what) => Waits.Until(condition, Long, () => what);

    private async Task<long> Commit(string edn)
    {
        var reply = await _server.Master.Transactor.Ask(new Transact(Guid.NewGuid().ToString("N"), (IReadOnlyList<object?>)EdnReader.Read(edn)!), Long);
        return (reply as TxAccepted ?? throw new Xunit.Sdk.XunitException($"rejected: {reply}")).T;
    }

    private async Task A_client_connects_and_follows()
    {
        var t = await Commit("""[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");
        var client = DatsyncRemote.ClientSystem("alice-system", overrides: Quick);
        _systems.Add(client);
        var replica = DatsyncReplica.Connect(client, _address, "alice");
        await replica.Ready.WaitAsync(Long);
        t = await Commit("""[{:person/name "Ivan"}]""");
        await replica.SyncAsync(t).WaitAsync(Long);
        Assert.Equal("Ivan", replica.SyncedDb.Datoms(IndexType.Aevt, Keyword.Intern("person/name")).Single().V);
    }

    [Fact]
    public async Task Twenty_thousand_idle_connections_leave_the_server_up_and_a_client_still_connects()
    {
        var port = DatsyncRemote.ParseHostPort(_address).Port;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        const int total = 20_000, batch = 500;
        var failed = 0;
        for (var opened = 0; opened < total; opened += batch)
        {
            var sockets = Enumerable.Range(0, batch).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            {
                LingerState = new LingerOption(true, 0), // closed with a reset: no TIME_WAIT left behind on this machine
                NoDelay = true,
            }).ToList();
            try
            {
                var connects = sockets.Select(async s =>
                {
                    try { await s.ConnectAsync(IPAddress.Loopback, port); }
                    catch (SocketException) { Interlocked.Increment(ref failed); }
                });
                await Task.WhenAll(connects);
            }
            finally
            {
                foreach (var s in sockets) s.Dispose();
            }
        }
        output.WriteLine($"after {total} connections ({failed} failed to open): {Stats}");
        Assert.True(failed < total / 2, $"{failed} of {total} connections failed to open");
        // the bounds were hit (past them connections were closed at once), and every slot comes back
        Assert.True(Stats.Refused > 0, $"nothing refused: {Stats}");
        await Eventually(() => Stats.Open == 0 && Stats.Pending == 0, $"the guard's slots come back ({Stats})");
        Assert.True(Stats.Accepted <= total - Stats.Refused, Stats.ToString());

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        output.WriteLine($"managed heap grew by {grown / 1024} KB; {Stats}");
        Assert.True(grown < 200L * 1024 * 1024, $"the managed heap grew by {grown / (1024 * 1024)} MB");

        await A_client_connects_and_follows();
        Assert.Equal(1, Stats.Open);
    }

    [Fact]
    public async Task A_handshake_left_unsent_is_closed_after_the_timeout()
    {
        var port = DatsyncRemote.ParseHostPort(_address).Port;
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync(IPAddress.Loopback, port);
        await Eventually(() => Stats.TimedOut == 1, $"the idle connection is closed ({Stats})");
        // the server closed it: a read on it ends
        var buffer = new byte[16];
        var read = await idle.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Long);
        Assert.Equal(0, read);
        Assert.Equal(0, Stats.Open);
    }

    [Fact]
    public async Task A_client_takes_connections_only_from_the_systems_it_connected_to()
    {
        var client = DatsyncRemote.ClientSystem("alice-system", overrides: Quick);
        _systems.Add(client);
        var replica = DatsyncReplica.Connect(client, _address, "alice");
        await replica.Ready.WaitAsync(Long);
        var stats = WireGuard.StatsOf(client) ?? throw new Xunit.Sdk.XunitException("the client's transport has no guard");

        // another system reaches for the client's replica: its connection is closed at its handshake
        var foreign = ActorSystem.Create("foreign", DatsyncRemote.RemoteConfig("127.0.0.1", 0)
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = OFF\nakka.stdout-loglevel = OFF")));
        _systems.Add(foreign);
        var at = ((ExtendedActorSystem)client).Provider.DefaultAddress;
        var target = ((ExtendedActorSystem)foreign).Provider.ResolveActorRef($"{at}/user/replica-alice");
        target.Tell(new Gadget("hello"));
        await Eventually(() => stats.Closed >= 1, $"the client closes the foreign connection ({stats})");
        Assert.Equal(0, stats.Dropped);
        // the replica still follows its server
        var t = await Commit("""[{:db/ident :thing/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");
        await replica.SyncAsync(t).WaitAsync(Long);
    }

    public sealed record Gadget(string Name);

    [Fact]
    public async Task A_foreign_systems_terminate_poison_and_json_are_dropped_and_the_master_keeps_running()
    {
        await Commit("""[{:db/ident :thing/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");
        // a plain Akka.Remote system: no Datsync settings, System.Object goes as JSON (serializer 1)
        var foreign = ActorSystem.Create("foreign", DatsyncRemote.RemoteConfig("127.0.0.1", 0)
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")));
        _systems.Add(foreign);
        var provider = ((ExtendedActorSystem)foreign).Provider;
        var transactor = (IInternalActorRef)provider.ResolveActorRef($"akka.tcp://{DatsyncRemote.SystemName}@{_address}/user/datsync-master");
        var server = (IInternalActorRef)provider.ResolveActorRef(DatsyncRemote.ServerPath(_address));

        server.Tell(new Gadget("json to the server")); // an allowed recipient, a refused serializer
        server.SendSystemMessage(new Terminate());     // an allowed recipient, a refused system message
        transactor.SendSystemMessage(new Terminate());
        transactor.Tell(PoisonPill.Instance);
        transactor.Tell(new Gadget("json to the master"));
        await Eventually(() => Stats.Dropped >= 5, $"the guard drops what the foreign system sent ({Stats})");

        // the transactor and the server still run
        var t = await Commit("""[{:thing/name "still here"}]""");
        Assert.True(t >= 2);
        var identity = await _server.Server.Ask<ActorIdentity>(new Identify(1), Long);
        Assert.NotNull(identity.Subject);
        await A_client_connects_and_follows();
    }
}
