using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;

namespace Datsync.Actors;

/// <summary>
/// Where a master or a replica starts: <see cref="StartMasterAsync(DatsyncMasterOptions, CancellationToken)"/> and <see cref="ConnectReplicaAsync"/>, each from
/// its options class (the same classes <c>services.AddDatsync</c> binds from <c>IConfiguration</c>). Both give an
/// <see cref="IDatsyncConnection"/>; dispose it to stop what was started.
/// </summary>
public static class DatsyncNode
{
    /// <summary>
    /// Starts a master from <paramref name="options"/>: its journal on the storage they select (SQLite by default;
    /// PostgreSQL, or in memory), its transactor, log listener and server, in an actor system of its own named
    /// <see cref="DatsyncMasterOptions.Name"/> (on Akka.Remote at <see cref="DatsyncMasterOptions.Listen"/> when set, with
    /// TLS when <see cref="DatsyncMasterOptions.Tls"/> is). Completes once the transactor has recovered its journal.
    /// </summary>
    /// <exception cref="DatsyncStorageException">The journal cannot be read (the message says why), or another
    /// master holds it (<see cref="StorageLockedException"/>).</exception>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    /// <exception cref="ConfigurationException">The options do not make a valid configuration.</exception>
    public static Task<DatsyncMaster> StartMasterAsync(DatsyncMasterOptions options, CancellationToken cancellationToken = default) =>
        StartMasterAsync(options, null, null, cancellationToken);

    /// <summary><see cref="StartMasterAsync(DatsyncMasterOptions, CancellationToken)"/> over <paramref name="config"/>,
    /// with <paramref name="setup"/> in the actor system's setup (the hosting package's logging).</summary>
    internal static async Task<DatsyncMaster> StartMasterAsync(DatsyncMasterOptions options, Config? config, Akka.Actor.Setup.Setup? setup,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var node = StartMasterSystem(options, config, setup);
        try
        {
            await node.Master.Recovered(null, cancellationToken).ConfigureAwait(false);
            return new DatsyncMaster(node, options.Name);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a replica from <paramref name="options"/> and completes once it holds the master's value and is connected
    /// (bootstrapped): with <see cref="DatsyncReplicaOptions.Server"/> set (<c>host:port</c>), a replica of that remote
    /// master in an actor system of its own (TLS with <see cref="DatsyncReplicaOptions.Tls"/>); without it, a replica
    /// of the master of this process named <see cref="DatsyncReplicaOptions.ServerSystemName"/>, sharing its
    /// immutable values. A remote master that is not up yet is waited for (the handshake is sent again with backoff)
    /// until <paramref name="cancellationToken"/> says stop. A replica with a local store (<see cref="DatsyncReplicaOptions.Store"/>)
    /// that holds a value completes at once, before any network call: it reads its stored value offline
    /// (<see cref="IDatsyncConnection.Status"/> says it is not connected, at its basis t) and resumes from that t once
    /// the master answers.
    /// </summary>
    /// <exception cref="Datsync.Core.TxRejectedException"><c>:datsync.error/refused</c>: the server refused the client id or
    /// token.</exception>
    /// <exception cref="InvalidOperationException">No client id, or no master of that name runs in this process.</exception>
    /// <exception cref="DatsyncStorageException">The store cannot be read, or belongs to another client id.</exception>
    public static async Task<DatsyncReplica> ConnectReplicaAsync(DatsyncReplicaOptions options, CancellationToken cancellationToken = default)
    {
        var replica = await StartReplicaAsync(options).ConfigureAwait(false);
        if (replica.StartedFromStore) return replica;
        try
        {
            await replica.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            return replica;
        }
        catch
        {
            await replica.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The replica of <see cref="ConnectReplicaAsync"/>, started and not waited for (it bootstraps on its own;
    /// <see cref="DatsyncReplica.Ready"/> says when it is done). A replica of a remote master gets an actor system of its
    /// own over <paramref name="config"/>, with <paramref name="setup"/> in its setup (the hosting package's logging).</summary>
    /// <exception cref="InvalidOperationException">No client id, or no master of that name runs in this process.</exception>
    internal static async Task<DatsyncReplica> StartReplicaAsync(DatsyncReplicaOptions options, Config? config = null,
        Akka.Actor.Setup.Setup? setup = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireClientId();
        DatsyncReplica replica;
        if (options.IsInProcess)
        {
            var masters = DatsyncMaster.Named(options.ServerSystemName);
            var master = masters.Count switch
            {
                1 => masters[0],
                0 => throw new InvalidOperationException(
                    $"no master named '{options.ServerSystemName}' runs in this process: start one with DatsyncNode.StartMasterAsync, " +
                    "or set DatsyncReplicaOptions.Server to the host:port of a remote one"),
                _ => throw new InvalidOperationException(
                    $"{masters.Count} masters named '{options.ServerSystemName}' run in this process: give them different names " +
                    "(DatsyncMasterOptions.Name) and set DatsyncReplicaOptions.ServerSystemName"),
            };
            replica = StartReplica(master.System, master.Server, options, master.System.Settings.Config);
        }
        else
        {
            var system = StartClientSystem(options, config: config is null ? options.ToConfig() : options.ToConfig().WithFallback(config),
                setup: setup);
            try
            {
                replica = StartRemoteReplica(system, options, ownSystem: system);
            }
            catch
            {
                await system.Terminate().ConfigureAwait(false);
                throw;
            }
        }
        return replica;
    }

    /// <summary>The master's actor system from <paramref name="options"/> (over <paramref name="config"/>), with its
    /// actors started; not waited for.</summary>
    internal static MasterSystem StartMasterSystem(DatsyncMasterOptions options, Config? config = null, Akka.Actor.Setup.Setup? setup = null)
    {
        if (options.Cluster is not null) return Cluster.ClusterRuntime.Start(options, config, setup);
        var top = config is null ? options.ToConfig() : options.ToConfig().WithFallback(config);
        if (options.Listen is { } listen)
        {
            var (host, port) = Remote.DatsyncRemote.ParseHostPort(listen, anyPort: true);
            top = top.WithFallback(Remote.DatsyncRemote.RemoteConfig(host, port));
        }
        return MasterRuntime.StartSystem(options.Name, options.SelectStorage(config), below: top,
            masterName: options.MasterName, serverName: options.ServerName, tls: options.Tls, setup: setup);
    }

    /// <summary>
    /// Creates an ActorSystem for replicas of the remote master <paramref name="options"/> name: Akka.Remote on a free
    /// port (on 127.0.0.1 for a master on this machine, on every interface otherwise), on TLS when
    /// <see cref="DatsyncReplicaOptions.Tls"/> is set, over <paramref name="config"/> and the library defaults.
    /// </summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    internal static ActorSystem StartClientSystem(DatsyncReplicaOptions options, string systemName = "datsync-client",
        Config? config = null, Akka.Actor.Setup.Setup? setup = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Remote.DatsyncRemote.ClientSystemFor(Remote.DatsyncRemote.ParseHostPort(Remote.DatsyncRemote.ParseServers(options.Server!)[0]).Host, systemName, config ?? Config.Empty,
            options.Tls, setup);
    }

    /// <summary>
    /// Starts the transactor, its listener and the server in <paramref name="system"/>, with settings from
    /// <paramref name="options"/> over the system's configuration. The system must already be configured with the
    /// storage (see <see cref="DatsyncMasterOptions.BuildSystemConfig"/>).
    /// </summary>
    internal static (MasterHandle Master, IActorRef Server) StartMasterActors(ActorSystem system, DatsyncMasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        var config = system.Settings.Config;
        var master = MasterRuntime.Start(system, options.ToMasterSettings(config), options.MasterName);
        var server = MasterRuntime.StartServer(system, master, options.ToSessionSettings(config), ClientAccess.From(config), options.ServerName);
        return (master, server);
    }

    /// <summary>A replica of the remote master <paramref name="options"/> name, in <paramref name="system"/> (which has
    /// Akka.Remote): its handshake goes to the server's address and is sent again, with backoff, until the server
    /// answers.</summary>
    internal static DatsyncReplica StartRemoteReplica(ActorSystem system, DatsyncReplicaOptions options, ActorSystem? ownSystem = null) =>
        DatsyncReplica.Connect(system, options.Server!, options.RequireClientId(), options.Token,
            options.ToReplicaSettings(system.Settings.Config), ownSystem: ownSystem, name: options.ActorName,
            serverSystem: options.ServerSystemName, serverActor: options.ServerActorName);

    /// <summary>Starts a replica connected to <paramref name="server"/>, with settings from <paramref name="options"/>
    /// over <paramref name="systemConfig"/>.</summary>
    internal static DatsyncReplica StartReplica(IActorRefFactory system, ICanTell server, DatsyncReplicaOptions options,
        Config systemConfig)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DatsyncReplica.Start(system, server, options.RequireClientId(), options.ToReplicaSettings(systemConfig),
            options.ActorName, token: options.Token);
    }
}
