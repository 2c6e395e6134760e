using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>The master's actors: the transactor (behind its <see cref="TransactorSupervisor"/>, which answers every request
/// and starts it again with backoff after a journal failure) and its log listener.</summary>
internal sealed record MasterHandle(IActorRef Transactor, IActorRef Listener)
{
    /// <summary>What the transactor last made of its journal (see <see cref="MasterHealth"/>).</summary>
    public MasterHealth Health { get; init; } = new();

    /// <summary>The scopes in force, for a master started with scopes (<c>datsync.server.scopes</c>); null without.</summary>
    public Server.ScopesInForce? Scopes { get; init; }

    /// <summary>On a cluster node, its master (<see cref="Cluster.NodeMasterActor"/>, <see cref="Transactor"/> too): it
    /// takes the node's scope replacements to the cluster's transactor, which puts them in force on every node. Null
    /// on a master in one process.</summary>
    public IActorRef? ClusterNode { get; init; }

    /// <summary>The master database's id (<see cref="DatabaseIds"/>), once the transactor has recovered; null before.</summary>
    public string? DatabaseId => Health.DatabaseId;

    /// <summary>The master's value once the transactor has recovered its journal; faults at once with a
    /// <see cref="DatsyncStorageException"/> naming the cause when the recovery fails, or with a timeout.</summary>
    public async Task<Db> Recovered(TimeSpan? timeout, CancellationToken cancel = default)
    {
        using var waiting = Health.Waiting();
        var failed = Health.Failed;
        var ask = Transactor.Ask<CurrentDb>(GetDb.Instance, timeout, cancel);
        if (await Task.WhenAny(ask, failed) == ask) return (await ask).Db;
        throw await failed;
    }
}

/// <summary>A master with the actor system it runs in and the server replicas connect to; disposing terminates the
/// system.</summary>
internal sealed record MasterSystem(ActorSystem System, MasterHandle Master, IActorRef Server, Config Config) : IAsyncDisposable
{
    /// <summary>On a cluster node: the node's actor system on Akka.Cluster, when it is not <see cref="System"/> (a gateway's
    /// server runs in a system of its own); terminated with it.</summary>
    public ActorSystem? ClusterSystem { get; init; }

    /// <summary>Starts a replica in this actor system, connected to this master as <paramref name="clientId"/>.</summary>
    public DatsyncReplica ConnectReplica(string clientId) =>
        DatsyncReplica.Start(System, Server, clientId, ReplicaSettings.From(Config));

    public async ValueTask DisposeAsync()
    {
        await System.Terminate();
        if (ClusterSystem is { } cluster) await cluster.Terminate();
    }
}

/// <summary>Starts a master's actors (what <see cref="DatsyncNode.StartMasterAsync(DatsyncMasterOptions, CancellationToken)"/> and the hosting extensions build
/// on).</summary>
internal static class MasterRuntime
{
    /// <summary>
    /// Creates an actor system on the storage (its tables or file prepared) with Datsync's defaults, and starts a master
    /// in it. <paramref name="overrides"/> (HOCON) wins over both, e.g. <c>datsync.master.snapshot-every = 100</c>;
    /// <paramref name="below"/> sits between the overrides and the storage (e.g. the remote transport). A system whose
    /// actors fail to start is terminated. With <paramref name="tls"/> (enabled, <see cref="TlsOptions"/>) the
    /// system's remote transport speaks TLS as a server. <paramref name="setup"/> joins the system's setup (e.g. the
    /// host's logger factory).
    /// </summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    public static MasterSystem StartSystem(string name, StorageOptions storage, string overrides = "", Config? below = null,
        string masterName = "datsync-master", string serverName = ServerName, TlsOptions? tls = null, Akka.Actor.Setup.Setup? setup = null)
    {
        var serverTls = tls is { IsEnabled: true } ? tls.ForServer() : null;
        var config = (serverTls?.ToConfig() ?? Config.Empty)
            .WithFallback(ConfigurationFactory.ParseString(overrides))
            .WithFallback(below ?? Config.Empty)
            .WithFallback(storage.ToConfig())
            .WithFallback(Remote.WireSecurity.ForServer(serverName))
            .WithFallback(DatsyncConfig.Default);
        var system = Remote.DatsyncRemote.CreateSystem(name, config, serverTls, setup);
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

    /// <summary>
    /// Starts a master in <paramref name="system"/>, which need not have been made with Datsync's configuration, only
    /// with a storage's HOCON (which defines the master's own journal and snapshot plugins; the system's default ones
    /// stay the application's): the library's defaults and serializer bindings are installed in it first
    /// (<see cref="DatsyncConfig.Install"/>).
    /// Before the transactor touches its journal the master takes the storage's lock (<see cref="MasterLock"/>), held
    /// until the actor system terminates (with <c>lockHeld</c>, the caller holds it already: a cluster's transactor holds it
    /// while it runs, not for its system's life). The transactor's supervisor starts it again with backoff after a journal
    /// failure or a failed recovery (and forever: storage may come back); a recovery failure shows in
    /// <see cref="MasterHandle.Health"/> and answers whoever waits (<see cref="MasterHandle.Recovered"/>).
    /// </summary>
    /// <exception cref="StorageLockedException">Another master holds the storage.</exception>
    /// <exception cref="ConfigurationException">The system has no configuration for the master's journal plugin
    /// (<see cref="MasterSettings.JournalPluginId"/>): it was made without a storage's HOCON.</exception>
    public static MasterHandle Start(IActorRefFactory system, MasterSettings settings, string name = "datsync-master", bool lockHeld = false)
    {
        var actorSystem = system as ActorSystem ?? (system as IActorContext)?.System
            ?? throw new ArgumentException("an ActorSystem or an actor's context is required", nameof(system));
        DatsyncConfig.Install(actorSystem);
        Remote.WireSecurity.Require(actorSystem, "to-server", $"the master {name}");
        if (!actorSystem.Settings.Config.HasPath(settings.JournalPluginId))
            throw new ConfigurationException(
                $"the master {name} has no journal: {settings.JournalPluginId} is not in the configuration of the actor system " +
                $"{actorSystem.Name}. Start the system with a storage's HOCON (StorageOptions.ToConfig, chosen by datsync.storage); " +
                "the application's default journal (akka.persistence.journal.plugin) is never the master's.");
        if (!lockHeld && MasterLock.Acquire(actorSystem.Settings.Config, settings.JournalPluginId, settings.PersistenceId) is { } held)
            actorSystem.RegisterOnTermination(held.Dispose);
        var health = new MasterHealth(ReplicaSettings.ReportBufferOf(actorSystem.Settings.Config));
        // one set of scopes for the transactor and the server, replaced in place (a restarted transactor keeps it); a
        // cluster's transactor takes its node's (settings.InForce), which the node's server replaces
        var scopes = settings.InForce ?? (settings.Scopes is { } s ? new Server.ScopesInForce(s) : null);
        settings = settings with { InForce = scopes };
        var listener = system.ActorOf(TxListenerActor.Props(settings), name + "-log");
        var transactor = system.ActorOf(TransactorSupervisor.Props(TransactorActor.Props(settings, listener, health)), name);
        return new MasterHandle(transactor, listener) { Health = health, Scopes = scopes };
    }
}
