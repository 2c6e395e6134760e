using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Datsync.Actors.Cluster;
using Datsync.Actors.Master;
using Datsync.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Datsync.Actors.Hosting;

/// <summary>
/// A Datsync cluster node in an actor system an application builds with Akka.Hosting and Akka.Cluster.Hosting:
/// <code>
/// services.AddAkka("datsync-cluster", builder => builder
///         .WithRemoting("10.0.0.5", 8110)
///         .WithClustering(new ClusterOptions { Roles = ["transactor", "gateway"], SeedNodes = ["akka.tcp://datsync-cluster@10.0.0.4:8110"] })
///         .WithDatsyncClusterNode(masterOptions))
///     .AddDatsyncClusterConnection();
/// </code>
/// </summary>
public static class DatsyncAkkaHostingExtensions
{
    /// <summary>
    /// Hosts a node of a Datsync master on Akka.Cluster in the actor system <paramref name="builder"/> configures. Call it
    /// after the application's own <c>WithRemoting(...)</c> and <c>WithClustering(...)</c>, which own the cluster's
    /// transport, its seed nodes and the node's roles: <c>akka.cluster.roles</c> of the started system says whether this
    /// node may run the cluster's transactor (<c>transactor</c>) and whether it takes replicas' connections
    /// (<c>gateway</c>); it needs at least one of them. <see cref="DatsyncMasterOptions.Cluster"/> may give the split
    /// brain resolver's <see cref="DatsyncClusterOptions.StableAfter"/> only.
    /// <para>Adds to the system's HOCON: the storage's plugin (<see cref="DatsyncMasterOptions.Storage"/>: every node of a
    /// cluster on one PostgreSQL journal; one node alone may use SQLite), <paramref name="options"/>' master settings,
    /// Datsync's defaults and the split brain resolver Datsync expects, all as fallbacks of what the application set; and,
    /// over what it set, the wire the nodes speak to each other (Akka's JSON serializer closed, the Datsync wire reading
    /// cluster messages), without which a node cannot work.</para>
    /// <para>When the system has started, on a <c>transactor</c> node the singleton transactor, on every node the node's
    /// copy of the master, and on a <c>gateway</c> node the server replicas connect to, in an actor system of its own
    /// named <see cref="DatsyncMasterOptions.Name"/> on <see cref="DatsyncMasterOptions.Listen"/> (with
    /// <see cref="DatsyncMasterOptions.Tls"/>), its log going to the host's <see cref="ILoggerFactory"/>. The start waits
    /// for the node's copy of the master to hold the master's value (the cluster formed and the transactor recovered its
    /// journal). With no <c>akka.cluster.seed-nodes</c> and <paramref name="joinSelfWithoutSeeds"/>, the node forms a
    /// cluster of its own (the first node, or a single-node cluster); pass false when something else joins it (e.g.
    /// Akka.Management's cluster bootstrap). The gateway's server stops in the system's coordinated shutdown
    /// (service-stop phase), so its replicas connect to another gateway.</para>
    /// <para><see cref="AddDatsyncClusterConnection"/> gives the node's connection to the application.</para>
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="DatsyncMasterOptions.Cluster"/> sets the transport, seeds, roles or
    /// TLS of the cluster, which belong to <c>WithRemoting</c> and <c>WithClustering</c>.</exception>
    /// <exception cref="ConfigurationException">The options do not make a valid configuration (e.g. an unknown storage
    /// kind).</exception>
    public static AkkaConfigurationBuilder WithDatsyncClusterNode(this AkkaConfigurationBuilder builder, DatsyncMasterOptions options,
        bool joinSelfWithoutSeeds = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Cluster is { } c && (c.Listen is not null || c.SeedNodes is { Count: > 0 } || c.Roles is { Count: > 0 } || c.Tls is not null))
            throw new ArgumentException("with Akka.Hosting the cluster's transport, seed nodes, roles and TLS are WithRemoting's and " +
                "WithClustering's: leave DatsyncMasterOptions.Cluster.Listen, SeedNodes, Roles and Tls unset", nameof(options));
        if (options.Listen is { } listen) Remote.DatsyncRemote.ParseHostPort(listen, anyPort: true); // a malformed host:port fails here
        var top = options.ToConfig();
        var settings = ClusterSettings.From(top);
        var storage = options.SelectStorage();
        builder.AddHocon(ClusterSettings.WireConfig, HoconAddMode.Prepend);
        builder.AddHocon(top.WithFallback(settings.DowningConfig()).WithFallback(storage.ToConfig()).WithFallback(DatsyncConfig.Default),
            HoconAddMode.Append);
        builder.WithActors((system, registry, resolver) =>
            DatsyncClusterNode.Get(system).StartAsync(system, options, top, resolver.GetService<ILoggerFactory>(), joinSelfWithoutSeeds));
        return builder;
    }

    /// <summary>
    /// Registers, as singletons, the connection of the Datsync cluster node that <see cref="WithDatsyncClusterNode"/> hosts
    /// in the actor system of <c>services.AddAkka(...)</c>: <see cref="IDatsyncConnection"/> (resolvable at any time, its
    /// members need the node started: <see cref="InvalidOperationException"/> before, or with the reason when its start
    /// failed) and <see cref="DatsyncMaster"/> (resolvable once the host has started the node). The node's copy of the
    /// master: its <see cref="IDatsyncConnection.Db"/> follows the cluster's transactor, wherever it runs, and its
    /// transactions go to it. The actor system owns the node: disposing what was resolved does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">An <see cref="IDatsyncConnection"/> is registered already (e.g. by
    /// <c>AddDatsync</c>).</exception>
    public static IServiceCollection AddDatsyncClusterConnection(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IDatsyncConnection)))
            throw new InvalidOperationException("an IDatsyncConnection is registered already (AddDatsync or AddDatsyncClusterConnection): " +
                "a host has one Datsync connection");
        services.AddSingleton<ClusterNodeConnection>();
        services.AddSingleton<IDatsyncConnection>(sp => sp.GetRequiredService<ClusterNodeConnection>());
        services.AddSingleton(sp => sp.GetRequiredService<ClusterNodeConnection>().Master);
        return services;
    }

    /// <summary>
    /// Adds the <c>datsync-master</c> health check (tagged <c>datsync</c>, with <c>t</c>, <c>masterT</c>, <c>lag</c> and
    /// <c>state</c> in its data) of the cluster node of <see cref="AddDatsyncClusterConnection"/> (call that too):
    /// Healthy when the node's copy of the master holds the master's value and the transactor's last journal write
    /// succeeded (as far as this node has heard); Unhealthy when the node is not started, its start failed, or it stopped.
    /// </summary>
    public static IHealthChecksBuilder AddDatsyncClusterNode(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(DatsyncMasterHealthCheck.Name,
            sp => new DatsyncClusterNodeHealthCheck(sp.GetRequiredService<ClusterNodeConnection>()), null, ["datsync"]));
    }
}

/// <summary>The <c>datsync-master</c> check of a cluster node (<see cref="DatsyncAkkaHostingExtensions.AddDatsyncClusterNode"/>).</summary>
internal sealed class DatsyncClusterNodeHealthCheck(ClusterNodeConnection connection) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(connection.StartedMaster is { } master ? DatsyncMasterHealthCheck.Check(master)
            : HealthCheckResult.Unhealthy(connection.NotStarted().Message));
}

/// <summary>The Datsync cluster node of an actor system (an Akka extension): started once by
/// <see cref="DatsyncAkkaHostingExtensions.WithDatsyncClusterNode"/>, its master (or the reason its start failed) for
/// <see cref="ClusterNodeConnection"/>.</summary>
internal sealed class DatsyncClusterNode : IExtension
{
    private readonly TaskCompletionSource<DatsyncMaster> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _starting;

    public static DatsyncClusterNode Get(ActorSystem system) => system.WithExtension<DatsyncClusterNode, DatsyncClusterNodeProvider>();

    /// <summary>The node's master once started; faulted with the reason when its start failed.</summary>
    public Task<DatsyncMaster> Started => _started.Task;

    /// <summary>The started master, or null.</summary>
    public DatsyncMaster? Master => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    /// <summary>Why the start failed, or null.</summary>
    public Exception? Failure => _started.Task.IsFaulted ? _started.Task.Exception?.InnerException : null;

    public async Task StartAsync(ActorSystem system, DatsyncMasterOptions options, Config top, ILoggerFactory? logs, bool joinSelfWithoutSeeds)
    {
        if (Interlocked.Exchange(ref _starting, 1) != 0)
            throw new InvalidOperationException("a Datsync cluster node is started in this actor system already: WithDatsyncClusterNode once per system");
        MasterSystem? node = null;
        try
        {
            var config = system.Settings.Config;
            var roles = config.GetStringList("akka.cluster.roles").Select(r => r.Trim().ToLowerInvariant()).Where(ClusterRoles.All.Contains)
                .ToHashSet(StringComparer.Ordinal);
            if (roles.Count == 0)
                throw new ConfigurationException($"akka.cluster.roles of the actor system {system.Name} has neither {ClusterRoles.Transactor} nor " +
                    $"{ClusterRoles.Gateway}: a Datsync cluster node is a transactor, a gateway or both (ClusterOptions.Roles of WithClustering)");
            var settings = ClusterSettings.From(config) with { Roles = roles };
            var cluster = Akka.Cluster.Cluster.Get(system);
            if (joinSelfWithoutSeeds && config.GetStringList("akka.cluster.seed-nodes").Count == 0)
                cluster.Join(cluster.SelfAddress); // no seeds: a cluster of its own
            var handle = ClusterRuntime.StartNode(system, settings);
            DatsyncMaster master;
            if (settings.IsGateway)
            {
                var gatewayTop = logs is null ? top : top.WithFallback(LoggerFactorySetup.LoggersConfig);
                node = ClusterRuntime.StartGateway(handle, options, gatewayTop, logs is null ? null : new LoggerFactorySetup(logs));
                master = new DatsyncMaster(node, options.Name); // owns the gateway's system, not the application's
            }
            else
            {
                node = new MasterSystem(system, handle, ActorRefs.Nobody, config);
                master = new DatsyncMaster(node, options.Name, ownsSystem: false);
            }
            // the gateway's server stops first (its replicas go to another gateway), then the node leaves the cluster
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "datsync-cluster-node", async () =>
            {
                await Stop(master).ConfigureAwait(false);
                return Akka.Done.Instance;
            });
            var edge = node.System;
            if (edge != system) system.RegisterOnTermination(() => _ = edge.Terminate()); // a system ended without its shutdown
            await handle.Recovered(null).ConfigureAwait(false);
            _started.TrySetResult(master);
        }
        catch (Exception e)
        {
            if (node is not null && node.System != system) await node.System.Terminate().ConfigureAwait(false);
            _started.TrySetException(e);
            throw;
        }
    }

    private static async Task Stop(DatsyncMaster master) => await master.DisposeAsync().ConfigureAwait(false);
}

internal sealed class DatsyncClusterNodeProvider : ExtensionIdProvider<DatsyncClusterNode>
{
    public override DatsyncClusterNode CreateExtension(ExtendedActorSystem system) => new();
}

/// <summary>The <see cref="IDatsyncConnection"/> of <see cref="DatsyncAkkaHostingExtensions.AddDatsyncClusterConnection"/>:
/// the master of the cluster node of the host's actor system, once started. Disposing it does nothing.</summary>
internal sealed class ClusterNodeConnection(IServiceProvider services) : IDatsyncConnection
{
    private DatsyncClusterNode Node => DatsyncClusterNode.Get(services.GetRequiredService<ActorSystem>());

    /// <summary>The started master, or null.</summary>
    public DatsyncMaster? StartedMaster => Node.Master;

    public DatsyncMaster Master => Node.Master ?? throw NotStarted();

    internal InvalidOperationException NotStarted() => Node.Failure is { } failure
        ? new InvalidOperationException($"the Datsync cluster node did not start: {failure.Message}", failure)
        : new InvalidOperationException("the Datsync cluster node is not started: it starts with the host's actor system " +
            "(IHost.StartAsync; services.AddAkka(...).WithDatsyncClusterNode(...))");

    public Db Db => Master.Db;

    public ConnectionStatus Status => Master.Status;

    public IAsyncEnumerable<DbChange> Reports => Master.Reports;

    public Task<TxResult> TransactAsync(IReadOnlyList<object?> txData, CancellationToken cancellationToken = default) =>
        Master.TransactAsync(txData, cancellationToken);

    public Task<TxResult> TransactAsync(string txEdn, CancellationToken cancellationToken = default) => Master.TransactAsync(txEdn, cancellationToken);

    public Task<Db> SyncAsync(long t, CancellationToken cancellationToken = default) => Master.SyncAsync(t, cancellationToken);

    public QuerySubscription Subscribe(string query, params object?[] inputs) => Master.Subscribe(query, inputs);

    public QuerySubscription SubscribePull(object pattern, object entity) => Master.SubscribePull(pattern, entity);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
