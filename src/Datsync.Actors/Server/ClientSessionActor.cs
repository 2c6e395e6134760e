using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Observability;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>
/// The server side of one connected replica. On a handshake it either resumes the replica from the t it holds (only
/// the missing deltas) or sends a bootstrap — the master's value at one basis t, schema first, in chunks paced by the
/// replica's acknowledgements — and then the log after that t. It relays the replica's range requests and
/// acknowledgements to the log listener, forwards its transactions to the transactor (a request sent again is
/// answered from the outcome it already had, never committed twice), and sends heartbeats so a replica that lost a
/// message notices it is behind.
/// <para>One door: a session takes a handshake only from its parent, the server actor, once the server has admitted the
/// client (<see cref="Admitted"/>). From then on it acts only on <see cref="ToSession"/> requests that carry the
/// channel key of that handshake and come from the replica that made it; anything else is dropped and logged
/// (rate-limited). A replica in this process hands over its transactions as their forms (<see cref="SubmitTxData"/>,
/// under the same key, taken only from an actor of this system) instead of as text. To a replica in another process
/// everything goes under the same key (<see cref="FromSession"/>).</para>
/// <para>Scopes (<see cref="SessionSettings.Scopes"/>): a scoped client's transactions carry its identity for the
/// transactor's write rules; its replica is bootstrapped with the master filtered to its scope (from the scope hub's
/// value) and then gets the deltas the scope hub makes for it (<see cref="ScopeHubActor"/>, <see cref="SessionScope"/>),
/// never the master's value: a session of a scoped client does not subscribe to the log. Its range requests are
/// answered from the session's own scoped deltas; when the stream cannot go on (the hub ended it, a range the session
/// no longer holds), the session tells its replica to connect again (<see cref="BootstrapAgain"/>) and bootstraps
/// it.</para>
/// <para>Supervision: the server restarts a session that fails (its default). The new instance holds no handshake, so
/// its replica hears no more heartbeats, connects again after its connection timeout and resumes from its t; the
/// outcomes it remembered are gone, and a transaction sent again is answered by the transactor, which commits a
/// request id once.</para>
/// </summary>
internal sealed class ClientSessionActor : ReceiveActor, IWithTimers
{
    private readonly string _clientId;
    private readonly IActorRef _transactor;
    private readonly IActorRef _listener;
    private readonly SessionSettings _settings;
    private readonly BootstrapImages _images;

    private IActorRef? _replica;
    private long _attempt;
    private string? _key; // the channel key of the handshake taken
    private DateTime _lastHeard; // the latest request of the replica
    private Connect? _handshake; // waiting for the transactor's value
    private string? _databaseId; // the master database's id, as the transactor (or the scope hub) last told it
    private long _headT;
    private long _ackedT; // the latest t the replica acknowledged on this subscription
    private long _forwardedT; // the latest t forwarded to the replica
    private bool _dropped; // the log dropped this session; it subscribes again once the replica has caught up
    private bool _remote; // the replica is in another process (or must not share): deltas go without the master's value
    private bool _framed; // the replica is in another process: messages stay under the frame budget
    private readonly PartAssembler<string> _submitParts;
    private BootstrapImage? _image;
    private int _ackedSeq;
    private int _sentSeq;
    private readonly Dictionary<string, object> _outcomes = new();
    private readonly Queue<string> _outcomeOrder = new();
    private readonly HashSet<string> _inFlight = new();
    private readonly DroppedMessages _drops;
    private readonly SessionTelemetry _telemetry;
    private readonly SessionScope? _scope; // on a scoped server: what of the master the client's replica holds
    private readonly IActorRef? _hub; // on a scoped server: the scope hub that makes the client's deltas

    public ITimerScheduler Timers { get; set; } = null!;

    public ClientSessionActor(string clientId, IActorRef transactor, IActorRef listener, SessionSettings settings, BootstrapImages images,
        IActorRef? hub = null, ScopesInForce? scopes = null)
    {
        _clientId = clientId;
        _transactor = transactor;
        _listener = listener;
        _settings = settings;
        _images = images;
        _drops = new DroppedMessages(Context.GetLogger());
        _submitParts = new PartAssembler<string>();
        _telemetry = new SessionTelemetry(clientId);
        _scope = scopes is null ? null : new SessionScope(scopes, clientId); // the server's: one set per master
        _hub = _scope is null ? null : hub ?? throw new ArgumentNullException(nameof(hub), "a scoped session needs the scope hub");

        Receive<Admitted>(a =>
        {
            if (Sender.Equals(Context.Parent)) OnConnect(a.Connect, a.Replica);
            else _drops.Drop(a, Sender, "a handshake reaches a session only through the server");
        });
        Receive<ToSession>(OnRequest);
        Receive<SubmitTxData>(OnSubmitData);
        Receive<FailForTest>(_ => { if (Sender.Path.Address.HasLocalScope) throw new InvalidOperationException("a failure for a test"); });
        // what the master's actors send: only from them (another process cannot write these types, and an answer the
        // server or anyone else sends in a session's name is not the master's)
        Receive<CurrentDb>(d => { if (FromMaster(d, _transactor)) OnCurrentDb(d); });
        Receive<TxDelta>(d => { if (FromMaster(d, _listener) && _scope is null) Forward(d, d.T); });
        Receive<TxDeltaBatch>(b => { if (FromMaster(b, _listener) && _scope is null) Forward(b, b.LastT); });
        // a scoped client's stream, from the scope hub only
        Receive<ScopeDb>(d => _hub is not null && FromMaster(d, _hub), OnScopeDb);
        Receive<ScopedDeltas>(d => _hub is not null && FromMaster(d, _hub), ForwardScoped);
        Receive<ScopeEnded>(e => _hub is not null && FromMaster(e, _hub), e =>
        {
            if (e.Generation == _scope?.Generation) Rebootstrap(e.Reason);
        });
        // dropped by the log (the replica fell a whole buffer behind): resubscribe once the replica has applied what it
        // was sent, after the latest t it acknowledged; at once, the log would only resend what the replica still queues
        Receive<ResumeFrom>(r =>
        {
            if (!FromMaster(r, _listener)) return;
            _dropped = true;
            if (r.LastT > _ackedT) _ackedT = r.LastT;
            ResubscribeWhenDrained();
        });
        Receive<TxRangeResult>(r =>
        {
            if (!FromMaster(r, _listener)) return;
            // a scoped session never asks: the journal's deltas carry no value per t to filter against, so a scoped
            // replica is answered from the session's scoped deltas, or bootstrapped again (DeltasWanted)
            if (_scope is not null) return;
            if (_replica is not null) _telemetry.DeltasSent(r.Deltas.Count);
            if (!_framed) ToReplica(_remote ? WireForm.Of(r) : r);
            else if (r.Deltas.Count == 0) ToReplica(r);
            else foreach (var frame in WireFrames.Deltas(r.Deltas, _settings.FrameBudget, Context.System.Serialization)) ToReplica(frame);
        });
        // the replica learns the datoms from the delta; tempids too big for a frame come with the delta alone
        Receive<TxAccepted>(a => FromMaster(a, _transactor), a => Outcome(a.RequestId, a with
        {
            TxData = [],
            Tempids = _framed && a.Tempids.Count * 64L > _settings.FrameBudget / 2 ? new Dictionary<object, long>() : a.Tempids,
        }));
        Receive<TxRejected>(r => FromMaster(r, _transactor), r => Outcome(r.RequestId, r));
        Receive<Heartbeat>(_ =>
        {
            if (_framed && _replica is not null && DateTime.UtcNow - _lastHeard > _settings.ReplicaTimeout)
            {
                // a replica in another process that said nothing for so long is gone; if it comes back, its handshake
                // starts a new session that resumes it from its t
                Context.GetLogger().Info("session {0}: no word from its replica at {1} for {2}; ending", _clientId, _replica.Path.Address, _settings.ReplicaTimeout);
                _listener.Tell(UnsubscribeLog.Instance);
                Context.Stop(Self);
                return;
            }
            if (_scope is not null) ToReplica(new SessionHeartbeat(_scope.LastT ?? 0));
            else ToReplica(new SessionHeartbeat(_headT));
        });
        Receive<ImageReady>(r => { if (Sender.Path.Address.HasLocalScope) OnImage(r); });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_replica)) return;
            _listener.Tell(UnsubscribeLog.Instance);
            Context.Stop(Self);
        });
    }

    public static Props Props(string clientId, IActorRef transactor, IActorRef listener, SessionSettings settings, BootstrapImages images,
        IActorRef? hub = null, ScopesInForce? scopes = null) =>
        Akka.Actor.Props.Create(() => new ClientSessionActor(clientId, transactor, listener, settings, images, hub, scopes));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("heartbeat", Heartbeat.Instance, _settings.HeartbeatInterval);
        _telemetry.Started();
    }

    protected override void PostStop() => _telemetry.Stopped();

    /// <summary>A request of the replica: acted on only under the channel key of the handshake taken, from the replica
    /// that made it.</summary>
    private void OnRequest(ToSession t)
    {
        if (!FromReplica(t.ChannelKey, t.Request)) return;
        switch (t.Request)
        {
            case BootstrapAck a:
                OnBootstrapAck(a);
                break;
            case SubmitTx s:
                OnSubmit(s);
                break;
            case SubmitTxPart p:
                if (_submitParts.Add(p.RequestId, p.Seq, p.Count, p.Slice) is { } whole)
                {
                    string text;
                    try { text = Utf8Strict.Decode(whole); }
                    catch (EdnReadException e)
                    {
                        Outcome(p.RequestId, new TxRejected(p.RequestId, TxErrors.InvalidTxData, e.Message));
                        break;
                    }
                    OnSubmit(new SubmitTx(p.ClientId, p.RequestId, text));
                }
                break;
            case DeltasApplied a:
                if (a.T > _ackedT) _ackedT = a.T;
                if (_scope is not null) break; // the hub does not wait for acknowledgements
                if (_dropped) ResubscribeWhenDrained();
                else _listener.Tell(new LogAck(a.T));
                break;
            case DeltasWanted w:
                if (w.FromT > w.ToT) break;
                if (_scope is null) _listener.Tell(new TxRange(w.FromT, w.ToT));
                else ScopedRange(w.FromT, w.ToT);
                break;
        }
    }

    /// <summary>True when the sender is the replica whose handshake was taken, under that handshake's channel key.</summary>
    private bool FromReplica(string channelKey, object request)
    {
        if (_replica is null || !Sender.Equals(_replica) || !ChannelKeys.Same(channelKey, _key))
        {
            _drops.Drop(request, Sender, _replica is null ? "no handshake was taken" : "not the key and replica of the handshake taken");
            return false;
        }
        _lastHeard = DateTime.UtcNow;
        return true;
    }

    /// <summary>A transaction of a replica in this process, as its forms: taken like <see cref="SubmitTx"/>, without the
    /// text. The forms are immutable EDN values, handed on to the transactor as they are (no copy).</summary>
    private void OnSubmitData(SubmitTxData s)
    {
        if (!Sender.Path.Address.HasLocalScope)
        {
            _drops.Drop(s, Sender, "a transaction's forms come only from a replica in this process");
            return;
        }
        if (!FromReplica(s.ChannelKey, s)) return;
        OnSubmit(s.RequestId, () => ClientTx.Request(s.RequestId, s.TxData, _clientId, _telemetry.TraceParentOf(s.RequestId, s.TraceParent)));
    }

    private bool FromMaster(object message, IActorRef actor)
    {
        // the transactor answers from under its supervisor, which is what the session knows
        if (Sender.Equals(actor) || Sender.Path.Parent.Equals(actor.Path)) return true;
        _drops.Drop(message, Sender, $"only {actor.Path.Name} sends it");
        return false;
    }

    /// <summary>To the replica; to one in another process under its channel key.</summary>
    private void ToReplica(object message)
    {
        if (_replica is null) return;
        _replica.Tell(_framed ? new FromSession(_key!, message) : message);
    }

    private void OnConnect(Connect c, IActorRef replica)
    {
        if (c.Attempt <= _attempt) return; // a late or repeated handshake
        _attempt = c.Attempt;
        _key = c.ChannelKey;
        if (!replica.Equals(_replica))
        {
            if (_replica is not null && !_framed) Context.Unwatch(_replica);
            _replica = replica;
            _framed = !_replica.Path.Address.HasLocalScope;
            _remote = _framed || !_settings.ShareMasterValues;
            // a replica in this process is watched; one in another is not: Akka.Remote's death watch quarantines a
            // system that pauses past its failure detector (a stopped process, a long GC), and a quarantined client
            // cannot come back without a new actor system. Its silence tells instead (ReplicaTimeout).
            if (!_framed) Context.Watch(_replica);
        }
        _lastHeard = DateTime.UtcNow;
        _image = null;
        if (_scope is not null)
        {
            OnScopedConnect(c);
            return;
        }
        _handshake = c;
        // answered with CurrentDb; a transactor that is restarting does not answer, and the replica's next handshake asks again
        _transactor.Tell(GetDb.Instance);
    }

    /// <summary>A scoped client's handshake: resumed within the stream it has (from the kept deltas), else bootstrapped
    /// from the scope hub's value.</summary>
    private void OnScopedConnect(Connect c)
    {
        var scope = _scope!;
        // a stream the session holds came with the hub's value, so _databaseId is that value's database
        if (c.LastAppliedT is { } held && scope.LastT is { } last && held <= last && SameDatabase(c, _databaseId)
            && scope.Range(held + 1, last) is { } kept)
        {
            ToReplica(new Connected(_attempt, held, 0, last, Scoped: true, DatabaseId: _databaseId));
            if (kept.Count > 0) ForwardScopedDeltas(kept);
            return;
        }
        // answered with ScopeDb; the replica's next handshake asks again if it is not
        _hub!.Tell(LeaveScope.Instance);
        _hub.Tell(new ScopeDbWanted(scope.Reset()));
    }

    /// <summary>The hub's value: the client's image is made from it off this thread (the master's value filtered to its
    /// scope, never the shared image).</summary>
    private void OnScopeDb(ScopeDb d)
    {
        if (_scope is not { } scope || d.Generation != scope.Generation || scope.LastT is not null || _replica is null) return;
        _databaseId = d.DatabaseId;
        var attempt = _attempt;
        var chunkSize = _settings.ChunkSize;
        Task.Run(() => scope.ImageOf(d.Db, chunkSize)).PipeTo(Self,
            success: r => new ImageReady(attempt, r.Image, null, r.State), failure: e => new ImageReady(attempt, null, e));
    }

    private void OnCurrentDb(CurrentDb current)
    {
        if (_handshake is not { } c || _replica is null) return;
        _handshake = null;
        var db = current.Db;
        _databaseId = current.DatabaseId;
        if (db.BasisT > _headT) _headT = db.BasisT;
        if (c.LastAppliedT is { } last && last >= 0 && last <= db.BasisT && SameDatabase(c, _databaseId))
        {
            // the log holds everything after the replica's t: no reload
            ToReplica(new Connected(_attempt, last, 0, _headT, DatabaseId: _databaseId));
            Subscribe(last);
            return;
        }
        // encoded off this thread (one encoding for the handshakes of the same basis); until it is ready the session
        // has no subscription, so nothing reaches the replica out of order
        var attempt = _attempt;
        _images.For(db).PipeTo(Self, success: image => new ImageReady(attempt, image, null), failure: e => new ImageReady(attempt, null, e));
    }

    private void OnImage(ImageReady ready)
    {
        if (ready.Attempt != _attempt || _replica is null || _handshake is not null) return; // a newer handshake took over
        if (ready.Image is null)
        {
            // the replica's next handshake asks again
            Context.GetLogger().Error(ready.Failure, "encoding the bootstrap image for {0} failed", _clientId);
            return;
        }
        _image = ready.Image;
        _ackedSeq = 0;
        _sentSeq = 0;
        if (ready.Scope is { } scope && _scope is not null)
        {
            // the stream starts at the image's t: the hub sends what it routed since, then the rest as it comes
            _scope.Start(scope);
            _hub!.Tell(new JoinScope(_scope.Generation, scope));
            ToReplica(new Connected(_attempt, _image.BasisT, _image.Chunks.Count, _image.BasisT, _image.Datoms, _image.Bytes, Scoped: true,
                DatabaseId: _databaseId));
            SendChunks(0);
            return;
        }
        ToReplica(new Connected(_attempt, _image.BasisT, _image.Chunks.Count, _headT, _image.Datoms, _image.Bytes, DatabaseId: _databaseId));
        SendChunks(0);
        // deltas after the basis flow at once, interleaved with the chunks; the replica holds them until it has the value
        Subscribe(_image.BasisT);
    }

    /// <summary>True when the replica of handshake <paramref name="c"/> may be resumed against the master database
    /// <paramref name="master"/>: its value came from that database, or it names none (a replica older than database
    /// ids, resumed as before; a name that is not an id counts as none). A replica that names another database — or
    /// one of a master that does not tell its own — is bootstrapped: it never resumes against a master it was not
    /// synced from.</summary>
    private static bool SameDatabase(Connect c, string? master) =>
        DatabaseIds.Checked(c.DatabaseId) is not { } held || held == master;

    private void Subscribe(long afterT)
    {
        _ackedT = afterT;
        _forwardedT = afterT;
        _dropped = false;
        _listener.Tell(new SubscribeLog(afterT, Batched: true));
    }

    private void ResubscribeWhenDrained()
    {
        if (_ackedT >= _forwardedT) Subscribe(_ackedT);
    }

    private void Forward(object deltas, long lastT)
    {
        if (lastT > _headT) _headT = lastT;
        if (lastT > _forwardedT) _forwardedT = lastT;
        if (_replica is null) return;
        _telemetry.DeltasSent(deltas);
        if (!_framed) _replica.Tell(_remote ? WireForm.Of(deltas) : deltas);
        else
            foreach (var frame in WireFrames.Deltas(deltas is TxDeltaBatch b ? b.Deltas : [(TxDelta)deltas], _settings.FrameBudget, Context.System.Serialization))
                ToReplica(frame);
    }

    /// <summary>The hub's deltas for the scoped replica: only what it may see, each after the one before it, and an
    /// empty delta that moves its t on to where its stream is complete.</summary>
    private void ForwardScoped(ScopedDeltas s)
    {
        if (_scope!.Take(s, id => _inFlight.Contains(id) || _outcomes.ContainsKey(id)) is not { } deltas)
            Rebootstrap($"the scope hub's deltas do not continue the stream at t={_scope.LastT}");
        else if (deltas.Count > 0) ForwardScopedDeltas(deltas);
    }

    private void ForwardScopedDeltas(List<TxDelta> deltas) => Forward(deltas.Count == 1 ? deltas[0] : new TxDeltaBatch(deltas), deltas[^1].T);

    /// <summary>A scoped replica's range request: answered from the kept deltas of its stream, and, beyond the stream's
    /// end, by the hub once it has routed <paramref name="toT"/> (then an empty delta moves the replica's t on).</summary>
    private void ScopedRange(long fromT, long toT)
    {
        var scope = _scope!;
        if (scope.LastT is not { } last) return; // a bootstrap is under way
        if (fromT <= last)
        {
            if (scope.Range(fromT, toT) is not { } kept)
            {
                Rebootstrap($"its replica asks for t={fromT}..{toT}, which the session no longer holds scoped");
                return;
            }
            if (_replica is not null) _telemetry.DeltasSent(kept.Count);
            if (!_framed) ToReplica(new TxRangeResult(fromT, toT, kept));
            else foreach (var frame in WireFrames.Deltas(kept, _settings.FrameBudget, Context.System.Serialization)) ToReplica(frame);
        }
        if (toT > last) _hub!.Tell(new ScopeHeadWanted(scope.Generation, toT));
    }

    /// <summary>A scoped replica whose stream cannot go on is bootstrapped again: the session tells it to connect again
    /// at once (<see cref="BootstrapAgain"/>), and its handshake gets the filtered value. Never the unfiltered ranges of
    /// the journal.</summary>
    private void Rebootstrap(string why)
    {
        Context.GetLogger().Info("session {0}: {1}; its replica is bootstrapped again", _clientId, why);
        _hub!.Tell(LeaveScope.Instance);
        _scope!.Reset();
        _image = null;
        ToReplica(new BootstrapAgain(why));
    }

    private void OnBootstrapAck(BootstrapAck a)
    {
        if (_image is null || a.BasisT != _image.BasisT) return;
        if (a.NextSeq >= _image.Chunks.Count)
        {
            _image = null; // delivered
            return;
        }
        if (a.NextSeq > _ackedSeq) _ackedSeq = a.NextSeq;
        else _sentSeq = a.NextSeq; // the same acknowledgement again: the replica lacks what follows it
        SendChunks(_ackedSeq > a.NextSeq ? _ackedSeq : a.NextSeq);
    }

    /// <summary>Sends the chunks of the window that starts at <paramref name="from"/> not yet sent.</summary>
    private void SendChunks(int from)
    {
        var image = _image!;
        var end = Math.Min(image.Chunks.Count, from + _settings.BootstrapWindow);
        for (var seq = Math.Max(from, _sentSeq); seq < end; seq++)
        {
            ToReplica(new BootstrapChunk(image.BasisT, seq, image.Chunks.Count, image.Chunks[seq]));
            _telemetry.BootstrapSent(image.Chunks[seq].Length);
        }
        _sentSeq = Math.Max(_sentSeq, end);
    }

    private void OnSubmit(SubmitTx s) =>
        OnSubmit(s.RequestId, () => ClientTx.Request(s.RequestId, s.TxEdn, _clientId, _telemetry.TraceParentOf(s.RequestId, s.TraceParent)));

    /// <summary>A transaction of the replica, as text or as forms: answered from the outcome it already had, left to the
    /// answer on the way, refused while the session holds as many as it takes, or made into the transactor's
    /// <paramref name="request"/> (or its rejection) and sent.</summary>
    private void OnSubmit(string requestId, Func<object> request)
    {
        if (ClientTx.ForeignMutation(requestId, _clientId) is { } foreign)
        {
            ToReplica(foreign);
            return;
        }
        if (_outcomes.TryGetValue(requestId, out var outcome))
        {
            ToReplica(outcome);
            return;
        }
        if (_inFlight.Contains(requestId)) return; // its answer is on the way
        if (_inFlight.Count >= _settings.MaxPendingSubmits)
        {
            // refused, not remembered: sent again later, it is taken then
            ToReplica(new TxRejected(requestId, DatsyncErrors.Busy,
                $"client \"{_clientId}\" has {_inFlight.Count} transactions in flight, the most a session takes (datsync.session.max-pending-submits); nothing was committed"));
            return;
        }
        var made = request();
        if (made is TxRejected unreadable)
        {
            Outcome(requestId, unreadable);
            return;
        }
        _inFlight.Add(requestId);
        _transactor.Tell(_scope is not null && made is Transact tx ? tx with { Identity = _scope.Identity } : made);
    }

    private void Outcome(string requestId, object outcome)
    {
        _inFlight.Remove(requestId);
        _telemetry.Answered(requestId, outcome);
        if (_outcomes.TryAdd(requestId, outcome))
        {
            _outcomeOrder.Enqueue(requestId);
            while (_outcomeOrder.Count > _settings.OutcomeCache) _outcomes.Remove(_outcomeOrder.Dequeue());
        }
        ToReplica(outcome);
    }

    private sealed record ImageReady(long Attempt, BootstrapImage? Image, Exception? Failure, ScopeState? Scope = null);

    private sealed record Heartbeat
    {
        public static readonly Heartbeat Instance = new();
    }
}

/// <summary>Makes a session throw (tests of its restart).</summary>
internal sealed record FailForTest
{
    public static readonly FailForTest Instance = new();
}

/// <summary>Server to session: the server admitted <paramref name="Connect"/> (a listed client with its token) from
/// <paramref name="Replica"/>. Internal: no other process can send it.</summary>
internal sealed record Admitted(Connect Connect, IActorRef Replica);
