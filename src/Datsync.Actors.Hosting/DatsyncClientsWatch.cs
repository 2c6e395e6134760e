using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Datsync.Actors;
using Datsync.Actors.Server;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting;

/// <summary>A master whose client list follows its options as they change (e.g. <c>Datsync:Master:Clients</c> in an
/// <c>appsettings.json</c> loaded with <c>reloadOnChange</c>).</summary>
public static class DatsyncClientsHostingExtensions
{
    /// <summary>
    /// <see cref="DatsyncHostingExtensions.WithDatsyncMaster(AkkaConfigurationBuilder, DatsyncMasterOptions)"/> with the
    /// options' current value, then, while the ActorSystem runs, on every change of the options: the new client list
    /// (<see cref="DatsyncMasterOptions.Clients"/> and their <c>Hocon</c>, over the HOCON added to the builder before this
    /// call) goes to the server (<see cref="ReplaceClients"/>), which ends at once the sessions of clients taken off
    /// the list or given another hash. A list with a plain token, an unchanged list, or an empty one after a guarded
    /// one (which would admit any client) leaves the server's list as it is; each outcome is one line in Akka's log.
    /// Only the client list follows the options: the other settings keep the values the system started with.
    /// </summary>
    public static AkkaConfigurationBuilder WithDatsyncMaster(this AkkaConfigurationBuilder builder, IOptionsMonitor<DatsyncMasterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var beneath = builder.Configuration.GetOrElse(Config.Empty);
        builder.WithDatsyncMaster(options.CurrentValue);
        return builder.WithActors((system, registry) =>
        {
            var watch = new DatsyncClientsWatch(system, registry.Get<DatsyncServerKey>(), beneath, options);
            system.RegisterOnTermination(watch.Dispose);
        });
    }
}

/// <summary>Sends the server the client list of the options each time they change (see
/// <see cref="DatsyncClientsHostingExtensions.WithDatsyncMaster(AkkaConfigurationBuilder, IOptionsMonitor{DatsyncMasterOptions})"/>).</summary>
internal sealed class DatsyncClientsWatch : IDisposable
{
    private readonly IActorRef _server;
    private readonly Config _beneath;
    private readonly ILoggingAdapter _log;
    private readonly IDisposable? _subscription;
    private readonly object _gate = new();
    private Task _last = Task.CompletedTask;
    private ClientAccess _sent;

    public DatsyncClientsWatch(ActorSystem system, IActorRef server, Config beneath, IOptionsMonitor<DatsyncMasterOptions> options)
    {
        _server = server;
        _beneath = beneath;
        _log = Logging.GetLogger(system, typeof(DatsyncClientsWatch));
        _sent = ClientAccess.From(system.Settings.Config); // what the server started with
        _subscription = options.OnChange(changed =>
        {
            lock (_gate) _last = _last.ContinueWith(_ => Apply(changed), TaskScheduler.Default).Unwrap();
        });
    }

    private async Task Apply(DatsyncMasterOptions options)
    {
        ClientAccess access;
        try { access = ClientAccess.From(options.ToConfig().WithFallback(_beneath)); }
        catch (ConfigurationException e)
        {
            _log.Warning("Datsync: kept the old client list: {0}", e.Message);
            return;
        }
        if (access.SameAs(_sent)) return; // a change elsewhere in the configuration
        try
        {
            switch (await _server.Ask<object>(new ReplaceClients(access), TimeSpan.FromSeconds(30)).ConfigureAwait(false))
            {
                case ClientsReplaced r:
                    _sent = access;
                    _log.Info("Datsync: the client list changed ({0} clients){1}", access.ClientIds.Count,
                        r.Ended.Count == 0 ? "" : "; ended the sessions of " + string.Join(", ", r.Ended));
                    break;
                case ClientsNotReplaced n:
                    _log.Warning("Datsync: kept the old client list: {0}", n.Reason);
                    break;
            }
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            _log.Warning("Datsync: kept the old client list: the server did not answer ({0})", e.Message);
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
