using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Datsync.Actors.Server;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting;

/// <summary>
/// Sends a hosted master's server the client list of the options each time they change (e.g.
/// <c>Datsync:Master:Clients</c> in an <c>appsettings.json</c> loaded with <c>reloadOnChange</c>): the new list
/// (<see cref="DatsyncMasterOptions.Clients"/> and their <c>Hocon</c>) goes to the server (<see cref="ReplaceClients"/>),
/// which ends at once the sessions of clients taken off the list or given another hash. A list with a plain token, an
/// unchanged list, or an empty one after a guarded one (which would admit any client) leaves the server's list as it
/// is; each outcome is one line in the log. On a master started with scopes, the scopes and roles follow the options
/// too (<see cref="DatsyncMasterOptions.Scopes"/>, <see cref="ReplaceScopes"/>): each scoped client whose view changes is
/// bootstrapped again with its new filtered value; scopes that do not parse or name no rules leave the old ones. The
/// other settings keep the values the master started with.
/// </summary>
internal sealed class DatsyncClientsWatch : IDisposable
{
    private readonly IActorRef _server;
    private readonly IActorRef _scopesOwner;
    private readonly Config _beneath;
    private readonly ILoggingAdapter _log;
    private readonly IDisposable? _subscription;
    private readonly object _gate = new();
    private Task _last = Task.CompletedTask;
    private ClientAccess _sent;
    private readonly bool _scoped;
    private string _sentScopes;

    /// <summary>Watches <paramref name="options"/> for <paramref name="server"/>; the scopes go to
    /// <paramref name="scopesOwner"/> (a cluster node's master, which takes them to every node), or to the server.</summary>
    public DatsyncClientsWatch(ActorSystem system, IActorRef server, Config beneath, IOptionsMonitor<DatsyncOptions> options, bool scoped = false,
        IActorRef? scopesOwner = null)
    {
        _server = server;
        _scopesOwner = scopesOwner ?? server;
        _beneath = beneath;
        _scoped = scoped;
        _sentScopes = ScopesHocon(options.CurrentValue.Master); // what the master started with
        _log = Logging.GetLogger(system, typeof(DatsyncClientsWatch));
        _sent = ClientAccess.From(system.Settings.Config); // what the server started with
        _subscription = options.OnChange(changed =>
        {
            lock (_gate) _last = _last.ContinueWith(_ => Apply(changed.Master), TaskScheduler.Default).Unwrap();
        });
    }

    private static string ScopesHocon(DatsyncMasterOptions? options) => (options?.Scopes ?? new DatsyncScopesOptions()).ToHocon();

    private async Task Apply(DatsyncMasterOptions? options)
    {
        await ApplyClients(options).ConfigureAwait(false);
        if (_scoped) await ApplyScopes(options).ConfigureAwait(false);
    }

    private async Task ApplyScopes(DatsyncMasterOptions? options)
    {
        var hocon = ScopesHocon(options);
        if (hocon == _sentScopes) return; // a change elsewhere in the configuration
        try
        {
            var rebootstrapped = await ScopesReload.ReplaceAsync(_scopesOwner, ConfigurationFactory.ParseString(hocon)).ConfigureAwait(false);
            _sentScopes = hocon;
            _log.Info("Datsync: {0}", ScopesReload.Line(rebootstrapped));
        }
        catch (Exception e) when (e is ConfigurationException or InvalidOperationException or AskTimeoutException or TaskCanceledException)
        {
            _log.Warning("Datsync: kept the old scopes: {0}", e.Message);
        }
    }

    private async Task ApplyClients(DatsyncMasterOptions? options)
    {
        ClientAccess access;
        try { access = ClientAccess.From((options ?? new DatsyncMasterOptions()).ToConfig().WithFallback(_beneath)); }
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
