using Akka.Actor;
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
/// </summary>
public sealed class ClientSessionActor : ReceiveActor, IWithTimers
{
    private readonly string _clientId;
    private readonly IActorRef _transactor;
    private readonly IActorRef _listener;
    private readonly SessionSettings _settings;
    private readonly BootstrapImages _images;

    private IActorRef? _replica;
    private long _attempt;
    private Connect? _handshake; // waiting for the transactor's value
    private long _headT;
    private long _ackedT; // the latest t the replica acknowledged on this subscription
    private long _forwardedT; // the latest t forwarded to the replica
    private bool _dropped; // the log dropped this session; it subscribes again once the replica has caught up
    private bool _remote; // the replica is in another process (or must not share): deltas go without the master's value
    private bool _framed; // the replica is in another process: messages stay under the frame budget
    private readonly PartAssembler<string> _submitParts = new();
    private BootstrapImage? _image;
    private int _ackedSeq;
    private int _sentSeq;
    private readonly Dictionary<string, object> _outcomes = new();
    private readonly Queue<string> _outcomeOrder = new();
    private readonly HashSet<string> _inFlight = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ClientSessionActor(string clientId, IActorRef transactor, IActorRef listener, SessionSettings settings, BootstrapImages images)
    {
        _clientId = clientId;
        _transactor = transactor;
        _listener = listener;
        _settings = settings;
        _images = images;

        Receive<Connect>(OnConnect);
        Receive<CurrentDb>(OnCurrentDb);
        Receive<BootstrapAck>(OnBootstrapAck);
        Receive<TxDelta>(d => Forward(d, d.T));
        Receive<TxDeltaBatch>(b => Forward(b, b.LastT));
        // dropped by the log (the replica fell a whole buffer behind): resubscribe once the replica has applied what it
        // was sent, after the latest t it acknowledged; at once, the log would only resend what the replica still queues
        Receive<ResumeFrom>(r =>
        {
            _dropped = true;
            if (r.LastT > _ackedT) _ackedT = r.LastT;
            ResubscribeWhenDrained();
        });
        Receive<LogAck>(a =>
        {
            if (a.T > _ackedT) _ackedT = a.T;
            if (_dropped) ResubscribeWhenDrained();
            else _listener.Tell(a);
        });
        Receive<TxRange>(r => _listener.Tell(r));
        Receive<TxRangeResult>(r =>
        {
            if (!_framed) _replica?.Tell(_remote ? WireForm.Of(r) : r);
            else if (r.Deltas.Count == 0) _replica?.Tell(r);
            else foreach (var frame in WireFrames.Deltas(r.Deltas, _settings.FrameBudget, Context.System.Serialization)) _replica?.Tell(frame);
        });
        Receive<SubmitTx>(OnSubmit);
        Receive<SubmitTxPart>(p =>
        {
            if (_submitParts.Add(p.RequestId, p.Seq, p.Count, p.Slice) is { } whole)
                OnSubmit(new SubmitTx(p.ClientId, p.RequestId, System.Text.Encoding.UTF8.GetString(whole)));
        });
        // the replica learns the datoms from the delta; tempids too big for a frame come with the delta alone
        Receive<TxAccepted>(a => Outcome(a.RequestId, a with
        {
            TxData = [],
            Tempids = _framed && a.Tempids.Count * 64L > _settings.FrameBudget / 2 ? new Dictionary<object, long>() : a.Tempids,
        }));
        Receive<TxRejected>(r => Outcome(r.RequestId, r));
        Receive<Heartbeat>(_ => _replica?.Tell(new SessionHeartbeat(_headT)));
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_replica)) return;
            _listener.Tell(UnsubscribeLog.Instance);
            Context.Stop(Self);
        });
    }

    public static Props Props(string clientId, IActorRef transactor, IActorRef listener, SessionSettings settings, BootstrapImages images) =>
        Akka.Actor.Props.Create(() => new ClientSessionActor(clientId, transactor, listener, settings, images));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("heartbeat", Heartbeat.Instance, _settings.HeartbeatInterval);

    private void OnConnect(Connect c)
    {
        if (c.Attempt <= _attempt) return; // a late or repeated handshake
        _attempt = c.Attempt;
        if (!Sender.Equals(_replica))
        {
            if (_replica is not null) Context.Unwatch(_replica);
            _replica = Sender;
            _framed = !_replica.Path.Address.HasLocalScope;
            _remote = _framed || !_settings.ShareMasterValues;
            Context.Watch(_replica);
        }
        _image = null;
        _handshake = c;
        // answered with CurrentDb; a transactor that is restarting does not answer, and the replica's next handshake asks again
        _transactor.Tell(GetDb.Instance);
    }

    private void OnCurrentDb(CurrentDb current)
    {
        if (_handshake is not { } c || _replica is null) return;
        _handshake = null;
        var db = current.Db;
        if (db.BasisT > _headT) _headT = db.BasisT;
        if (c.LastAppliedT is { } last && last >= 0 && last <= db.BasisT)
        {
            // the log holds everything after the replica's t: no reload
            _replica.Tell(new Connected(_attempt, last, 0, _headT));
            Subscribe(last);
            return;
        }
        _image = _images.For(db);
        _ackedSeq = 0;
        _sentSeq = 0;
        _replica.Tell(new Connected(_attempt, _image.BasisT, _image.Chunks.Count, _headT, _image.Datoms, _image.Bytes));
        SendChunks(0);
        // deltas after the basis flow at once, interleaved with the chunks; the replica holds them until it has the value
        Subscribe(_image.BasisT);
    }

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
        if (!_framed) _replica.Tell(_remote ? WireForm.Of(deltas) : deltas);
        else
            foreach (var frame in WireFrames.Deltas(deltas is TxDeltaBatch b ? b.Deltas : [(TxDelta)deltas], _settings.FrameBudget, Context.System.Serialization))
                _replica.Tell(frame);
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
            _replica!.Tell(new BootstrapChunk(image.BasisT, seq, image.Chunks.Count, image.Chunks[seq]));
        _sentSeq = Math.Max(_sentSeq, end);
    }

    private void OnSubmit(SubmitTx s)
    {
        if (_outcomes.TryGetValue(s.RequestId, out var outcome))
        {
            Sender.Tell(outcome);
            return;
        }
        if (_inFlight.Contains(s.RequestId)) return; // its answer is on the way
        var request = ClientTx.Request(s.RequestId, s.TxEdn, _clientId);
        if (request is TxRejected unreadable)
        {
            Outcome(s.RequestId, unreadable);
            return;
        }
        _inFlight.Add(s.RequestId);
        _transactor.Tell(request);
    }

    private void Outcome(string requestId, object outcome)
    {
        _inFlight.Remove(requestId);
        if (_outcomes.TryAdd(requestId, outcome))
        {
            _outcomeOrder.Enqueue(requestId);
            while (_outcomeOrder.Count > _settings.OutcomeCache) _outcomes.Remove(_outcomeOrder.Dequeue());
        }
        _replica?.Tell(outcome);
    }

    private sealed record Heartbeat
    {
        public static readonly Heartbeat Instance = new();
    }
}
