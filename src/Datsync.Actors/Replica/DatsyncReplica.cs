using Akka.Actor;
using Akka.Event;
using Datsync.Core;

namespace Datsync.Actors.Replica;

/// <summary>What a replica actor publishes for its handle: the latest state and status (read from any thread) and the
/// listeners it calls.</summary>
public sealed class ReplicaShared
{
    // the state and the status, swapped together: a reader never sees the status of one t with the value of another
    private volatile ReplicaSnapshot _current = new(null, new ReplicaStatus(-1, -1, 0, ConnectionState.Connecting, false));
    private volatile Action<ReplicaReport>[] _listeners = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopped;

    public ReplicaState? State => _current.State;
    public ReplicaStatus Status => _current.Status;

    /// <summary>The state and the status published together.</summary>
    public ReplicaSnapshot Current => _current;

    /// <summary>The replica's client id, for its measurements (<c>datsync.replica.lag</c>).</summary>
    internal string ClientId { get; init; } = "";

    private bool _measured;
    public Task Ready => _ready.Task;
    public bool IsStopped => _stopped;

    internal void Publish(ReplicaState? state, ReplicaStatus status)
    {
        _current = new ReplicaSnapshot(state, status);
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

    internal void Notify(ReplicaReport report, ILoggingAdapter log)
    {
        foreach (var l in _listeners)
        {
            try { l(report); }
            catch (Exception e) { log.Error(e, "a Listen callback failed on the report of t={0}", report.T); }
        }
    }
}

/// <summary>
/// A replica: a local, indexed, immutable copy of the master's database owned by a <see cref="ReplicaActor"/>, kept in
/// step through a server's client session. Reads (<see cref="Db"/>, ids, status) are safe from any thread; writes go
/// to the master through the replica and complete when the replica has applied them.
/// </summary>
public sealed class DatsyncReplica
{
    private readonly ReplicaShared _shared;

    public string ClientId { get; }

    /// <summary>The replica actor (stop it to stop the replica).</summary>
    public IActorRef Actor { get; }

    private DatsyncReplica(string clientId, IActorRef actor, ReplicaShared shared)
    {
        ClientId = clientId;
        Actor = actor;
        _shared = shared;
    }

    /// <summary>Starts a replica that connects to the server at <paramref name="server"/> (a
    /// <see cref="Server.DatsyncServerActor"/>, local or remote) as <paramref name="clientId"/>.</summary>
    /// <param name="resumeFrom">A value of this master the replica already holds (e.g. the <see cref="SyncedDb"/> of
    /// a replica that stopped): the replica starts from it and asks only for the transactions after its basis t instead
    /// of a bootstrap. Pending local transactions of an earlier replica are not carried over. Null: bootstrap.</param>
    /// <param name="token">The client's token, when the server lists its clients (<c>datsync.server.clients</c>).</param>
    public static DatsyncReplica Start(IActorRefFactory system, ICanTell server, string clientId, ReplicaSettings? settings = null,
        string? name = null, Db? resumeFrom = null, string? token = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        var shared = new ReplicaShared { ClientId = clientId };
        var actor = system.ActorOf(ReplicaActor.Props(clientId, server, settings ?? ReplicaSettings.Default, shared, resumeFrom, token),
            name ?? "replica-" + Uri.EscapeDataString(clientId));
        return new DatsyncReplica(clientId, actor, shared);
    }

    /// <summary>Starts a replica in <paramref name="system"/> (an actor system with Akka.Remote, e.g. from
    /// <see cref="Remote.DatsyncRemote.ClientSystem"/>) that connects to the server of the master at
    /// <paramref name="server"/> (<c>host:port</c>), over TLS when the system's transport speaks TLS.</summary>
    public static DatsyncReplica Connect(ActorSystem system, string server, string clientId, string? token = null,
        ReplicaSettings? settings = null, Db? resumeFrom = null)
    {
        Remote.WireSecurity.Require(system, "to-replica", $"a replica of the master at {server}");
        return Start(system, system.ActorSelection(Remote.DatsyncRemote.ServerPath(system, server)), clientId,
            settings ?? ReplicaSettings.From(system.Settings.Config), resumeFrom: resumeFrom, token: token);
    }

    /// <summary>Why the server refused this replica (its client id or token), or null.</summary>
    public Exception? Refusal => _shared.Refusal;

    /// <summary>Completes with the reason once the server refuses this replica: at its first handshake, or after its
    /// session was ended (its client taken off the server's list). Its status then says <c>Refused</c>.</summary>
    public Task<Exception> WhenRefused => _shared.WhenRefused;

    /// <summary>Completes once the replica holds a value and is connected (bootstrapped, or resumed from the value it
    /// was started with): from then on it takes transactions.</summary>
    public Task Ready => _shared.Ready;

    /// <summary>The current value: the master's value at <see cref="ReplicaStatus.BasisT"/> with this replica's pending
    /// transactions applied on top. Its entity and pull answer <c>:datsync.remote.db/id</c>. Empty before bootstrap.</summary>
    public Db Db => _shared.State?.View ?? Db.Empty;

    /// <summary>Exactly the master's value at the replica's basis t (no pending local transactions).</summary>
    public Db SyncedDb => _shared.State?.Synced ?? Db.Empty;

    public ReplicaStatus Status => _shared.Status;

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

    /// <summary>Runs <paramref name="txData"/> locally (its new entities get local ids at once) and sends it to the
    /// master. Completes when the master committed it and the replica applied it; faults with a
    /// <see cref="TxException"/> (category and message) when it is invalid here, rejected by the master, or cannot be
    /// sent.</summary>
    public Task<ReplicaTxResult> Transact(IReadOnlyList<object?> txData)
    {
        ArgumentNullException.ThrowIfNull(txData);
        var done = new TaskCompletionSource<ReplicaTxResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_shared.IsStopped) done.SetException(new TxException(ReplicaErrors.Unavailable, $"replica {ClientId} stopped"));
        else Actor.Tell(new LocalTransact(txData, done,
            Observability.DatsyncTelemetry.StartTransact(Observability.DatsyncTelemetry.ClientTag, ClientId, done.Task).TraceParent));
        return done.Task;
    }

    /// <summary>Runs a transaction written as EDN, e.g. <c>[{:db/id "p" :person/name "Ivan"}]</c>.</summary>
    public Task<ReplicaTxResult> Transact(string txEdn) =>
        Transact(EdnReader.Read(txEdn) as IReadOnlyList<object?>
                 ?? throw new TxException(TxErrors.InvalidTxData, "transaction data must be a vector or list of tx forms"));

    /// <summary>Calls <paramref name="callback"/> (on the replica's thread) for every transaction the replica applies;
    /// dispose the result to stop.</summary>
    public IDisposable Listen(Action<ReplicaReport> callback) => _shared.AddListener(callback);

    /// <summary>Completes when the replica has applied the master's transaction t (like Datomic's <c>sync</c>).</summary>
    public Task SyncTo(long t, CancellationToken cancel = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_shared.State is { } s && s.BasisT >= t) return Task.CompletedTask;
        cancel.Register(() => done.TrySetCanceled(cancel));
        Actor.Tell(new SyncTo(t, done));
        return done.Task;
    }

    /// <summary>Same as <see cref="SyncTo"/>.</summary>
    public Task WaitForT(long t, CancellationToken cancel = default) => SyncTo(t, cancel);
}

/// <summary>A replica's value and status as published at one moment.</summary>
public sealed class ReplicaSnapshot
{
    internal ReplicaSnapshot(ReplicaState? state, ReplicaStatus status)
    {
        State = state;
        Status = status;
    }

    internal ReplicaState? State { get; }

    public ReplicaStatus Status { get; }

    /// <summary>The value with this replica's pending transactions (see <see cref="DatsyncReplica.Db"/>).</summary>
    public Db Db => State?.View ?? Db.Empty;

    /// <summary>Exactly the master's value at <see cref="ReplicaStatus.BasisT"/>.</summary>
    public Db SyncedDb => State?.Synced ?? Db.Empty;
}

/// <summary>A bootstrap of the master's value at <paramref name="BasisT"/>: <paramref name="ChunksReceived"/> of
/// <paramref name="ChunkCount"/> chunks held in order, <paramref name="Bytes"/> bytes of them.</summary>
public sealed record BootstrapProgress(long BasisT, int ChunksReceived, int ChunkCount, long Bytes, long TotalDatoms = 0, long TotalBytes = 0)
{
    /// <summary>About how many datoms have arrived (the share of the bytes received of the whole).</summary>
    public long DatomsReceived => TotalBytes <= 0 ? 0 : (long)((double)TotalDatoms * Bytes / TotalBytes);
}
