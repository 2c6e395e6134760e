using Datsync.Actors.Replica;
using Akka.Actor;
using Akka.Event;
using Datsync.Core;

namespace Datsync.Actors;

/// <summary>What a replica actor publishes for its handle: the latest state and status (read from any thread), the
/// listeners it calls and the changes its connection's <see cref="IDatsyncConnection.Reports"/> give.</summary>
internal sealed class ReplicaShared(int reportBuffer = 1024)
{
    // the state and the status, swapped together: a reader never sees the status of one t with the value of another
    private volatile ReplicaSnapshot _current = new(null, new ConnectionStatus(-1, -1, 0, ConnectionState.Connecting, false));
    private volatile Action<ReplicaReport>[] _listeners = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopped;

    public ReplicaState? State => _current.State;
    public ConnectionStatus Status => _current.Status;

    /// <summary>The state and the status published together.</summary>
    public ReplicaSnapshot Current => _current;

    /// <summary>The replica's client id, for its measurements (<c>datsync.replica.lag</c>).</summary>
    internal string ClientId { get; init; } = "";

    private volatile string? _databaseId;

    /// <summary>Who follows every value this replica holds (a cluster node's copy of the master, which feeds the node's
    /// own sessions); null for a replica of an application.</summary>
    internal IReplicaMirror? Mirror { get; init; }

    /// <summary>The replica's local store, opened with it (<c>datsync.replica.store</c>); null: in memory only. The
    /// actor writes it (one owner at a time); the handle disposes it once the actor stopped.</summary>
    internal ReplicaStore? Store { get; init; }

    private IReadOnlyList<OutboxEntry>? _storedOutbox;

    /// <summary>What the store's outbox held when the replica started (taken once by the actor).</summary>
    internal IReadOnlyList<OutboxEntry>? StoredOutbox { init => _storedOutbox = value; }

    internal IReadOnlyList<OutboxEntry>? TakeStoredOutbox() => Interlocked.Exchange(ref _storedOutbox, null);

    /// <summary>The id of the master database the replica's value came from (set by the actor before it publishes).</summary>
    internal string? DatabaseId { get => _databaseId; set => _databaseId = value; }

    private bool _measured;
    public Task Ready => _ready.Task;
    public bool IsStopped => _stopped;

    internal void Publish(ReplicaState? state, ConnectionStatus status)
    {
        _current = new ReplicaSnapshot(state, status);
        _live?.Kick();
        if (!_measured && !_stopped) _measured = Observability.DatsyncTelemetry.ReplicaRunning(this);
        if (state is not null && status.Connection == ConnectionState.Connected) _ready.TrySetResult(); // a resumed replica too waits for its session
    }

    internal void Refused(Exception why)
    {
        _refusal = why;
        _ready.TrySetException(why);
        _refused.TrySetResult(why);
    }

    private volatile Exception? _refusal;
    private readonly TaskCompletionSource<Exception> _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why the server refused this replica, or null.</summary>
    public Exception? Refusal => _refusal;

    /// <summary>Completes with the reason once the server refuses this replica (at its first handshake, or later, when
    /// its session was ended and its client taken off the server's list).</summary>
    public Task<Exception> WhenRefused => _refused.Task;

    private volatile BootstrapProgress? _bootstrap;

    /// <summary>The bootstrap under way or last done, or null before the first chunk.</summary>
    public BootstrapProgress? Bootstrap => _bootstrap;

    internal void Progress(BootstrapProgress progress) => _bootstrap = progress;

    private ReplicaActor.Carried? _carried;

    /// <summary>A failing replica actor leaves its state for the instance its supervisor starts next.</summary>
    internal void Carry(ReplicaActor.Carried carried) => Volatile.Write(ref _carried, carried);

    internal ReplicaActor.Carried? TakeCarried() => Interlocked.Exchange(ref _carried, null);

    internal void Stopped()
    {
        _stopped = true;
        Store?.Dispose(); // the actor's last step: nothing writes it any more
        Reports.Complete();
        Rejections.Complete();
        _ = Live.DisposeAsync(); // a subscription asked for later is refused
        Observability.DatsyncTelemetry.ReplicaStopped(this);
        _ready.TrySetException(new InvalidOperationException("the replica stopped before it was bootstrapped"));
    }

    internal IDisposable AddListener(Action<ReplicaReport> listener)
    {
        lock (this) _listeners = [.. _listeners, listener];
        return new Unlisten(this, listener);
    }

    private sealed class Unlisten(ReplicaShared shared, Action<ReplicaReport> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (shared) shared._listeners = shared._listeners.Where(l => !ReferenceEquals(l, listener)).ToArray();
        }
    }

    /// <summary>Local transactions that left the view without being committed, for <see cref="DatsyncReplica.Rejections"/>.</summary>
    internal Feed<TxRejection> Rejections { get; } = new(reportBuffer, r => r.Seq, keep: reportBuffer);

    private long _rejectionSeq;

    /// <summary>The number of the next rejection.</summary>
    internal long NextRejectionSeq() => Interlocked.Increment(ref _rejectionSeq);

    /// <summary>Changes of the replica's value, for <see cref="IDatsyncConnection.Reports"/>.</summary>
    internal ReportFeed Reports { get; } = new(reportBuffer);

    /// <summary>The live queries, on the master's values this replica applied (its pending writes are not results).</summary>
    internal LiveHub Live
    {
        get
        {
            if (_live is { } hub) return hub;
            lock (_liveGate) return _live ??= new LiveHub(() => State?.Synced, reportBuffer);
        }
    }
    private volatile LiveHub? _live;
    private readonly object _liveGate = new();

    internal void Notify(ReplicaReport report, ILoggingAdapter log)
    {
        if (Reports.HasReaders || _live is not null && !report.Pending)
        {
            var change = new DbChange(report.T, report.DbBefore, report.DbAfter, report.TxData, report.Pending);
            if (Reports.HasReaders) Reports.Publish(change);
            _live?.Offer(change);
        }
        foreach (var l in _listeners)
        {
            try { l(report); }
            catch (Exception e) { log.Error(e, "a Listen callback failed on the report of t={0}", report.T); }
        }
    }
}

/// <summary>
/// A replica: a local, indexed, immutable copy of the master's database (DataScript's conn, kept in step with a Datomic
/// master), started with <see cref="DatsyncNode.ConnectReplicaAsync"/>. Reads (<see cref="Db"/>, ids, status) are safe
/// from any thread and ask nobody; writes run here at once (their new entities get local ids) and go to the master,
/// and complete when the master committed them and this replica applied the master's transaction. Dispose it to stop
/// it (and the actor system it was started in, for a replica of a remote master).
/// </summary>
public sealed class DatsyncReplica : IDatsyncConnection
{
    private readonly ReplicaShared _shared;
    private readonly ActorSystem? _ownSystem;
    private int _disposed;

    /// <summary>The replica's client id at the master.</summary>
    public string ClientId { get; }

    /// <summary>The replica actor.</summary>
    internal IActorRef Actor { get; }

    internal ActorSystem System { get; }

    private DatsyncReplica(string clientId, IActorRef actor, ReplicaShared shared, ActorSystem system, ActorSystem? ownSystem)
    {
        ClientId = clientId;
        Actor = actor;
        _shared = shared;
        System = system;
        _ownSystem = ownSystem;
    }

    /// <summary>Starts a replica that connects to the server at <paramref name="server"/> (a
    /// <see cref="Server.DatsyncServerActor"/>, local or remote) as <paramref name="clientId"/>.</summary>
    /// <param name="system">Where the replica actor is created.</param>
    /// <param name="server">The server actor, or a selection of it in another actor system.</param>
    /// <param name="clientId">The client id the replica connects as.</param>
    /// <param name="settings">The replica's settings; null: the library's defaults.</param>
    /// <param name="name">The replica actor's name; null: one made from the client id.</param>
    /// <param name="resumeFrom">A value of this master the replica already holds (e.g. the <see cref="SyncedDb"/> of
    /// a replica that stopped): the replica starts from it and asks only for the transactions after its basis t instead
    /// of a bootstrap. Pending local transactions of an earlier replica are not carried over; a replica the server refuses
    /// drops it too. Null: bootstrap.</param>
    /// <param name="resumeDatabaseId">The id of the master database <paramref name="resumeFrom"/> came from (the
    /// <see cref="DatabaseId"/> of the replica that held it): resumed only against that database, bootstrapped against
    /// another. Null: unknown, resumed as before database ids.</param>
    /// <param name="token">The client's token, when the server lists its clients (<c>datsync.server.clients</c>).</param>
    /// <param name="ownSystem">An actor system made for this replica alone, terminated when it is disposed.</param>
    /// <param name="alsoServers">Further servers of the same master (a cluster's gateways), tried in turn.</param>
    /// <param name="mirror">Follows every value the replica holds (a cluster node's copy of the master).</param>
    /// <param name="sessionsUnder">The server is reached through a forwarding actor of this system (a cluster singleton's
    /// proxy); its sessions in this system are under this path.</param>
    internal static DatsyncReplica Start(IActorRefFactory system, ICanTell server, string clientId, ReplicaSettings? settings = null,
        string? name = null, Db? resumeFrom = null, string? token = null, ActorSystem? ownSystem = null, string? resumeDatabaseId = null,
        IReadOnlyList<ICanTell>? alsoServers = null, IReplicaMirror? mirror = null, ActorPath? sessionsUnder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        settings ??= ReplicaSettings.Default;
        // a replica with a store starts from what it holds there, before any network call
        var store = settings.Store is { } directory ? ReplicaStore.Open(directory, clientId) : null;
        if (store is not null) store.FullSyncOutbox = settings.FullSyncOutbox;
        IReadOnlyList<OutboxEntry>? outbox = null;
        if (store is not null && resumeFrom is null)
        {
            try
            {
                if (store.Load() is { } stored)
                {
                    resumeFrom = stored.Value;
                    resumeDatabaseId = stored.DatabaseId;
                    outbox = stored.Outbox;
                }
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
        var fromStore = store is not null && resumeFrom is not null;
        var shared = new ReplicaShared(settings.ReportBuffer) { ClientId = clientId, Store = store, StoredOutbox = outbox, Mirror = mirror };
        if (resumeFrom is not null)
        {
            // readable at once, before the actor runs and before any network call: not connected, at its t
            shared.DatabaseId = Protocol.DatabaseIds.Checked(resumeDatabaseId);
            shared.Publish(ReplicaState.Bootstrapped(resumeFrom),
                new ConnectionStatus(resumeFrom.BasisT, resumeFrom.BasisT, 0, ConnectionState.Connecting, true));
        }
        var actor = system.ActorOf(ReplicaActor.Props(clientId, server, settings, shared, resumeFrom, token, resumeDatabaseId, alsoServers, sessionsUnder),
            name ?? "replica-" + Uri.EscapeDataString(clientId));
        var actorSystem = system as ActorSystem ?? (system as IActorContext)?.System
            ?? throw new ArgumentException("an ActorSystem or an actor's context is required", nameof(system));
        return new DatsyncReplica(clientId, actor, shared, actorSystem, ownSystem) { StartedFromStore = fromStore };
    }

    /// <summary>Starts a replica in <paramref name="system"/> (an actor system with Akka.Remote) that connects to the
    /// server of the master at <paramref name="server"/> (<c>host:port</c>), over TLS when the system's transport
    /// speaks TLS. The master's actor system and server actor have the default names unless given.</summary>
    internal static DatsyncReplica Connect(ActorSystem system, string server, string clientId, string? token = null,
        ReplicaSettings? settings = null, Db? resumeFrom = null, ActorSystem? ownSystem = null, string? name = null,
        string serverSystem = Remote.DatsyncRemote.SystemName, string serverActor = Master.MasterRuntime.ServerName,
        string? resumeDatabaseId = null)
    {
        Remote.WireSecurity.Require(system, "to-replica", $"a replica of the master at {server}");
        // several servers (host:port,host:port): gateways of one cluster, tried in turn
        var servers = Remote.DatsyncRemote.ParseServers(server)
            .Select(s => system.ActorSelection(Remote.DatsyncRemote.ServerPath(system, s, serverSystem, serverActor))).ToList();
        return Start(system, servers[0], clientId,
            settings ?? ReplicaSettings.From(system.Settings.Config), name, resumeFrom, token, ownSystem, resumeDatabaseId, alsoServers: servers.Skip(1).ToList());
    }

    /// <summary>True when the replica started from a value its local store held (it reads it before the master answers).</summary>
    internal bool StartedFromStore { get; private init; }

    /// <summary>Why the server refused this replica (its client id or token), or null.</summary>
    public Exception? Refusal => _shared.Refusal;

    /// <summary>Completes with the reason once the server refuses this replica: at its first handshake, or after its
    /// session was ended (its client taken off the server's list). Its status then says <c>Refused</c>.</summary>
    internal Task<Exception> WhenRefused => _shared.WhenRefused;

    /// <summary>Completes once the replica holds a value and is connected (bootstrapped, or resumed from the value it
    /// was started with): from then on it takes transactions.</summary>
    internal Task Ready => _shared.Ready;

    /// <summary>The current value: the master's value at <see cref="ConnectionStatus.BasisT"/> with this replica's
    /// pending transactions applied on top. Its entity and pull answer <c>:datsync.remote.db/id</c>. Empty before
    /// bootstrap, and once the server refused the replica: a client revoked (its token replaced, or taken off the
    /// server's list) keeps none of the master's data, and its status says <c>Refused</c>.</summary>
    public Db Db => _shared.State?.View ?? Db.Empty;

    /// <summary>Exactly the master's value at the replica's basis t (no pending local transactions); empty before
    /// bootstrap and once refused, as <see cref="Db"/>.</summary>
    public Db SyncedDb => _shared.State?.Synced ?? Db.Empty;

    /// <inheritdoc />
    public ConnectionStatus Status => _shared.Status;

    /// <summary>The id of the master database the replica's value came from (<see cref="Protocol.DatabaseIds"/>), what
    /// a replica started from that value later passes as <c>resumeDatabaseId</c>; null while it has no value, or when
    /// its master did not tell.</summary>
    internal string? DatabaseId => _shared.DatabaseId;

    /// <summary>The value and the status of one moment, published together (reading <see cref="Db"/> and
    /// <see cref="Status"/> one after the other may see two moments).</summary>
    public ReplicaSnapshot Snapshot => _shared.Current;

    /// <summary>How far the bootstrap has come (chunks and bytes received in order), or null before its first chunk;
    /// for progress display.</summary>
    public BootstrapProgress? BootstrapProgress => _shared.Bootstrap;

    /// <summary>The master id of a local entity (itself for entities from the master; null while pending).</summary>
    public long? RemoteId(long localId) => _shared.State?.RemoteId(localId);

    /// <summary>The local id of a master entity (null when the replica does not hold it yet).</summary>
    public long? LocalId(long remoteId) => _shared.State?.LocalId(remoteId);

    /// <inheritdoc />
    public IAsyncEnumerable<DbChange> Reports => _shared.Reports;

    /// <summary>
    /// The replica's local transactions that left its view without being committed, as they happen: those the master
    /// rejected (with the category and message a <c>TransactAsync</c> caller still waiting gets too), and those queued in
    /// the outbox of its store that no longer applied when it took them back after a restart. Each enumeration starts
    /// with the rejections since the replica started (the latest <c>datsync.connection.report-buffer</c> of them: a
    /// reader that subscribes once <c>ConnectReplicaAsync</c> returns still learns of a queued write the master refused
    /// at once), then gets those that follow, in a buffer of its own; one that falls that far behind ends with
    /// <see cref="ReportsOverflowException"/>.
    /// </summary>
    public IAsyncEnumerable<TxRejection> Rejections => _shared.Rejections;

    internal LiveHub Live => _shared.Live;

    /// <inheritdoc />
    public QuerySubscription Subscribe(string query, params object?[] inputs) => _shared.Live.Add(LiveQuery.Of(query, inputs ?? []));

    /// <inheritdoc />
    public QuerySubscription SubscribePull(object pattern, object entity) => _shared.Live.Add(LiveQuery.OfPull(pattern, entity));

    /// <summary>
    /// Runs <paramref name="txData"/> here at once (its new entities get local ids, and <see cref="Db"/> shows it) and
    /// sends it to the master. Completes when the master committed it and this replica applied the master's
    /// transaction: <see cref="TxResult.Tempids"/> are master ids, <see cref="TxResult.DbBefore"/> and
    /// <see cref="TxResult.DbAfter"/> this replica's synced values at T - 1 and T (its pending writes not on top).
    /// </summary>
    /// <exception cref="TxRejectedException">Invalid here, rejected by the master (its category and message), or not
    /// sent (<c>:datsync.error/unavailable</c>, <c>:datsync.error/refused</c>); it left this replica's value.</exception>
    public async Task<TxResult> TransactAsync(IReadOnlyList<object?> txData, CancellationToken cancellationToken = default)
    {
        var done = Submit(txData);
        var r = await done.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new TxResult(r.T, r.Tempids, r.DbBefore ?? r.DbAfter, r.DbAtT ?? r.DbAfter, r.TxData ?? []);
    }

    /// <inheritdoc />
    public Task<TxResult> TransactAsync(string txEdn, CancellationToken cancellationToken = default) =>
        TransactAsync(Tx.Parse(txEdn), cancellationToken);

    /// <summary>The replica's own outcome of a write written as EDN.</summary>
    internal Task<ReplicaTxResult> Submit(string txEdn) => Submit(Tx.Parse(txEdn));

    /// <summary>The replica's own outcome of a write (with the local ids its entities had while pending).</summary>
    internal Task<ReplicaTxResult> Submit(IReadOnlyList<object?> txData)
    {
        ArgumentNullException.ThrowIfNull(txData);
        var done = new TaskCompletionSource<ReplicaTxResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_shared.IsStopped) done.SetException(new TxRejectedException(DatsyncErrors.Unavailable, $"replica {ClientId} stopped"));
        else Actor.Tell(new LocalTransact(txData, done,
            Observability.DatsyncTelemetry.StartTransact(Observability.DatsyncTelemetry.ClientTag, ClientId, done.Task).TraceParent));
        return done.Task;
    }

    /// <summary>Calls <paramref name="callback"/> (on the replica's thread) for every transaction the replica applies;
    /// dispose the result to stop. For the project's own tools that must see every report; applications read
    /// <see cref="Reports"/>.</summary>
    internal IDisposable Listen(Action<ReplicaReport> callback) => _shared.AddListener(callback);

    /// <inheritdoc />
    public async Task<Db> SyncAsync(long t, CancellationToken cancellationToken = default)
    {
        if (_shared.State is not { } s || s.BasisT < t)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken)).ConfigureAwait(false);
            Actor.Tell(new SyncTo(t, done));
            await done.Task.ConfigureAwait(false);
        }
        return Db;
    }

    /// <summary>Stops the replica (its pending writes fail with <c>:datsync.error/unavailable</c>) and, for a replica
    /// of a remote master, the actor system it ran in.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _shared.Live.DisposeAsync().ConfigureAwait(false); // its subscriptions end first
        if (_ownSystem is not null)
        {
            await _ownSystem.Terminate().ConfigureAwait(false);
            return;
        }
        try { await Actor.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { System.Stop(Actor); }
    }
}

/// <summary>A replica's value and status as published at one moment.</summary>
public sealed class ReplicaSnapshot
{
    internal ReplicaSnapshot(ReplicaState? state, ConnectionStatus status)
    {
        State = state;
        Status = status;
    }

    internal ReplicaState? State { get; }

    /// <summary>The replica's position and connection at that moment.</summary>
    public ConnectionStatus Status { get; }

    /// <summary>The value with this replica's pending transactions (see <see cref="DatsyncReplica.Db"/>).</summary>
    public Db Db => State?.View ?? Db.Empty;

    /// <summary>Exactly the master's value at <see cref="ConnectionStatus.BasisT"/>.</summary>
    public Db SyncedDb => State?.Synced ?? Db.Empty;
}

/// <summary>A bootstrap of the master's value at <paramref name="BasisT"/>: <paramref name="ChunksReceived"/> of
/// <paramref name="ChunkCount"/> chunks held in order, <paramref name="Bytes"/> bytes of them.</summary>
public sealed record BootstrapProgress(long BasisT, int ChunksReceived, int ChunkCount, long Bytes, long TotalDatoms = 0, long TotalBytes = 0)
{
    /// <summary>About how many datoms have arrived (the share of the bytes received of the whole).</summary>
    public long DatomsReceived => TotalBytes <= 0 ? 0 : (long)((double)TotalDatoms * Bytes / TotalBytes);
}
