using System.Collections.Concurrent;
using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors;

/// <summary>
/// A running master (a single transactor on its journal, its log listener, and the server replicas connect to) and its
/// own connection: <see cref="Db"/> is the master's durable value,
/// <see cref="TransactAsync(IReadOnlyList{object?}, CancellationToken)"/> commits through its transactor. Started with <see cref="DatsyncNode.StartMasterAsync(DatsyncMasterOptions, CancellationToken)"/>; disposing it stops the master and its actor
/// system (its replicas in other processes keep their values and connect again when a master is back).
/// </summary>
public sealed class DatsyncMaster : IDatsyncConnection
{
    private static readonly ConcurrentDictionary<DatsyncMaster, string> InProcess = new();
    private readonly MasterSystem _node;
    private readonly bool _ownsSystem;
    private int _disposed;

    /// <param name="node">The actor system the master runs in.</param>
    /// <param name="name">The master's name in it.</param>
    /// <param name="ownsSystem">False: the actor system is someone else's (a test's, for the TestKit); disposing
    /// stops the master's actors and leaves the system running.</param>
    internal DatsyncMaster(MasterSystem node, string name, bool ownsSystem = true)
    {
        _node = node;
        Name = name;
        _ownsSystem = ownsSystem;
        InProcess[this] = name;
    }

    /// <summary>The master's name (its actor system's; replicas of this process find it by it, remote ones address
    /// it by it).</summary>
    public string Name { get; }

    /// <summary><c>host:port</c> replicas in other processes connect to, or null when the master takes in-process
    /// replicas only (no <see cref="DatsyncMasterOptions.Listen"/>).</summary>
    public string? ListeningAt =>
        ((ExtendedActorSystem)_node.System).Provider.DefaultAddress is { Port: not null } a ? Remote.DatsyncRemote.ListeningAt(_node.System) : null;

    internal ActorSystem System => _node.System;
    internal MasterHandle Handle => _node.Master;
    internal IActorRef Server => _node.Server;

    /// <summary>Who replaces the scopes (<see cref="Datsync.Actors.Server.ReplaceScopes"/>): a cluster node's master,
    /// which takes them to every node (gateway or not), or else the server.</summary>
    internal IActorRef ScopesOwner => _node.Master.ClusterNode ?? _node.Server;
    internal MasterSystem Node => _node;

    /// <inheritdoc />
    public Db Db => _node.Master.Health.Db;

    /// <inheritdoc />
    public ConnectionStatus Status
    {
        get
        {
            var t = Db.BasisT;
            var health = _node.Master.Health;
            var state = _disposed != 0 ? ConnectionState.Disconnected
                : health.RecoveryFailure is not null ? ConnectionState.Disconnected
                : health.FirstRecovery.IsCompleted ? ConnectionState.Connected : ConnectionState.Connecting;
            return new ConnectionStatus(t, t, 0, state, health.FirstRecovery.IsCompleted);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<DbChange> Reports => _node.Master.Health.Reports;

    internal LiveHub Live => _node.Master.Health.Live;

    /// <inheritdoc />
    public QuerySubscription Subscribe(string query, params object?[] inputs) => _node.Master.Health.Live.Add(LiveQuery.Of(query, inputs ?? []));

    /// <inheritdoc />
    public QuerySubscription SubscribePull(object pattern, object entity) => _node.Master.Health.Live.Add(LiveQuery.OfPull(pattern, entity));

    /// <inheritdoc />
    public async Task<TxResult> TransactAsync(IReadOnlyList<object?> txData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txData);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var asked = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (_, traceParent) = Observability.DatsyncTelemetry.StartTransact(Observability.DatsyncTelemetry.MasterTag, Name, asked.Task);
        object reply;
        try
        {
            reply = await _node.Master.Transactor.Ask<object>(new Transact(Guid.NewGuid().ToString("N"), txData, TraceParent: traceParent, WithValues: true),
                null, cancellationToken).ConfigureAwait(false);
            asked.TrySetResult(reply); // the activity ends with the outcome (an error status for a rejection)
        }
        catch (Exception e)
        {
            asked.TrySetException(e);
            throw;
        }
        return reply switch
        {
            TxAccepted a => new TxResult(a.T, a.Tempids, a.DbBefore ?? Db, a.DbAfter ?? Db, a.TxData),
            TxRejected r => throw new TxRejectedException(r.Category, r.Message),
            _ => throw new InvalidOperationException($"the transactor answered {reply.GetType().Name}"),
        };
    }

    /// <inheritdoc />
    public Task<TxResult> TransactAsync(string txEdn, CancellationToken cancellationToken = default) =>
        TransactAsync(Tx.Parse(txEdn), cancellationToken);

    /// <inheritdoc />
    public Task<Db> SyncAsync(long t, CancellationToken cancellationToken = default) =>
        _node.Master.Health.SyncAsync(t, cancellationToken);

    /// <summary>
    /// Puts new scopes in force (rules, attributes, roles, write rules): the transactor checks the next transaction
    /// against them, and every scoped client whose view changes — entities or attributes it now sees or no longer sees —
    /// is bootstrapped again at once with its new filtered value (what it may no longer see leaves its replica). A
    /// client whose view stays the same keeps its stream. The master must have been started with scopes.
    /// </summary>
    /// <returns>The client ids whose replicas are bootstrapped again.</returns>
    /// <exception cref="ArgumentException">The scopes do not parse, or name no rules; nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The master was started without scopes; nothing changed.</exception>
    public async Task<IReadOnlyList<string>> ReplaceScopesAsync(DatsyncScopesOptions scopes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        try
        {
            return await Datsync.Actors.Server.ScopesReload.ReplaceAsync(ScopesOwner,
                    Akka.Configuration.ConfigurationFactory.ParseString(scopes.ToHocon()), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Akka.Configuration.ConfigurationException e)
        {
            throw new ArgumentException(e.Message, nameof(scopes), e);
        }
    }

    /// <summary>The masters of this process named <paramref name="name"/> (an in-process replica connects to the one).</summary>
    internal static IReadOnlyList<DatsyncMaster> Named(string name) =>
        InProcess.Where(m => m.Value == name).Select(m => m.Key).ToList();

    /// <summary>Stops the master: its transactor finishes the write under way, its actor system terminates (a master
    /// started in an actor system it does not own stops its server, transactor and listener only).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        InProcess.TryRemove(this, out _);
        await Live.DisposeAsync().ConfigureAwait(false); // its subscriptions end first
        _node.Master.Health.Stopped();
        if (_ownsSystem)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
            return;
        }
        foreach (var actor in new[] { _node.Server, _node.Master.Transactor, _node.Master.Listener }) // sessions first
        {
            if (actor.IsNobody()) continue; // a cluster node without a gateway has no server
            try { await actor.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
            catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { _node.System.Stop(actor); }
        }
    }
}
