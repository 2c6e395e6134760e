using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;

namespace Datsync.Actors.Options;

/// <summary>
/// Plain-ActorSystem entry points that take the same options as the Akka.Hosting extensions (for applications that do
/// not use Microsoft.Extensions.Hosting).
/// </summary>
public static class DatsyncNode
{
    /// <summary>
    /// Creates an ActorSystem named <paramref name="systemName"/> from <paramref name="options"/> (over
    /// <paramref name="config"/>, then the selected storage, prepared, then the library defaults) and starts a master
    /// and its server in it, its remote transport on TLS when <see cref="DatsyncMasterOptions.Tls"/> is set. Dispose
    /// the result to terminate the system.
    /// </summary>
    /// <exception cref="Remote.TlsSetupException">The TLS files cannot be used.</exception>
    public static MasterSystem StartMaster(DatsyncMasterOptions options, string systemName = DatsyncReplicaOptions.DefaultServerSystemName,
        Config? config = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var top = config is null ? options.ToConfig() : options.ToConfig().WithFallback(config);
        return DatsyncMaster.StartSystem(systemName, options.SelectStorage(config), below: top,
            masterName: options.MasterName, serverName: options.ServerName, tls: options.Tls);
    }

    /// <summary>
    /// Creates an ActorSystem for replicas of the remote master <paramref name="options"/> name: Akka.Remote on
    /// <paramref name="host"/> (a free port), on TLS when <see cref="DatsyncReplicaOptions.Tls"/> is set, over
    /// <paramref name="config"/> and the library defaults.
    /// </summary>
    /// <exception cref="Remote.TlsSetupException">The TLS files cannot be used.</exception>
    public static ActorSystem StartClientSystem(DatsyncReplicaOptions options, string systemName = "datsync-client", string host = "127.0.0.1",
        Config? config = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Remote.DatsyncRemote.CreateSystem(systemName, (config ?? Config.Empty)
            .WithFallback(Remote.DatsyncRemote.RemoteConfig(host, 0))
            .WithFallback(DatsyncConfig.Default), options.Tls);
    }

    /// <summary>
    /// Starts the transactor, its listener and the server in <paramref name="system"/>, with settings from
    /// <paramref name="options"/> over the system's configuration. The system must already be configured with the
    /// storage (see <see cref="DatsyncMasterOptions.BuildSystemConfig"/>).
    /// </summary>
    public static (MasterHandle Master, IActorRef Server) StartMasterActors(ActorSystem system, DatsyncMasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        var config = system.Settings.Config;
        var master = DatsyncMaster.Start(system, options.ToMasterSettings(config), options.MasterName);
        var server = DatsyncMaster.StartServer(system, master, options.ToSessionSettings(config), ClientAccess.From(config), options.ServerName);
        return (master, server);
    }

    /// <summary>
    /// Finds the server <paramref name="options"/> name (<see cref="DatsyncReplicaOptions.ServerPath"/>): in this
    /// system, or over Akka.Remote for <c>host:port</c> (the system must then have remoting enabled). Tries again until
    /// <see cref="DatsyncReplicaOptions.ResolveTimeout"/> has passed.
    /// </summary>
    /// <exception cref="ActorNotFoundException">No server answered in time.</exception>
    public static async Task<IActorRef> ResolveServerAsync(ActorSystem system, DatsyncReplicaOptions options,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        var path = options.IsInProcess
            ? options.ServerPath()
            : Remote.DatsyncRemote.ServerPath(options.Server!, options.ServerSystemName, options.ServerActorName, Remote.DatsyncRemote.UsesTls(system));
        var selection = system.ActorSelection(path);
        var deadline = DateTime.UtcNow + options.ResolveTimeout;
        var retry = options.ToReplicaSettings(system.Settings.Config).RetryInterval;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var remaining = deadline - DateTime.UtcNow;
            try
            {
                var attempt = remaining < TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5);
                return await selection.ResolveOne(attempt > TimeSpan.Zero ? attempt : TimeSpan.FromMilliseconds(100), cancel)
                    .ConfigureAwait(false);
            }
            catch (ActorNotFoundException) when (DateTime.UtcNow + retry < deadline)
            {
                await Task.Delay(retry, cancel).ConfigureAwait(false);
            }
            catch (ActorNotFoundException e)
            {
                throw new ActorNotFoundException(
                    $"no Datsync server at {path} within {options.ResolveTimeout} " +
                    (options.IsInProcess
                        ? "(no master in this ActorSystem: start one first, or set Server to host:port)"
                        : "(is the master running, with Akka.Remote reachable at that address?)"), e);
            }
        }
    }

    /// <summary>Finds the server (<see cref="ResolveServerAsync"/>) and starts a replica connected to it.</summary>
    public static async Task<DatsyncReplica> StartReplicaAsync(ActorSystem system, DatsyncReplicaOptions options,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireClientId();
        // a remote server is not looked up first: the replica's handshake goes to its address and is sent again, with
        // backoff, until the server answers
        if (!options.IsInProcess) Remote.WireSecurity.Require(system, "to-replica", $"a replica of the master at {options.Server}");
        ICanTell server = options.IsInProcess
            ? await ResolveServerAsync(system, options, cancel).ConfigureAwait(false)
            : system.ActorSelection(Remote.DatsyncRemote.ServerPath(options.Server!, options.ServerSystemName, options.ServerActorName,
                Remote.DatsyncRemote.UsesTls(system)));
        return StartReplica(system, server, options, system.Settings.Config);
    }

    /// <summary>Starts a replica connected to <paramref name="server"/>, with settings from <paramref name="options"/>
    /// over <paramref name="systemConfig"/>.</summary>
    public static DatsyncReplica StartReplica(IActorRefFactory system, ICanTell server, DatsyncReplicaOptions options,
        Config systemConfig)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DatsyncReplica.Start(system, server, options.RequireClientId(), options.ToReplicaSettings(systemConfig),
            options.ActorName, token: options.Token);
    }
}
