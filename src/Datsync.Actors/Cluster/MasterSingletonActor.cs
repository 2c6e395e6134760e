using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Actors.Cluster;

/// <summary>
/// The cluster's one transactor: a cluster singleton on the oldest <c>transactor</c> node. It first takes the storage's
/// lock (<see cref="MasterLock"/>): a transactor of a node that is gone but not yet released (or on the other side of a
/// partition the split brain resolver has not settled) still holds it, and this one tries again every
/// <see cref="ClusterSettings.LockRetry"/>, so two transactors never write one journal. Then it recovers the journal
/// (<see cref="TransactorActor"/> behind its supervisor) and runs the log listener and a server for the nodes' copies of
/// the master (one session per node: the log sends each delta once per node, not once per client).
/// <para>It takes messages from the cluster's nodes only: a handshake of a node's copy (<see cref="Connect"/>, to its
/// server), a node's transaction (<see cref="ClusterTransact"/>, answered to the node) and the scopes' replacements
/// (<see cref="ClusterReplaceScopes"/>: the transactor orders them, puts each in force and sends it to every node; nodes
/// compare versions with it every few seconds, so a node that missed one, or joined later, takes the latest). A
/// transaction that arrives before the journal is recovered waits in the transactor's supervisor; one that arrives
/// while the lock is held elsewhere is not answered (the node sends it again).</para>
/// <para>Supervision: a failure restarts it (the singleton manager's default), which stops the transactor, the listener
/// and the server, and releases the lock: the next instance takes it again and recovers; the nodes' copies connect
/// again and resume from their t. Stopped (hand-over to a younger node, or its node leaving), it releases the lock in
/// <see cref="PostStop"/>.</para>
/// </summary>
internal sealed class MasterSingletonActor : ReceiveActor, IWithTimers
{
    private readonly MasterSettings _settings;
    private readonly SessionSettings _sessions;
    private readonly ClusterSettings _cluster;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DroppedMessages _drops;
    private readonly Akka.Cluster.Cluster _members;
    private IDisposable? _lock;
    private MasterHandle? _master;
    private IActorRef? _server;
    private DateTime _waitingSince;
    private readonly Dictionary<string, ClusterScopes> _replacements = new(StringComparer.Ordinal);
    private readonly Queue<string> _replacementOrder = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public MasterSingletonActor(MasterSettings settings, SessionSettings sessions, ClusterSettings cluster)
    {
        _settings = settings;
        _sessions = sessions;
        _cluster = cluster;
        _drops = new DroppedMessages(_log);
        _members = Akka.Cluster.Cluster.Get(Context.System);
        WaitingForLock();
    }

    public static Props Props(MasterSettings settings, SessionSettings sessions, ClusterSettings cluster) =>
        Akka.Actor.Props.Create(() => new MasterSingletonActor(settings, sessions, cluster));

    protected override void PreStart()
    {
        _waitingSince = DateTime.UtcNow;
        TryStart();
    }

    protected override void PostStop()
    {
        _lock?.Dispose();
        _lock = null;
        _log.Info("the cluster's transactor on {0} stopped; the storage lock is released", _members.SelfAddress);
    }

    /// <summary>Waiting for the storage's lock: nothing is answered (nodes send their handshakes and transactions again).</summary>
    private void WaitingForLock()
    {
        Receive<RetryLock>(_ => TryStart());
        ReceiveAny(m => _ = FromMember(m)); // a member's is left unanswered (its node sends it again), another's is dropped
    }

    private void Running()
    {
        Receive<Connect>(c => { if (FromMember(c)) _server!.Forward(c); });
        Receive<ClusterTransact>(t => { if (FromMember(t)) OnTransact(t); });
        Receive<ClusterReplaceScopes>(r => { if (FromMember(r)) OnReplaceScopes(r); });
        Receive<ClusterScopesSync>(s => { if (FromMember(s)) OnScopesSync(s); });
        Receive<ClusterScopes>(s => { if (FromMember(s)) OnNewerScopes(s); });
        Receive<RetryLock>(_ => { });
        ReceiveAny(m => _drops.Drop(m, Sender, "the cluster's transactor takes nodes' handshakes and transactions only"));
    }

    private void TryStart()
    {
        try
        {
            _lock = MasterLock.Acquire(Context.System.Settings.Config, _settings.JournalPluginId, _settings.PersistenceId)
                    ?? NoLock.Instance;
        }
        catch (StorageLockedException e)
        {
            if (DateTime.UtcNow - _waitingSince >= TimeSpan.FromSeconds(10))
            {
                _log.Warning("the cluster's transactor on {0} waits for the storage lock: {1}", _members.SelfAddress, e.Message);
                _waitingSince = DateTime.UtcNow;
            }
            Timers.StartSingleTimer("lock", RetryLock.Instance, _cluster.LockRetry);
            return;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            _log.Warning("the cluster's transactor on {0} cannot reach its storage to take the lock ({1}); trying again in {2}",
                _members.SelfAddress, e.Message, _cluster.LockRetry);
            Timers.StartSingleTimer("lock", RetryLock.Instance, _cluster.LockRetry);
            return;
        }
        _master = MasterRuntime.Start(Context, _settings, "transactor", lockHeld: true);
        // the nodes' copies hold the whole master: no client list, no scopes (the cluster's nodes alone reach it)
        _server = MasterRuntime.StartServer(Context, _master with { Scopes = null }, _sessions with { Scopes = null }, ClientAccess.Open, "server");
        _log.Info("the cluster's transactor runs on {0}", _members.SelfAddress);
        Become(Running);
    }

    /// <summary>True for a message of this node or of a member of the cluster; another is dropped.</summary>
    private bool FromMember(object message)
    {
        if (ClusterTrust.IsMember(_members, Sender)) return true;
        _drops.Drop(message, Sender, "only the cluster's nodes reach the cluster's transactor");
        return false;
    }

    private void OnTransact(ClusterTransact t)
    {
        var replyTo = Sender;
        var self = Self;
        IReadOnlyList<object?> forms;
        try
        {
            forms = Tx.Parse(t.TxEdn);
        }
        catch (TxRejectedException e)
        {
            replyTo.Tell(new TxRejected(t.RequestId, e.Category, e.Message), self);
            return;
        }
        var request = new Transact(t.RequestId, forms, t.TxMeta, t.TraceParent)
        {
            // the write rules are the transactor's, with the client's roles as they are now
            Identity = t.ClientId is { } client && _master!.Scopes is { } scopes ? scopes.Current.IdentityOf(client) : null,
        };
        // an answer that does not come in time is not made up: the node sends the request again, and a committed one is
        // answered with its commit
        _master!.Transactor.Ask<object>(request, AnswerTimeout).ContinueWith(a =>
        {
            if (a.IsCompletedSuccessfully) replyTo.Tell(ForNode(a.Result), self);
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>A node's replacement of the scopes: in force for the next transaction, sent to every node, and
    /// answered with its version (the same again for a request sent again).</summary>
    private void OnReplaceScopes(ClusterReplaceScopes r)
    {
        if (_replacements.TryGetValue(r.RequestId, out var given))
        {
            Sender.Tell(new ClusterScopesReplaced(r.RequestId, given.Version, given.Hocon));
            return;
        }
        if (_master!.Scopes is not { } inForce)
        {
            Sender.Tell(new ClusterScopesRefused(r.RequestId, "the cluster's transactor was started without scopes (datsync.server.scopes); a restart with scope rules turns them on"));
            return;
        }
        if (ClusterScopeText.Read(r.Hocon, out var scopes) is { } error)
        {
            Sender.Tell(new ClusterScopesRefused(r.RequestId, error));
            return;
        }
        // a later replacement has a greater version, whichever transactor gives it (a clock's ticks, past the last one)
        var version = Math.Max(DateTime.UtcNow.Ticks, inForce.Version + 1);
        inForce.Adopt(scopes!, version);
        var replaced = new ClusterScopes(version, scopes!.Hocon);
        _replacements[r.RequestId] = replaced;
        _replacementOrder.Enqueue(r.RequestId);
        while (_replacementOrder.Count > 64) _replacements.Remove(_replacementOrder.Dequeue());
        _log.Info("the cluster's scopes of version {0} are in force for the next transaction; sent to every node", version);
        ToEveryNode(replaced);
        Sender.Tell(new ClusterScopesReplaced(r.RequestId, version, scopes.Hocon));
    }

    /// <summary>A node's version of the scopes: it hears the transactor's when they are newer, and is asked for its own
    /// when they are (a node that took a replacement a transactor before a failover did not).</summary>
    private void OnScopesSync(ClusterScopesSync s)
    {
        if (_master!.Scopes is not { } inForce) return;
        var (scopes, version) = inForce.Now;
        if (version > s.Version) Sender.Tell(new ClusterScopes(version, scopes.Hocon));
        else if (s.Version > version) Sender.Tell(ClusterScopesWanted.Instance);
    }

    private void OnNewerScopes(ClusterScopes s)
    {
        if (_master!.Scopes is not { } inForce || s.Version <= inForce.Version) return;
        if (ClusterScopeText.Read(s.Hocon, out var scopes) is { } error)
        {
            _drops.Drop(s, Sender, error);
            return;
        }
        if (!inForce.Adopt(scopes!, s.Version)) return;
        _log.Info("the cluster's scopes of version {0}, held by {1}, are in force for the next transaction", s.Version, Sender.Path.Address);
        ToEveryNode(s);
    }

    private void ToEveryNode(ClusterScopes scopes)
    {
        foreach (var m in _members.State.Members)
            if (m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp or Akka.Cluster.MemberStatus.Joining)
                Context.ActorSelection(new RootActorPath(m.Address) / "user" / ClusterRuntime.NodeMasterName).Tell(scopes, Self);
    }

    /// <summary>The transactor's answer as it goes to a node: without the datoms (the node learns them from the delta),
    /// and without tempids too many for one message (the node's session then takes them from the delta).</summary>
    private object ForNode(object answer) => answer is TxAccepted a
        ? a with { TxData = [], Tempids = a.Tempids.Count * 64L > _sessions.FrameBudget / 2 ? new Dictionary<object, long>() : a.Tempids }
        : answer;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(5);

    private sealed record RetryLock
    {
        public static readonly RetryLock Instance = new();
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose() { }
    }
}

/// <summary>Who a cluster node's actors take cluster messages from.</summary>
internal static class ClusterTrust
{
    /// <summary>True for an actor of this system, or of a node that is a member of the cluster (joining, up or leaving).</summary>
    public static bool IsMember(Akka.Cluster.Cluster cluster, IActorRef? sender)
    {
        if (sender is null || sender.IsNobody()) return false;
        var address = sender.Path.Address;
        if (address.HasLocalScope || address.Equals(cluster.SelfAddress)) return true;
        foreach (var m in cluster.State.Members)
            if (m.Address.Equals(address) && m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.Joining
                    or Akka.Cluster.MemberStatus.WeaklyUp or Akka.Cluster.MemberStatus.Leaving)
                return true;
        return false;
    }
}
