using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Datsync.Actors;
using Datsync.Actors.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Datsync.Actors.Hosting;

/// <summary>Akka.Hosting extensions that start a Datsync master and replicas in the hosted ActorSystem.</summary>
public static class DatsyncHostingExtensions
{
    /// <summary>
    /// Adds the master's HOCON and starts its transactor, log listener and server when the ActorSystem starts,
    /// registering them under <see cref="DatsyncMasterKey"/>, <see cref="DatsyncListenerKey"/> and
    /// <see cref="DatsyncServerKey"/>.
    /// </summary>
    /// <remarks>
    /// Configuration, highest priority first: <paramref name="options"/> (their <c>Hocon</c>, then the properties that
    /// are set); HOCON added to the builder (before or after this call); the storage plugin HOCON of the storage
    /// selected by the options over the HOCON added <em>before</em> this call (prepared now: for SQLite the directory
    /// and the file are created); the library defaults. Akka's log goes to the host's <c>ILoggerFactory</c> unless the
    /// application configures loggers itself (<c>ConfigureLoggers</c>).
    /// </remarks>
    public static AkkaConfigurationBuilder WithDatsyncMaster(this AkkaConfigurationBuilder builder, DatsyncMasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var storage = options.SelectStorage(builder.Configuration.GetOrElse(Config.Empty));
        builder.AddHocon(options.ToConfig(), HoconAddMode.Prepend);
        builder.AddHocon(WireSecurity.ForServer(options.ServerName), HoconAddMode.Append);
        builder.AddHocon(storage.ToConfig(), HoconAddMode.Append);
        AddDefaults(builder);
        if (options.Tls is { IsEnabled: true } tls) AddTls(builder, tls.ForServer());
        return builder.WithActors((system, registry) =>
        {
            var (master, server) = DatsyncNode.StartMasterActors(system, options);
            registry.Register<DatsyncMasterKey>(master.Transactor);
            registry.Register<DatsyncListenerKey>(master.Listener);
            registry.Register<DatsyncServerKey>(server);
        });
    }

    /// <summary>
    /// Starts a replica when the ActorSystem starts and makes it available through <see cref="DatsyncReplicaProvider"/>
    /// (and <see cref="DatsyncReplicas"/>); the first replica's actor is registered under
    /// <see cref="DatsyncReplicaKey"/>.
    /// </summary>
    /// <remarks>
    /// With an empty <see cref="DatsyncReplicaOptions.Server"/> the replica connects to the master of this ActorSystem
    /// (call <see cref="WithDatsyncMaster"/> first, or start its server under <c>/user/{ServerActorName}</c>).
    /// With <c>host:port</c> the replica connects over Akka.Remote (on 127.0.0.1, a free port, unless the application
    /// configures remoting itself) and keeps trying, with backoff, until the server answers. A failed start fails the
    /// host's start with its error and faults the provider's lookups.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No client id.</exception>
    /// <exception cref="FormatException"><see cref="DatsyncReplicaOptions.Server"/> is not <c>host:port</c>.</exception>
    public static AkkaConfigurationBuilder WithDatsyncReplica(this AkkaConfigurationBuilder builder, DatsyncReplicaOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var clientId = options.RequireClientId();
        options.ServerPath(); // a malformed host:port fails here, not at start-up
        AddDefaults(builder);
        // a remote master needs Akka.Remote; an application's own remoting settings win over this fallback
        if (!options.IsInProcess)
        {
            builder.AddHocon(DatsyncRemote.RemoteConfig("127.0.0.1", 0), HoconAddMode.Append);
            builder.AddHocon(WireSecurity.Client, HoconAddMode.Append);
        }
        if (!options.IsInProcess && options.Tls is { IsEnabled: true } tls) AddTls(builder, tls);
        return builder.WithActors(async (system, registry) =>
        {
            var replicas = DatsyncReplicas.For(system);
            try
            {
                var replica = options.IsInProcess && registry.TryGet<DatsyncServerKey>(out var local)
                    ? DatsyncNode.StartReplica(system, local, options, system.Settings.Config)
                    : DatsyncNode.StartRemoteReplica(system, options);
                registry.TryRegister<DatsyncReplicaKey>(replica.Actor);
                replicas.Add(replica);
            }
            catch (Exception e)
            {
                replicas.Failed(clientId, e);
                throw;
            }
        });
    }

    /// <summary>TLS for the hosted system's transport: <c>enable-ssl = on</c> over every other HOCON, and the DotNetty
    /// setup with the certificates (loaded now, so a missing file or a wrong password fails here). An ActorSystem has
    /// one transport and so one TLS setup: the last one added wins.</summary>
    private static void AddTls(AkkaConfigurationBuilder builder, TlsOptions tls)
    {
        var setup = tls.ToSslSetup();
        builder.AddHocon(tls.ToConfig(), HoconAddMode.Prepend);
        builder.AddSetup(setup);
    }

    /// <summary>Akka.Hosting's ILoggerFactory logger as HOCON names it (type, assembly), without version.</summary>
    private static readonly string LoggerFactoryLoggerName =
        $"{typeof(LoggerFactoryLogger).FullName}, {typeof(LoggerFactoryLogger).Assembly.GetName().Name}";

    private static void AddDefaults(AkkaConfigurationBuilder builder)
    {
        // fallbacks only: an application's own HOCON and ConfigureLoggers (which prepends) win
        builder.AddHocon(ConfigurationFactory.ParseString($"akka.loggers = [\"{LoggerFactoryLoggerName}\"]"), HoconAddMode.Append);
        builder.AddHocon(DatsyncConfig.Default, HoconAddMode.Append);
    }
}

/// <summary>Service registrations for Datsync in a host.</summary>
public static class DatsyncServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DatsyncReplicaProvider"/> and, given <paramref name="configuration"/>, binds
    /// <see cref="DatsyncMasterOptions"/> to its <c>Datsync:Master</c> section and <see cref="DatsyncReplicaOptions"/>
    /// to <c>Datsync:Replica</c> (read them with <c>IOptions&lt;T&gt;</c> in <c>AddAkka((builder, sp) =&gt; ...)</c>).
    /// </summary>
    public static IServiceCollection AddDatsync(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<DatsyncReplicaProvider>();
        if (configuration is not null)
        {
            services.Configure<DatsyncMasterOptions>(configuration.GetSection(DatsyncMasterOptions.SectionName));
            services.Configure<DatsyncReplicaOptions>(configuration.GetSection(DatsyncReplicaOptions.SectionName));
        }
        return services;
    }
}
