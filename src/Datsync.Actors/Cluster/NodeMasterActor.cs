using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Actors.Cluster;

/// <summary>
/// A cluster node's master, as its own sessions and its connection see it: the same two actors a master in one process
/// has (<see cref="MasterHandle"/>), fed from one copy of the master per node.
/// <list type="bullet">
/// <item>The copy is a replica of the cluster's transactor (a child), connected through the singleton's proxy: it
/// bootstraps once, follows the log from its t, and connects again to the transactor wherever it runs after a failover.
/// Its values feed the node's log listener (a <see cref="TxListenerActor"/> its sessions subscribe to, which reads older
/// deltas back from the shared journal) and the node's <see cref="MasterHealth"/>.</item>
/// <item>This actor answers as the transactor: <see cref="GetDb"/> with the copy's value (once it has one), and
/// <see cref="Transact"/> by sending the transaction to the cluster's transactor (<see cref="ClusterTransact"/>) and its
/// answer back. A transaction not answered within <see cref="ClusterSettings.ResendAfter"/> is sent again (a transactor
/// that is failing over, a node lost on the way): the transactor commits a request id once, so nothing is committed twice
/// and nothing is answered that the transactor did not say. The master's own connection's transactions
/// (<see cref="Transact.WithValues"/>) are answered once the copy holds their t, with its values before and after.</item>
/// <item>Scopes replaced on this node (<see cref="ReplaceScopes"/>, from its server or its connection) go to the
/// cluster's transactor (<see cref="ClusterReplaceScopes"/>), which orders them and sends them to every node; each
/// node puts the cluster's scopes in force (<see cref="ScopesInForce.Adopt"/>) and on its gateway's server, whose
/// scoped clients whose view changed are bootstrapped again. Every <see cref="ClusterSettings.ScopesSync"/> the node
/// tells the transactor the version it holds, and takes a newer one (or gives its own, newer, to a new transactor).</item>
/// </list>
/// Supervision: restarted on a failure (the guardian's default), which restarts the copy: it bootstraps again and tells the
/// node's listener the new head (the sessions behind read the deltas in between from the journal); the transactions it
/// was waiting for are handed to the next instance, which sends them again (committed once) and answers each caller; it
/// takes the cluster's scopes again at its first comparison with the transactor.
/// </summary>
internal sealed class NodeMasterActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _transactor;
    private readonly ClusterSettings _cluster;
    private readonly MasterCopy _copy;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Remote.DroppedMessages _drops;
    private readonly Akka.Cluster.Cluster _members;
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _waitingForDb = new();
    private readonly ScopesInForce? _scopes;
    private readonly Dictionary<string, ScopeRequest> _scopeRequests = new(StringComparer.Ordinal);
    private long _applied;
    private Adopted? _adopted;
    private IActorRef? _gateway;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeMasterActor(IActorRef transactor, IActorRef listener, ReplicaSettings copySettings, ClusterSettings cluster, MasterHealth health,
        ScopesInForce? scopes)
    {
        _transactor = transactor;
        _scopes = scopes;
        _cluster = cluster;
        _drops = new Remote.DroppedMessages(_log);
        _members = Akka.Cluster.Cluster.Get(Context.System);
        _copy = new MasterCopy(listener, Self, health);
        var node = _members.SelfAddress;
        DatsyncReplica.Start(Context, transactor, $"node:{node.Host}:{node.Port}", copySettings with { ConnectionTimeout = cluster.MirrorConnectionTimeout },
            name: "copy", mirror: _copy, sessionsUnder: new RootActorPath(node) / "user" / ClusterRuntime.ManagerName);

        Receive<GetDb>(_ =>
        {
            if (_drops.FromAnotherProcess(GetDb.Instance, Sender)) return;
            if (_copy.Ready) Sender.Tell(new CurrentDb(_copy.Health.Db, _copy.Health.DatabaseId));
            else _waitingForDb.Add(Sender);
        });
        Receive<CopyReady>(_ =>
        {
            foreach (var w in _waitingForDb) w.Tell(new CurrentDb(_copy.Health.Db, _copy.Health.DatabaseId));
            _waitingForDb.Clear();
        });
        Receive<Transact>(t => { if (!_drops.FromAnotherProcess(t, Sender)) OnTransact(t); });
        Receive<TxAccepted>(a => { if (FromTransactor(a)) Answer(a.RequestId, a); });
        Receive<TxRejected>(r => { if (FromTransactor(r)) Answer(r.RequestId, r); });
        Receive<Resend>(_ => ResendOverdue());
        Receive<ReplaceScopes>(r => { if (!_drops.FromAnotherProcess(r, Sender)) OnReplaceScopes(r); });
        Receive<ClusterScopesReplaced>(r =>
        {
            if (!FromTransactor(r)) return;
            _scopeRequests.Remove(r.RequestId, out var asked);
            Adopt(r.Version, r.Hocon, asked?.Caller);
        });
        Receive<ClusterScopesRefused>(r =>
        {
            if (FromTransactor(r) && _scopeRequests.Remove(r.RequestId, out var asked)) asked.Caller.Tell(new ScopesNotReplaced(r.Reason));
        });
        Receive<ClusterScopes>(s => { if (FromTransactor(s)) Adopt(s.Version, s.Hocon, null); });
        Receive<ClusterScopesWanted>(w =>
        {
            if (!FromTransactor(w) || _scopes is null) return;
            var (scopes, version) = _scopes.Now;
            if (version > 0) Sender.Tell(new ClusterScopes(version, scopes.Hocon));
        });
        Receive<SyncScopes>(_ => { if (_scopes is not null) _transactor.Tell(new ClusterScopesSync(_applied)); });
        Receive<GatewayServer>(g => { if (!_drops.FromAnotherProcess(g, Sender)) _gateway = g.Server; });
        Receive<FailForTest>(_ => throw new InvalidOperationException("a failure for a test"));
    }

    /// <summary>The transactions it waits for are handed to the next instance (a session does not send a request again
    /// while it waits for its answer): each caller's goes back into the mailbox, to be sent again and answered once.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _log.Error(reason, "the node's master failed on a {0}; it starts again with its copy, and sends its {1} waiting transaction(s) again",
            message?.GetType().Name ?? "message", _pending.Count);
        foreach (var p in _pending.Values)
            foreach (var (caller, withValues) in p.Callers)
                Self.Tell(p.Original with { WithValues = withValues }, caller);
        if (_gateway is not null) Self.Tell(new GatewayServer(_gateway)); // the next instance puts the scopes in force on it again
        foreach (var s in _scopeRequests.Values) Self.Tell(s.Original, s.Caller);
        base.PreRestart(reason, message);
    }

    /// <summary>The node's master over <c>transactor</c> (the cluster's, as this node reaches it: the singleton's proxy)
    /// and <c>listener</c> (the node's log listener, which the copy feeds and the node's sessions subscribe to).</summary>
    public static Props Props(IActorRef transactor, IActorRef listener, ReplicaSettings copySettings, ClusterSettings cluster, MasterHealth health,
        ScopesInForce? scopes) =>
        Akka.Actor.Props.Create(() => new NodeMasterActor(transactor, listener, copySettings, cluster, health, scopes));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("resend", Resend.Instance, TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, _cluster.ResendAfter.Ticks / 2)));
        if (_scopes is not null) Timers.StartPeriodicTimer("scopes", SyncScopes.Instance, _cluster.ScopesSync);
    }

    /// <summary>A replacement of the scopes on this node (its server's, its connection's): the cluster's transactor
    /// orders it and puts it in force on every node; the caller hears once it is in force here.</summary>
    private void OnReplaceScopes(ReplaceScopes r)
    {
        if (_scopes is null)
        {
            Sender.Tell(new ScopesNotReplaced("the master was started without scopes (datsync.server.scopes); a restart with scope rules turns them on"));
            return;
        }
        var id = Guid.NewGuid().ToString("N");
        var asked = new ScopeRequest(Sender, r, new ClusterReplaceScopes(id, r.Scopes.Hocon));
        _scopeRequests[id] = asked;
        asked.SentAt = DateTime.UtcNow;
        _transactor.Tell(asked.Request);
    }

    /// <summary>Puts the cluster's scopes of <paramref name="version"/> in force on this node, unless newer ones are:
    /// for its transactor while the singleton runs here, and on its server (whose scoped clients whose view changes are
    /// bootstrapped again). <paramref name="caller"/>, when this node asked, hears the server's answer.</summary>
    private void Adopt(long version, string hocon, IActorRef? caller)
    {
        if (version <= _applied)
        {
            // this node's own replacement, put in force when the transactor sent it to every node
            if (caller is not null) (_adopted?.Version == version ? _adopted.Answer : Task.FromResult<object>(new ScopesReplaced([]))).PipeTo(caller);
            return;
        }
        if (_scopes is null) return;
        if (ClusterScopeText.Read(hocon, out var scopes) is { } error)
        {
            _log.Error("the cluster's scopes of version {0} cannot be used on this node; it keeps the ones it has: {1}", version, error);
            caller?.Tell(new ScopesNotReplaced(error));
            return;
        }
        _applied = version;
        _scopes.Adopt(scopes!, version);
        _log.Info("the cluster's scopes of version {0} are in force on this node", version);
        var answer = _gateway is null
            ? Task.FromResult<object>(new ScopesReplaced([]))
            : _gateway.Ask<object>(new ReplaceScopes(scopes!, Adopted: true), TimeSpan.FromMinutes(1))
                .ContinueWith(a => a.IsCompletedSuccessfully ? a.Result : new ScopesNotReplaced(
                    $"the new scopes are in force for writes and bootstraps, but the server did not answer ({a.Exception?.GetBaseException().Message})"),
                    TaskContinuationOptions.ExecuteSynchronously);
        _adopted = new Adopted(version, answer);
        if (caller is not null) answer.PipeTo(caller);
    }

    private void OnTransact(Transact t)
    {
        if (_pending.TryGetValue(t.RequestId, out var held))
        {
            held.Callers.Add((Sender, t.WithValues)); // a request sent again while the first waits: both hear the one answer
            return;
        }
        string edn;
        try { edn = EdnPrinter.Print(t.TxData); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Sender.Tell(new TxRejected(t.RequestId, TxErrors.InvalidTxData, $"the transaction cannot be written as EDN for the cluster's transactor: {e.Message}"));
            return;
        }
        var p = new Pending(t, new ClusterTransact(t.RequestId, edn, t.TxMeta, t.TraceParent, t.Identity?.ClientId), [(Sender, t.WithValues)]);
        _pending[t.RequestId] = p;
        Send(p);
    }

    private void Send(Pending p)
    {
        p.SentAt = DateTime.UtcNow;
        _transactor.Tell(p.Request, Self);
    }

    private void ResendOverdue()
    {
        var now = DateTime.UtcNow;
        foreach (var p in _pending.Values)
            if (now - p.SentAt >= _cluster.ResendAfter) Send(p);
        foreach (var s in _scopeRequests.Values)
            if (now - s.SentAt >= _cluster.ResendAfter)
            {
                s.SentAt = now;
                _transactor.Tell(s.Request);
            }
    }

    private bool FromTransactor(object answer)
    {
        if (ClusterTrust.IsMember(_members, Sender)) return true;
        _drops.Drop(answer, Sender, "only the cluster's transactor answers a node's transactions");
        return false;
    }

    private void Answer(string requestId, object answer)
    {
        if (!_pending.Remove(requestId, out var p)) return; // answered already (a request sent again is answered again)
        foreach (var (caller, withValues) in p.Callers)
        {
            if (withValues && answer is TxAccepted a) AnswerWithValues(caller, a);
            else caller.Tell(answer, Self);
        }
    }

    /// <summary>The master's own connection hears once the node's copy holds the transaction's t, with the copy's
    /// values before and after it and its datoms.</summary>
    private void AnswerWithValues(IActorRef caller, TxAccepted a)
    {
        var copy = _copy;
        var self = Self;
        copy.Health.SyncAsync(a.T, CancellationToken.None).ContinueWith(done =>
        {
            if (!done.IsCompletedSuccessfully) return; // the node stops: its connection's callers hear that
            caller.Tell(copy.At(a.T) is { } applied
                ? a with { DbBefore = applied.DbBefore, DbAfter = applied.DbAfter, TxData = applied.Delta.TxData }
                : a with { DbAfter = done.Result }, self);
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    private sealed class Pending(Transact original, ClusterTransact request, List<(IActorRef Caller, bool WithValues)> callers)
    {
        public Transact Original { get; } = original;
        public ClusterTransact Request { get; } = request;
        public List<(IActorRef Caller, bool WithValues)> Callers { get; } = callers;
        public DateTime SentAt { get; set; }
    }

    private sealed class ScopeRequest(IActorRef caller, ReplaceScopes original, ClusterReplaceScopes request)
    {
        public IActorRef Caller { get; } = caller;
        public ReplaceScopes Original { get; } = original;
        public ClusterReplaceScopes Request { get; } = request;
        public DateTime SentAt { get; set; }
    }

    private sealed record Adopted(long Version, Task<object> Answer);

    /// <summary>The node's gateway server (in the gateway's actor system), told once it runs.</summary>
    internal sealed record GatewayServer(IActorRef Server);

    private sealed record SyncScopes
    {
        public static readonly SyncScopes Instance = new();
    }

    private sealed record Resend
    {
        public static readonly Resend Instance = new();
    }

    /// <summary>Makes the actor throw (tests of its restart).</summary>
    internal sealed record FailForTest
    {
        public static readonly FailForTest Instance = new();
    }

    internal sealed record CopyReady
    {
        public static readonly CopyReady Instance = new();
    }

    /// <summary>
    /// What the node's copy of the master does with each value, on the copy's thread: a bootstrap tells the node's
    /// listener the new head (its sessions then read older deltas from the journal) and the health the value; applied
    /// deltas go to the listener as the transactor's commits would, and to the health (the node's connection reads it).
    /// The last applied ones are kept by t for the connection's answers.
    /// </summary>
    private sealed class MasterCopy(IActorRef listener, IActorRef node, MasterHealth health) : IReplicaMirror
    {
        private const int Kept = 256;
        private static readonly IReadOnlyDictionary<object, long> NoTempids = new Dictionary<object, long>();
        private readonly object _gate = new();
        private readonly Dictionary<long, AppliedDelta> _recent = new();
        private readonly Queue<long> _order = new();
        private volatile bool _ready;

        public MasterHealth Health { get; } = health;

        public bool Ready => _ready;

        public void Bootstrapped(Db db, string? databaseId)
        {
            lock (_gate)
            {
                _recent.Clear();
                _order.Clear();
            }
            Health.Recovered(db, databaseId);
            listener.Tell(new LogHead(db.BasisT));
            if (_ready) return;
            _ready = true;
            node.Tell(CopyReady.Instance);
        }

        public void Applied(IReadOnlyList<AppliedDelta> applied)
        {
            var batch = new List<Committed>(applied.Count);
            lock (_gate)
                foreach (var a in applied)
                {
                    if (_recent.TryAdd(a.Delta.T, a)) _order.Enqueue(a.Delta.T);
                    while (_order.Count > Kept) _recent.Remove(_order.Dequeue());
                }
            foreach (var a in applied)
            {
                var d = a.Delta;
                var tempids = d.Tempids ?? NoTempids;
                batch.Add(new Committed(d.T, d.TxData, a.DbAfter, d.RequestId!, tempids, d.TraceParent));
                Health.Committed(new TxReport(a.DbBefore, a.DbAfter, d.TxData, tempids));
            }
            listener.Tell(new CommittedBatch(batch));
        }

        /// <summary>The delta of t the copy applied, when it is among the last ones.</summary>
        public AppliedDelta? At(long t)
        {
            lock (_gate) return _recent.GetValueOrDefault(t);
        }
    }
}
