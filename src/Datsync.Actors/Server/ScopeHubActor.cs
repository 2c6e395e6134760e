using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>
/// The scoped clients of one server, routed together: the one subscriber of the master log for every scoped session.
/// It holds each joined client's scope (<see cref="ScopeFanout{TClient}"/>) and, for each transaction, makes the deltas
/// of the clients it concerns only — those whose visible set it may change, those it delivers a datom to, and the
/// client whose request it was — and sends each of them its scoped deltas in t order. The other clients are not
/// looked at: their stream skips that t (each scoped delta names the t before it, <see cref="TxDelta.After"/>), and
/// they learn how far they are complete when they ask (<see cref="ScopeHeadWanted"/>) and every heartbeat interval.
/// </summary>
/// <remarks>
/// <para>Phases: <c>Starting</c> (waiting for the transactor's value; what the sessions ask is stashed) and
/// <c>Routing</c>. A session joins with the scope its bootstrap was filtered to (<see cref="JoinScope"/>); if the hub
/// has routed transactions after that scope's t, it brings the scope up to date from the values it keeps
/// (<see cref="Kept"/>) and sends those deltas first. A delta the hub cannot route — after a gap, or read back from the
/// journal, which carries no master value to filter against — ends every scoped stream (<see cref="ScopeEnded"/>: the
/// sessions have their replicas bootstrapped again) and the hub starts again from the transactor's value.</para>
/// <para>Supervision: restarted by the server on a failure (its default). The failing instance ends the stream of
/// every client it held first (<see cref="PreRestart"/>), so no session waits on a hub that forgot it; a failure while
/// making one client's delta ends that client's stream alone.</para>
/// </remarks>
internal sealed class ScopeHubActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    /// <summary>Transactions kept (value after, datoms) to bring a joining scope up to date.</summary>
    public const int Kept = 256;

    /// <summary>One joined client's stream.</summary>
    internal sealed class Client(IActorRef session, string clientId, long generation, long lastT)
    {
        public readonly IActorRef Session = session;
        public readonly string ClientId = clientId;
        public readonly long Generation = generation;
        // the t of the last delta of its stream: told it is complete through a t, the session moves its replica on
        // to that t with an empty delta, so the next delta follows that t
        public long LastT = lastT;
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _transactor;
    private readonly IActorRef _listener;
    private readonly TimeSpan _advanceEvery;
    private ScopeFanout<Client> _fanout = new();
    private readonly Dictionary<IActorRef, Client> _bySession = new();
    private readonly Dictionary<string, Client> _byClientId = new(StringComparer.Ordinal);
    private readonly LinkedList<(Db After, IReadOnlyList<Datom> TxData)> _kept = new();
    private readonly Dictionary<Client, SortedSet<long>> _headWaiters = new(ReferenceEqualityComparer.Instance); // the ts each waits for

    /// <summary>The ts one session may wait for at once (a peer's requests do not grow the hub's memory).</summary>
    private const int MaxWaitsPerSession = 16;
    private Db? _db;        // the master's value at the latest t routed
    private string? _databaseId; // the master database's id, with the value (DatabaseIds)
    private long _routedT = -1;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    public ScopeHubActor(MasterHandle master, TimeSpan advanceEvery)
    {
        _transactor = master.Transactor;
        _listener = master.Listener;
        _advanceEvery = advanceEvery;
        Starting();
    }

    public static Props Props(MasterHandle master, TimeSpan advanceEvery) =>
        Akka.Actor.Props.Create(() => new ScopeHubActor(master, advanceEvery));

    /// <summary>How many clients are joined (tests).</summary>
    internal int Count => _bySession.Count;

    protected override void PreStart()
    {
        _transactor.Tell(GetDb.Instance);
        Timers.StartPeriodicTimer("advance", Advance.Instance, _advanceEvery);
    }

    protected override void PreRestart(Exception reason, object message)
    {
        _log.Error(reason, "the scope hub failed on a {0}; ending the streams of its {1} scoped client(s), which are bootstrapped again",
            message?.GetType().Name ?? "message", _bySession.Count);
        EndAll("the scope hub restarted");
        base.PreRestart(reason, message);
    }

    // ------------------------------------------------------------------ phases

    private void Starting()
    {
        Receive<CurrentDb>(d => Sender.Path.Parent.Equals(_transactor.Path) || Sender.Equals(_transactor), d =>
        {
            _db = d.Db;
            _databaseId = d.DatabaseId;
            _routedT = d.Db.BasisT;
            _kept.Clear();
            _listener.Tell(new SubscribeLog(_routedT, Batched: true));
            Become(Routing);
            Stash.UnstashAll();
        });
        // a transactor that is recovering or restarting does not answer: asked again every interval
        Receive<Advance>(_ => _transactor.Tell(GetDb.Instance));
        Receive<TxDelta>(_ => { });
        Receive<TxDeltaBatch>(_ => { });
        Receive<ResumeFrom>(_ => { });
        Receive<Terminated>(t => Leave(t.ActorRef));
        Receive<LeaveScope>(_ => Leave(Sender));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Routing()
    {
        Receive<TxDelta>(d => FromListener(), d => Route([d]));
        Receive<TxDeltaBatch>(b => FromListener(), b => Route(b.Deltas));
        Receive<ResumeFrom>(r => FromListener(), _ => _listener.Tell(new SubscribeLog(_routedT, Batched: true)));
        Receive<ScopeDbWanted>(w => Sender.Tell(new ScopeDb(w.Generation, _db!, _databaseId)));
        Receive<JoinScope>(Join);
        Receive<ScopeHeadWanted>(w =>
        {
            if (!_bySession.TryGetValue(Sender, out var c) || c.Generation != w.Generation) return;
            if (w.T <= _routedT) Complete(c);
            else
            {
                if (!_headWaiters.TryGetValue(c, out var ts)) _headWaiters[c] = ts = [];
                if (ts.Count < MaxWaitsPerSession) ts.Add(w.T); // beyond, the periodic advance still reaches it
            }
        });
        Receive<LeaveScope>(_ => Leave(Sender));
        Receive<Terminated>(t => Leave(t.ActorRef));
        Receive<Advance>(_ =>
        {
            foreach (var c in _bySession.Values)
                if (c.LastT < _routedT) Complete(c);
        });
        Receive<CurrentDb>(_ => { });
        Receive<Rescope>(r => Sender.Tell(Rescoped(r.Scopes)));
    }

    /// <summary>
    /// Every joined client's scope under <paramref name="scopes"/> (its policy and the client's roles now), on the value
    /// routed last: a client whose visible entities or allowed attributes stay the same keeps its stream under the new
    /// scope; any other's stream ends, and its session bootstraps its replica again with the new filtered value.
    /// </summary>
    private ScopesReplaced Rescoped(ServerScopes scopes)
    {
        var ended = new List<Client>();
        foreach (var c in _bySession.Values)
        {
            var old = _fanout.StateOf(c);
            ScopeState next;
            try { next = ScopeState.Of(scopes.Policy, scopes.IdentityOf(c.ClientId), _db!); }
            catch (Exception e)
            {
                _log.Error(e, "evaluating the new scope of {0} failed", c.ClientId);
                ended.Add(c);
                continue;
            }
            if (old is not null && old.Entities.SetEquals(next.Entities) && old.Attributes.SetEquals(next.Attributes)) _fanout.Set(c, next);
            else ended.Add(c);
        }
        foreach (var c in ended)
        {
            c.Session.Tell(new ScopeEnded(c.Generation, "its scope changed"));
            Leave(c.Session);
        }
        return new ScopesReplaced(ended.Select(c => c.ClientId).Order(StringComparer.Ordinal).ToList());
    }

    private bool FromListener() => Sender.Equals(_listener);

    // ------------------------------------------------------------------ joining and leaving

    private void Join(JoinScope j)
    {
        var session = Sender;
        if (_bySession.Remove(session, out var old)) Drop(old);
        var state = j.State;
        var client = new Client(session, state.Identity.ClientId, j.Generation, state.T);
        var deltas = new List<TxDelta>();
        if (state.T < _routedT)
        {
            // routed past its scope while its bootstrap was made: bring it up to date from the kept values
            if (_kept.First is not { } first || first.Value.After.BasisT > state.T + 1)
            {
                session.Tell(new ScopeEnded(j.Generation, $"its scope is of t={state.T}, older than the {Kept} transactions the scope hub keeps"));
                return;
            }
            try
            {
                foreach (var (after, txData) in _kept)
                {
                    if (after.BasisT <= state.T) continue;
                    var delta = ScopeDelta.Of(state, after, txData);
                    state = delta.Next;
                    if (!delta.IsEmpty) deltas.Add(Scoped(client, after, TxDelta.From(after, after.BasisT, txData), delta));
                }
            }
            catch (Exception e)
            {
                _log.Error(e, "bringing the scope of {0} up to date failed", client.ClientId);
                session.Tell(new ScopeEnded(j.Generation, $"its scope could not be brought up to date ({e.GetType().Name})"));
                return;
            }
        }
        _bySession[session] = client;
        _byClientId[client.ClientId] = client;
        _fanout.Set(client, state);
        Context.Watch(session);
        client.LastT = _routedT;
        session.Tell(new ScopedDeltas(j.Generation, deltas, _routedT));
    }

    private void Leave(IActorRef session)
    {
        if (!_bySession.Remove(session, out var c)) return;
        Drop(c);
        Context.Unwatch(session);
    }

    private void Drop(Client c)
    {
        _fanout.Remove(c);
        _headWaiters.Remove(c);
        if (_byClientId.TryGetValue(c.ClientId, out var same) && ReferenceEquals(same, c)) _byClientId.Remove(c.ClientId);
    }

    // ------------------------------------------------------------------ routing

    private void Route(IReadOnlyList<TxDelta> deltas)
    {
        if (deltas.Count == 0) return;
        var outgoing = new Dictionary<Client, List<TxDelta>>(ReferenceEqualityComparer.Instance);
        foreach (var d in deltas)
        {
            if (d.T <= _routedT) continue; // sent again after a resubscription
            if (d.T != _routedT + 1 || d.MasterValue is not { } after || after.BasisT != d.T)
            {
                Lost(d.T);
                return;
            }
            var owner = OwnerOf(d.RequestId);
            List<(Client Client, ScopeDelta Delta)> routed;
            try { routed = _fanout.Route(after, d.TxData, owner); }
            catch (Exception e)
            {
                // a scope whose rules fail on this value fails closed in its evaluation; anything else is a fault here
                _log.Error(e, "routing t={0} to the scoped clients failed", d.T);
                Lost(d.T);
                return;
            }
            foreach (var (client, delta) in routed)
            {
                if (delta.IsEmpty && !ReferenceEquals(client, owner)) continue; // nothing reaches it: its stream skips t
                if (!outgoing.TryGetValue(client, out var list)) outgoing[client] = list = [];
                list.Add(Scoped(client, after, d, delta));
            }
            _db = after;
            _routedT = d.T;
            _kept.AddLast((after, d.TxData));
            if (_kept.Count > Kept) _kept.RemoveFirst();
        }
        // complete through its last delta: the t after it comes with the periodic advance or when asked, not as one
        // more empty delta per delivery
        foreach (var (client, list) in outgoing)
            client.Session.Tell(new ScopedDeltas(client.Generation, list, client.LastT));
        _listener.Tell(new LogAck(_routedT));
        if (_headWaiters.Count == 0) return;
        List<Client>? done = null;
        foreach (var (c, ts) in _headWaiters)
        {
            if (ts.Min > _routedT) continue;
            ts.RemoveWhere(t => t <= _routedT);
            if (c.LastT < _routedT) Complete(c);
            if (ts.Count == 0) (done ??= []).Add(c);
        }
        if (done is not null) foreach (var c in done) _headWaiters.Remove(c);
    }

    /// <summary>The scoped delta of <paramref name="d"/> for <paramref name="client"/>, after the last t of its stream.
    /// The request id and tempids go along; the session keeps them only for its own client's requests.</summary>
    private static TxDelta Scoped(Client client, Db after, TxDelta d, ScopeDelta delta)
    {
        var scoped = TxDelta.From(after, d.T, delta.Datoms, d.RequestId, d.Tempids) with
        {
            TxInstant = d.TxInstant,
            MasterValue = null, // a scoped replica applies its datoms; the master's value holds what it may not see
            TraceParent = d.TraceParent,
            After = client.LastT,
        };
        client.LastT = d.T;
        return scoped;
    }

    /// <summary>The joined client whose request made the transaction (request ids start with the client id and a
    /// slash), or null. Only a routing hint: the delta it gets is its scope's like any other.</summary>
    private Client? OwnerOf(string? requestId)
    {
        if (requestId is null) return null;
        for (var i = requestId.IndexOf('/'); i > 0; i = requestId.IndexOf('/', i + 1))
            if (_byClientId.TryGetValue(requestId[..i], out var c)) return c;
        return null;
    }

    /// <summary>Tells the client it has everything of its stream through the t routed so far.</summary>
    private void Complete(Client c)
    {
        c.LastT = _routedT;
        c.Session.Tell(new ScopedDeltas(c.Generation, [], _routedT));
    }

    /// <summary>A delta the scopes cannot follow: every stream ends and the hub starts again from the transactor's value.</summary>
    private void Lost(long t)
    {
        _log.Info("the scope hub got t={0} after t={1} without the master's value at it (after a gap, or read back from the journal); its {2} scoped client(s) are bootstrapped again",
            t, _routedT, _bySession.Count);
        EndAll("the scope hub could not follow the log");
        _listener.Tell(UnsubscribeLog.Instance);
        _transactor.Tell(GetDb.Instance);
        Become(Starting);
    }

    private void EndAll(string why)
    {
        foreach (var c in _bySession.Values)
        {
            c.Session.Tell(new ScopeEnded(c.Generation, why));
            Context.Unwatch(c.Session);
        }
        _bySession.Clear();
        _byClientId.Clear();
        _headWaiters.Clear();
        _kept.Clear();
        _fanout = new ScopeFanout<Client>();
    }

    private sealed record Advance
    {
        public static readonly Advance Instance = new();
    }
}

// ---------------------------------------------------------------- session <-> scope hub (in-process only: none is a
// protocol message, so none has a wire binding)

/// <summary>Session to hub: the master's value the hub routes from, for a bootstrap (answered with <see cref="ScopeDb"/>).</summary>
internal sealed record ScopeDbWanted(long Generation);

/// <summary>Hub to session: the master's value at the latest t the hub routed, and the master database's id.</summary>
internal sealed record ScopeDb(long Generation, Db Db, string? DatabaseId = null);

/// <summary>Session to hub: its client's stream starts at <paramref name="State"/> (the scope its bootstrap was filtered
/// to); replaces the session's stream before.</summary>
internal sealed record JoinScope(long Generation, ScopeState State);

/// <summary>Hub to session: the next deltas of the client's stream (each after the one before it), and the t through
/// which the stream is complete (no delta up to <paramref name="ThroughT"/> is still to come).</summary>
internal sealed record ScopedDeltas(long Generation, IReadOnlyList<TxDelta> Deltas, long ThroughT);

/// <summary>Server to hub: the scopes were replaced (answered with <see cref="ScopesReplaced"/>).</summary>
internal sealed record Rescope(ServerScopes Scopes);

/// <summary>Session to hub: answer with an empty <see cref="ScopedDeltas"/> once the hub has routed <paramref name="T"/>.</summary>
internal sealed record ScopeHeadWanted(long Generation, long T);

/// <summary>Session to hub: its stream ends.</summary>
internal sealed record LeaveScope
{
    public static readonly LeaveScope Instance = new();
}

/// <summary>Hub to session: the client's stream ended (<paramref name="Reason"/>); its replica is bootstrapped again.</summary>
internal sealed record ScopeEnded(long Generation, string Reason);
