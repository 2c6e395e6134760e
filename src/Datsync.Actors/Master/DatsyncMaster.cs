using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;

namespace Datsync.Actors.Master;

/// <summary>The master's actors: the transactor (restarted with backoff after a journal failure) and its log listener.</summary>
public sealed record MasterHandle(IActorRef Transactor, IActorRef Listener);

/// <summary>A master with the actor system it runs in and the server replicas connect to; disposing terminates the
/// system.</summary>
public sealed record MasterSystem(ActorSystem System, MasterHandle Master, IActorRef Server, Config Config) : IAsyncDisposable
{
    /// <summary>Starts a replica in this actor system, connected to this master as <paramref name="clientId"/>.</summary>
    public DatsyncReplica ConnectReplica(string clientId) =>
        DatsyncReplica.Start(System, Server, clientId, ReplicaSettings.From(Config));

    public async ValueTask DisposeAsync() => await System.Terminate();
}

/// <summary>Starts a master in an actor system (plain ActorSystem entry points).</summary>
public static class DatsyncMaster
{
    /// <summary>
    /// Creates an actor system on the storage (its tables or file prepared) with Datsync's defaults, and starts a master
    /// in it. <paramref name="overrides"/> (HOCON) wins over both, e.g. <c>datsync.master.snapshot-every = 100</c>;
    /// <paramref name="below"/> sits between the overrides and the storage (e.g. the remote transport). A system whose
    /// actors fail to start is terminated. With <paramref name="tls"/> (enabled, <see cref="Remote.TlsOptions"/>) the
    /// system's remote transport speaks TLS as a server.
    /// </summary>
    /// <exception cref="Remote.TlsSetupException">The TLS files cannot be used.</exception>
    public static MasterSystem StartSystem(string name, StorageOptions storage, string overrides = "", Config? below = null,
        string masterName = "datsync-master", string serverName = ServerName, Remote.TlsOptions? tls = null)
    {
        var serverTls = tls is { IsEnabled: true } ? tls.ForServer() : null;
        var config = (serverTls?.ToConfig() ?? Config.Empty)
            .WithFallback(ConfigurationFactory.ParseString(overrides))
            .WithFallback(below ?? Config.Empty)
            .WithFallback(Remote.OneDoor.Server(serverName))
            .WithFallback(storage.ToConfig())
            .WithFallback(DatsyncConfig.Default);
        var system = Remote.DatsyncRemote.CreateSystem(name, config, serverTls);
        try
        {
            var master = Start(system, MasterSettings.From(config), masterName);
            var server = StartServer(system, master, SessionSettings.From(config), ClientAccess.From(config), serverName);
            return new MasterSystem(system, master, server, config);
        }
        catch
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>Starts the actor replicas connect to (it starts one client session per replica).</summary>
    public static IActorRef StartServer(IActorRefFactory system, MasterHandle master, SessionSettings? settings = null,
        ClientAccess? access = null, string name = ServerName) =>
        system.ActorOf(DatsyncServerActor.Props(master, settings ?? SessionSettings.Default, access), name);

    /// <summary>The name of the server actor <see cref="StartSystem"/> starts (replicas in other processes look it up
    /// as <c>/user/datsync-server</c>).</summary>
    public const string ServerName = "datsync-server";

    public static MasterHandle Start(IActorRefFactory system, MasterSettings settings, string name = "datsync-master")
    {
        var listener = system.ActorOf(TxListenerActor.Props(settings), name + "-log");
        var transactor = system.ActorOf(BackoffSupervisor.Props(Backoff.OnStop(
            TransactorActor.Props(settings, listener), "transactor",
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1)), name);
        return new MasterHandle(transactor, listener);
    }
}
