using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Datsync.Actors.Hosting;

/// <summary>Datsync in a .NET host: <c>services.AddDatsync(configuration.GetSection("Datsync"))</c>.</summary>
public static class DatsyncServiceCollectionExtensions
{
    /// <summary>
    /// Starts a master and/or a replica with the host, bound from <paramref name="section"/> (e.g. the <c>Datsync</c>
    /// section): a master when it has a <c>Master</c> subsection (<c>Datsync:Master:...</c>, see
    /// <see cref="DatsyncMasterOptions"/>), a replica when it has a <c>Replica</c> one (<c>Datsync:Replica:...</c>, see
    /// <see cref="DatsyncReplicaOptions"/>). The master's client list (<c>Datsync:Master:Clients</c>) follows the
    /// configuration as it is reloaded; the other settings keep the values the host started with. Otherwise as
    /// <see cref="AddDatsync(IServiceCollection, Action{DatsyncOptions})"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The section has neither subsection, a replica has no client id, or
    /// <c>AddDatsync</c> was called already.</exception>
    /// <exception cref="FormatException">The replica's <c>Server</c> or the master's <c>Listen</c> is not
    /// <c>host:port</c>.</exception>
    public static IServiceCollection AddDatsync(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var current = section.Get<DatsyncOptions>() ?? new DatsyncOptions();
        var hasMaster = current.Master is not null || section.GetSection(nameof(DatsyncOptions.Master)).Exists();
        var hasReplica = current.Replica is not null || section.GetSection(nameof(DatsyncOptions.Replica)).Exists();
        Register(services, current, hasMaster, hasReplica, section is IConfigurationSection s ? s.Path : "the configuration");
        services.Configure<DatsyncOptions>(section);
        return services;
    }

    /// <summary>
    /// Starts the master and/or the replica that <paramref name="configure"/> sets on <see cref="DatsyncOptions"/> (run
    /// once, now) with the host, and stops them with it (the replica first, then the master). Registers as singletons:
    /// <list type="bullet">
    /// <item><see cref="DatsyncMaster"/> when a master is configured (<see cref="DatsyncNode.StartMasterAsync(DatsyncMasterOptions, CancellationToken)"/>, in an
    /// actor system of its own named <see cref="DatsyncMasterOptions.Name"/>). The host's start waits for it: a journal
    /// that cannot be read, or storage another master holds, fails the host's start with its message.</item>
    /// <item><see cref="DatsyncReplica"/> when a replica is configured. A replica of the master of this process (no
    /// <see cref="DatsyncReplicaOptions.Server"/>) is bootstrapped before the host's start completes. A replica of a
    /// remote master (<c>host:port</c>) is started, not waited for: the host starts while that master is down, the
    /// replica keeps trying and bootstraps when it answers; until then its status says so (and the
    /// <c>datsync-replica</c> health check is Degraded), and its writes fail with <c>:datsync.error/unavailable</c>.
    /// <c>await connection.SyncAsync(0)</c> waits for its bootstrap.</item>
    /// <item><see cref="IDatsyncConnection"/>: the replica when one is configured, else the master. It resolves at any
    /// time (an application's service may take it in its constructor); its members need the host started. The host
    /// owns the connection: disposing what was resolved does nothing.</item>
    /// </list>
    /// <see cref="DatsyncMaster"/> and <see cref="DatsyncReplica"/> resolve once the host started them (before:
    /// <see cref="InvalidOperationException"/>). Akka's log goes to the host's <c>ILoggerFactory</c>, under the
    /// category of the class that logged (the options' <c>Hocon</c> may set <c>akka.loglevel</c>). Health checks:
    /// <see cref="DatsyncHealthChecksBuilderExtensions.AddDatsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Neither a master nor a replica, a replica without a client id, or
    /// <c>AddDatsync</c> was called already.</exception>
    /// <exception cref="FormatException">The replica's <c>Server</c> or the master's <c>Listen</c> is not
    /// <c>host:port</c>.</exception>
    public static IServiceCollection AddDatsync(this IServiceCollection services, Action<DatsyncOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new DatsyncOptions();
        configure(options);
        Register(services, options, options.Master is not null, options.Replica is not null, "the DatsyncOptions");
        services.Configure<DatsyncOptions>(o =>
        {
            o.Master = options.Master;
            o.Replica = options.Replica;
        });
        return services;
    }

    private static void Register(IServiceCollection services, DatsyncOptions options, bool hasMaster, bool hasReplica, string source)
    {
        if (services.Any(d => d.ServiceType == typeof(DatsyncRegistration)))
            throw new InvalidOperationException("AddDatsync was called already: a host starts one Datsync master and/or one replica");
        if (!hasMaster && !hasReplica)
            throw new InvalidOperationException($"{source} configures neither a Datsync master (Master) nor a replica (Replica); " +
                "AddDatsync takes the Datsync section itself, e.g. configuration.GetSection(\"Datsync\")");
        if (hasMaster && options.Master?.Listen is { } listen) Remote.DatsyncRemote.ParseHostPort(listen, anyPort: true);
        if (hasReplica)
        {
            var replica = options.Replica ?? new DatsyncReplicaOptions();
            replica.RequireClientId();
            replica.ServerPath(); // a malformed host:port fails here, not at the host's start
        }

        var registration = new DatsyncRegistration(hasMaster, hasReplica);
        services.AddOptions();
        services.AddSingleton(registration);
        services.AddSingleton<DatsyncHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<DatsyncHostedService>());
        if (hasMaster) services.AddSingleton(sp => sp.GetRequiredService<DatsyncHostedService>().Master);
        if (hasReplica) services.AddSingleton(sp => sp.GetRequiredService<DatsyncHostedService>().Replica);
        services.AddSingleton<IDatsyncConnection, HostedConnection>();
    }
}
