using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Core;

namespace Datsync.Actors.Replica;

/// <summary>
/// Owns one replica: its value (a <see cref="ReplicaState"/>), its connection to the server, and its waiting callers.
/// The decisions — ordering deltas by t, pending local transactions, id mapping — are the state's; the actor feeds it
/// messages in the order they arrive, asks again for what went missing (a range past a gap, bootstrap chunks, a
/// handshake or a transaction left unanswered), and publishes each new value for readers on any thread.
/// <para>It goes through phases, each a behaviour of its own (<see cref="Connecting"/>, <see cref="Bootstrapping"/>,
/// <see cref="Live"/>, <see cref="Refused"/>); what every phase takes alike is registered by <see cref="Common"/>.</para>
/// <para>Its handshake gives the server a fresh channel key. With a server in another process it acts only on
/// messages that carry that key (<see cref="FromSession"/>): a peer that never saw the handshake cannot feed it a
/// state the master never had. Everything it sends its session goes under the same key (<see cref="ToSession"/>).</para>
/// </summary>
internal sealed partial class ReplicaActor : ReceiveActor, IWithTimers
{
    private readonly string _clientId;
    private readonly ICanTell[] _servers; // a replica of a cluster may know several gateways: it tries the next when one goes quiet
    private int _serverIndex;
    private readonly string? _token;
    private readonly ReplicaSettings _settings;
    private readonly ReplicaShared _shared;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _requestPrefix = Guid.NewGuid().ToString("N")[..12];
    private readonly string _key = ChannelKeys.New();
    private readonly bool _localServer; // the server is in this actor system: its messages come bare
    private readonly ActorPath? _sessionsUnder; // a server behind a forwarding actor: bare messages only from its sessions here
    private readonly DroppedMessages _drops;

    private ReplicaState? _state;
    private ConnectionState _connection = ConnectionState.Connecting; // what the phase reports
    private IActorRef? _session;
    private DateTime _lastHeard;
    private long _headT;
    private bool _scoped; // the session streams a scoped client's view: the replica asks for the t it waits for
    private long _ackedT = -1;
    // the id of the master database the value came from (DatabaseIds), named in every handshake; null when the value
    // came from a master that did not tell, or there is none
    private string? _databaseId;
    private bool _bootstrapWanted; // the value is not the master's database: handshakes ask for a bootstrap until one lands

    private readonly Dictionary<string, LocalTx> _local;
    private readonly PartAssembler<long> _deltaParts = new();
    private readonly SortedDictionary<long, List<TaskCompletionSource>> _syncWaiters;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="clientId">The client id the replica connects as.</param>
    /// <param name="settings">The replica's settings.</param>
    /// <param name="shared">What the replica publishes to its handle.</param>
    /// <param name="resumeFrom">The master's value at some t the replica starts from (it then resumes from that t);
    /// null to bootstrap.</param>
    /// <param name="server">The server actor, or a selection of it in another actor system.</param>
    /// <param name="token">The client's token, when the server requires one.</param>
    /// <param name="resumeDatabaseId">The id of the master database <paramref name="resumeFrom"/> came from
    /// (<see cref="DatabaseIds"/>): the server resumes the replica only against that database. Null: unknown (resumed as
    /// before database ids).</param>
    /// <param name="alsoServers">Further servers of the same master (gateways of one cluster): after the session goes
    /// quiet, or a handshake is left unanswered, the next handshake goes to the next one.</param>
    /// <param name="sessionsUnder">The server is reached through an actor of this system that forwards (a cluster singleton's
    /// proxy): its sessions may be in another process (their messages come under the channel key) or in this system under
    /// this path (their messages come bare, and are taken only from there).</param>
    public ReplicaActor(string clientId, ICanTell server, ReplicaSettings settings, ReplicaShared shared, Db? resumeFrom = null,
        string? token = null, string? resumeDatabaseId = null, IReadOnlyList<ICanTell>? alsoServers = null, ActorPath? sessionsUnder = null)
    {
        _clientId = clientId;
        _servers = [server, .. alsoServers ?? []];
        _token = token;
        _connectDelay = settings.RetryInterval;
        _settings = settings;
        _shared = shared;
        if (resumeFrom is not null)
        {
            _state = ReplicaState.Bootstrapped(resumeFrom);
            _databaseId = DatabaseIds.Checked(resumeDatabaseId);
        }
        // a restarted actor takes over from the instance that failed: its value, its callers and its waiters
        if (shared.TakeCarried() is Carried carried)
        {
            _state = carried.State;
            _databaseId = carried.DatabaseId;
            _local = carried.Local;
            _syncWaiters = carried.SyncWaiters;
            foreach (var l in _local.Values) l.InFlight = false; // sent again, through the window, after the next handshake
            _unsentLocal = _local.Values.Count(l => l.Sent is null);
        }
        else
        {
            _local = new();
            _syncWaiters = new();
            // a replica started from its store takes back what its outbox holds
            if (shared.TakeStoredOutbox() is { Count: > 0 } outbox) TakeBackOutbox(outbox);
        }
        _sessionsUnder = sessionsUnder;
        _localServer = sessionsUnder is null && server switch
        {
            IActorRef r => r.Path.Address.HasLocalScope,
            ActorSelection sel => sel.Anchor.Path.Address.HasLocalScope,
            _ => false,
        };
        _drops = new DroppedMessages(_log);
        Connecting(); // the handshake goes out in PreStart
    }

    /// <summary>
    /// The handlers every phase has, registered after the phase's own. A server's message — under this replica's
    /// channel key, or bare from a server in this actor system — goes to <paramref name="onServer"/>; a caller's
    /// transaction to <paramref name="onTransact"/>; the death of the watched session to <paramref name="onSessionGone"/>.
    /// </summary>
    private void Common(Action<object> onServer, Action<LocalTransact> onTransact, Action<Terminated> onSessionGone)
    {
        Receive<FromSession>(f =>
        {
            if (ChannelKeys.Same(f.ChannelKey, _key)) onServer(f.Message);
            else _drops.Drop(f.Message, Sender, "not under this replica's channel key");
        });
        Receive<IToReplica>(m => FromServer(m, onServer));
        Receive<TxDelta>(d => FromServer(d, onServer));
        Receive<LocalTransact>(onTransact);
        Receive<SyncTo>(OnSyncTo);
        Receive<FailForTest>(_ => throw new InvalidOperationException("a failure for a test"));
        Receive<DropUnsendable>(OnDropUnsendable);
        Receive<Terminated>(t => { if (t.ActorRef.Equals(_session)) onSessionGone(t); });
    }

    /// <summary>A server's message without a key: taken only from a server in this actor system.</summary>
    private void FromServer(object message, Action<object> onServer)
    {
        if (_localServer || (_sessionsUnder is { } under && Sender.Path.Address.HasLocalScope && IsUnder(Sender.Path, under))) onServer(message);
        else _drops.Drop(message, Sender, "a remote server's messages come under the channel key");
    }

    private static bool IsUnder(ActorPath path, ActorPath root)
    {
        for (var p = path; p is not null && p.Depth >= root.Depth; p = p.Parent)
            if (p.Depth == root.Depth) return p.ToStringWithoutAddress() == root.ToStringWithoutAddress();
        return false;
    }

    /// <summary>The server's messages every phase takes alike; <paramref name="deltas"/> is where the phase puts the
    /// deltas that arrive.</summary>
    private void OnServer(object message, Action<IReadOnlyList<TxDelta>> deltas)
    {
        switch (message)
        {
            case TxDelta d:
                Heard();
                deltas([d]);
                break;
            case TxDeltaPart p:
                Heard();
                if (_deltaParts.Add(p.T, p.Seq, p.Count, p.Slice) is not { } whole) return;
                deltas([(TxDelta)Context.System.Serialization.FindSerializerForType(typeof(TxDelta)).FromBinary(whole, typeof(TxDelta))]);
                break;
            case TxDeltaBatch b:
                Heard();
                deltas(b.Deltas);
                break;
            case TxRangeResult r:
                Heard();
                deltas(r.Deltas);
                break;
            case SessionHeartbeat h:
                OnHeartbeat(h, acknowledge: false);
                break;
            case TxAccepted a:
                OnAccepted(a);
                break;
            case TxRejected r:
                OnRejected(r);
                break;
            case ConnectRefused r:
                OnRefused(r);
                break;
            case BootstrapAgain again:
                Heard();
                Disconnected($"its session bootstraps it again: {Shorten(again.Reason)}");
                break;
            case BootstrapChunk:
                Heard(); // no bootstrap under way: nothing to take it into
                break;
            case Connected:
                break; // a handshake's answer comes only while connecting
            default:
                _drops.Drop(message, Sender, "not a message a server sends a replica");
                break;
        }
    }

    /// <summary>Deltas held until there is a value to apply them to.</summary>
    private void Hold(IReadOnlyList<TxDelta> deltas) => _early.AddRange(deltas);

    /// <summary>Deltas applied to the value, or held while there is none yet.</summary>
    // made once: a method group given as a delegate would be a new delegate for every message
    private Action<IReadOnlyList<TxDelta>>? _holdOrOfferCached, _holdCached;
    private Action<IReadOnlyList<TxDelta>> DeltasHeldOrOffered => _holdOrOfferCached ??= HoldOrOffer;
    private Action<IReadOnlyList<TxDelta>> DeltasHeld => _holdCached ??= Hold;

    private void HoldOrOffer(IReadOnlyList<TxDelta> deltas)
    {
        if (_state is null) Hold(deltas);
        else Offer(deltas);
    }

    private void OnHeartbeat(SessionHeartbeat h, bool acknowledge)
    {
        Heard();
        if (h.HeadT > _headT) _headT = h.HeadT;
        if (acknowledge) Ack();
        Publish();
    }

    /// <summary>What a phase that takes no transactions tells a caller.</summary>
    private void Unavailable(LocalTransact m) =>
        m.Done.TrySetException(new TxRejectedException(DatsyncErrors.Unavailable,
            $"replica {_clientId} is {(_state is null ? "not bootstrapped yet" : "not connected")}; nothing was sent"));

    /// <summary>The session (or the connection to its system) is gone: serve reads from the last state, connect again.</summary>
    private void SessionGone(Terminated t) => Disconnected($"the session {t.ActorRef.Path} is gone");

    private void Heard() => _lastHeard = DateTime.UtcNow;

    /// <summary>To the session, under the channel key.</summary>
    private void ToSession(ISessionRequest request) => _session?.Tell(new ToSession(_key, request));

    public static Props Props(string clientId, ICanTell server, ReplicaSettings settings, ReplicaShared shared, Db? resumeFrom = null,
        string? token = null, string? resumeDatabaseId = null, IReadOnlyList<ICanTell>? alsoServers = null, ActorPath? sessionsUnder = null) =>
        Akka.Actor.Props.Create(() => new ReplicaActor(clientId, server, settings, shared, resumeFrom, token, resumeDatabaseId, alsoServers, sessionsUnder));

    protected override void PreStart()
    {
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(5).Ticks, _settings.RetryInterval.Ticks / 2));
        Timers.StartPeriodicTimer("tick", Tick.Instance, every);
        SendConnect();
    }

    /// <summary>
    /// Supervision: the replica is restarted on a failure (the default strategy of its parent). A restart means nothing
    /// to its handle's users but a new handshake: the next instance takes over the value, the pending transactions
    /// (sent again and committed once) and the waiters, and resumes from its t. The request being handled when it failed
    /// gets the error, if it was a transaction or a wait; nothing else is lost.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        FlushDequeued();
        _log.Error(reason, "replica {0} failed on a {1}; it goes on from t={2} with {3} pending transaction(s)", _clientId,
            message?.GetType().Name ?? "message", _state?.BasisT, _local.Count);
        var failed = new TxRejectedException(TxErrors.InvalidTxData, $"replica {_clientId} could not handle this request ({reason.GetType().Name}: {Shorten(reason.Message)}); nothing was sent");
        switch (message)
        {
            case LocalTransact lt:
                foreach (var (id, l) in _local.Where(kv => ReferenceEquals(kv.Value.Done, lt.Done)).ToList())
                {
                    _local.Remove(id);
                    if (_state is not null) _state = _state.Rejected(id);
                }
                lt.Done.TrySetException(failed);
                break;
            case SyncTo st:
                st.Done.TrySetException(failed);
                break;
        }
        _shared.Carry(new Carried(_state, _local, _syncWaiters, _state is null ? null : _databaseId));
        // not the default, which would run PostStop and fail every caller as if the replica had stopped
    }

    internal static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + $"… ({s.Length:N0} characters)";

    protected override void PostStop()
    {
        var stopped = new TxRejectedException(DatsyncErrors.Unavailable, $"replica {_clientId} stopped");
        foreach (var l in _local.Values) l.Done.TrySetException(stopped);
        foreach (var ws in _syncWaiters.Values) foreach (var w in ws) w.TrySetException(stopped);
        FlushDequeued();
        _shared.Stopped();
    }

    // ------------------------------------------------------------------ publishing

    private void Publish()
    {
        var basis = _state?.BasisT ?? -1;
        _shared.DatabaseId = _state is null ? null : _databaseId;
        _shared.Publish(_state, new ConnectionStatus(basis, Math.Max(_headT, basis), _state?.Pending.Count ?? 0, _connection, _state is not null));
    }

    // ------------------------------------------------------------------ messages of its own

    /// <summary>What a restarted instance takes over from the one that failed.</summary>
    internal sealed record Carried(ReplicaState? State, Dictionary<string, LocalTx> Local, SortedDictionary<long, List<TaskCompletionSource>> SyncWaiters,
        string? DatabaseId = null);

    private sealed record BootstrapDecoded(long BasisT, long Attempt, Db? Db, Exception? Failure);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>Makes the actor throw (tests of its restart).</summary>
    internal sealed record FailForTest
    {
        public static readonly FailForTest Instance = new();
    }
}

/// <summary>Handle to actor: run a local transaction.</summary>
/// <param name="TxData">The transaction data.</param>
/// <param name="Done">Completed with the transaction's result, or failed with its rejection.</param>
/// <param name="TraceParent">The caller's <c>datsync.transact</c> activity, for the master (see <see cref="SubmitTx"/>).</param>
internal sealed record LocalTransact(IReadOnlyList<object?> TxData, TaskCompletionSource<ReplicaTxResult> Done, string? TraceParent = null);

/// <summary>Handle to actor: complete when the replica has applied t.</summary>
internal sealed record SyncTo(long T, TaskCompletionSource Done);
