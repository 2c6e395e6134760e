using Akka.Configuration;
using Datsync.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting;

/// <summary>What <c>AddDatsync</c> registered: whether the host starts a master, a replica, or both.</summary>
internal sealed record DatsyncRegistration(bool HasMaster, bool HasReplica);

/// <summary>
/// Starts the master and the replica of <see cref="DatsyncOptions"/> with the host and stops them with it (the replica
/// first). The master's start is awaited (a journal that cannot be read fails the host's start with its message); an
/// in-process replica's bootstrap is awaited too, a remote replica's is not (see
/// <see cref="DatsyncServiceCollectionExtensions.AddDatsync(IServiceCollection, Action{DatsyncOptions})"/>).
/// </summary>
internal sealed class DatsyncHostedService(DatsyncRegistration registration, IOptionsMonitor<DatsyncOptions> options, IServiceProvider services)
    : IHostedService, IAsyncDisposable
{
    private volatile DatsyncMaster? _master;
    private volatile DatsyncReplica? _replica;
    private DatsyncClientsWatch? _watch;

    public DatsyncRegistration Registration => registration;

    /// <summary>The started master, or null before the host started it (or when its start failed).</summary>
    public DatsyncMaster? StartedMaster => _master;

    /// <summary>The started replica, or null before the host started it (or when its start failed).</summary>
    public DatsyncReplica? StartedReplica => _replica;

    public DatsyncMaster Master => _master ?? throw NotStarted("master");

    public DatsyncReplica Replica => _replica ?? throw NotStarted("replica");

    /// <summary>The replica when one is configured, else the master.</summary>
    public IDatsyncConnection Connection => registration.HasReplica ? Replica : Master;

    private static InvalidOperationException NotStarted(string what) =>
        new($"the Datsync {what} is not started: it starts with the host (IHost.StartAsync), and a failed start leaves none");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        var factory = services.GetService<ILoggerFactory>();
        var setup = factory is null ? null : new LoggerFactorySetup(factory);
        var config = factory is null ? Config.Empty : LoggerFactorySetup.LoggersConfig;
        try
        {
            if (registration.HasMaster)
            {
                _master = await DatsyncNode.StartMasterAsync(current.Master ?? new DatsyncMasterOptions(), config, setup, cancellationToken)
                    .ConfigureAwait(false);
                _watch = new DatsyncClientsWatch(_master.System, _master.Server, config, options, scoped: _master.Handle.Scopes is not null, scopesOwner: _master.ScopesOwner);
            }
            if (registration.HasReplica)
            {
                var replicaOptions = current.Replica ?? throw new InvalidOperationException("the Datsync replica's options are gone (Datsync:Replica)");
                var replica = await DatsyncNode.StartReplicaAsync(replicaOptions, config, setup).ConfigureAwait(false);
                _replica = replica;
                if (replicaOptions.IsInProcess) await replica.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await StopAllAsync().ConfigureAwait(false);
            _master = null;
            _replica = null;
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await StopAllAsync().ConfigureAwait(false);

    public ValueTask DisposeAsync() => StopAllAsync();

    private async ValueTask StopAllAsync()
    {
        if (_replica is { } replica) await replica.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _watch, null)?.Dispose();
        if (_master is { } master) await master.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The <see cref="IDatsyncConnection"/> of the host: the started replica, or the master when no replica is
/// configured. Resolvable before the host starts (e.g. in a hosted service's constructor); its members need the
/// connection started. Disposing it does nothing: the host stops the connection.</summary>
internal sealed class HostedConnection(DatsyncHostedService hosted) : IDatsyncConnection
{
    public Db Db => hosted.Connection.Db;

    public ConnectionStatus Status => hosted.Connection.Status;

    public IAsyncEnumerable<DbChange> Reports => hosted.Connection.Reports;

    public Task<TxResult> TransactAsync(IReadOnlyList<object?> txData, CancellationToken cancellationToken = default) =>
        hosted.Connection.TransactAsync(txData, cancellationToken);

    public Task<TxResult> TransactAsync(string txEdn, CancellationToken cancellationToken = default) =>
        hosted.Connection.TransactAsync(txEdn, cancellationToken);

    public Task<Db> SyncAsync(long t, CancellationToken cancellationToken = default) => hosted.Connection.SyncAsync(t, cancellationToken);

    public QuerySubscription Subscribe(string query, params object?[] inputs) => hosted.Connection.Subscribe(query, inputs);

    public QuerySubscription SubscribePull(object pattern, object entity) => hosted.Connection.SubscribePull(pattern, entity);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
