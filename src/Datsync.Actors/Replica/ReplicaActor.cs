using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Actors.Replica;

/// <summary>
/// Owns one replica: its value (a <see cref="ReplicaState"/>), its connection to the server, and its waiting callers.
/// The decisions — ordering deltas by t, pending local transactions, id mapping — are the state's; the actor feeds it
/// messages in the order they arrive, asks again for what went missing (a range past a gap, bootstrap chunks, a
/// handshake or a transaction left unanswered), and publishes each new value for readers on any thread.
/// <para>Its handshake gives the server a fresh channel key. With a server in another process it acts only on
/// messages that carry that key (<see cref="FromSession"/>): a peer that never saw the handshake cannot feed it a
/// state the master never had. Everything it sends its session goes under the same key (<see cref="ToSession"/>).</para>
/// </summary>
internal sealed class ReplicaActor : ReceiveActor, IWithTimers
{
    private enum Phase { Connecting, Bootstrapping, Live, Refused }

    private readonly string _clientId;
    private readonly ICanTell _server;
    private readonly string? _token;
    private readonly ReplicaSettings _settings;
    private readonly ReplicaShared _shared;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _requestPrefix = Guid.NewGuid().ToString("N")[..12];
    private readonly string _key = ChannelKeys.New();
    private readonly bool _localServer; // the server is in this actor system: its messages come bare
    private readonly DroppedMessages _drops;

    private ReplicaState? _state;
    private Phase _phase = Phase.Connecting;
    private bool _silent; // the session went quiet (reported as Disconnected until a new handshake completes)
    private IActorRef? _session;
    private long _attempt;
    private DateTime _connectSentAt;
    private TimeSpan _connectDelay; // grows while handshakes go unanswered
    private DateTime _lastHeard;
    private long _headT;
    private long _ackedT = -1;
    private long _requests;

    // bootstrap under way
    private long _bootBasis;
    private byte[]?[] _chunks = [];
    private int _nextSeq;
    private long _bootBytes;
    private long _bootDatoms, _bootTotalBytes; // the whole image, as the session announced it
    private DateTime _lastChunkAt;
    private readonly List<TxDelta> _early = new();

    // asking for missing deltas
    private DateTime _rangeAskedAt;
    private DateTime _lastDeltaAt; // the last time deltas arrived (live, a range, or parts)
    private const int RangeAtOnce = 256;
    private long _basisAtLastTick = -1;

    private readonly Dictionary<string, LocalTx> _local;
    private readonly PartAssembler<long> _deltaParts = new();
    private readonly SortedDictionary<long, List<TaskCompletionSource>> _syncWaiters;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="resumeFrom">The master's value at some t the replica starts from (it then resumes from that t);
    /// null to bootstrap.</param>
    /// <param name="server">The server actor, or a selection of it in another actor system.</param>
    /// <param name="token">The client's token, when the server requires one.</param>
    public ReplicaActor(string clientId, ICanTell server, ReplicaSettings settings, ReplicaShared shared, Db? resumeFrom = null,
        string? token = null)
    {
        _clientId = clientId;
        _server = server;
        _token = token;
        _connectDelay = settings.RetryInterval;
        _settings = settings;
        _shared = shared;
        if (resumeFrom is not null) _state = ReplicaState.Bootstrapped(resumeFrom);
        // a restarted actor takes over from the instance that failed: its value, its callers and its waiters
        if (shared.TakeCarried() is Carried carried)
        {
            _state = carried.State;
            _local = carried.Local;
            _syncWaiters = carried.SyncWaiters;
        }
        else
        {
            _local = new();
            _syncWaiters = new();
        }
        _localServer = server switch
        {
            IActorRef r => r.Path.Address.HasLocalScope,
            ActorSelection sel => sel.Anchor.Path.Address.HasLocalScope,
            _ => false,
        };
        _drops = new DroppedMessages(_log);

        Receive<FromSession>(f =>
        {
            if (ChannelKeys.Same(f.ChannelKey, _key)) OnServer(f.Message);
            else _drops.Drop(f.Message, Sender, "not under this replica's channel key");
        });
        Receive<IToReplica>(FromServer);
        Receive<TxDelta>(FromServer);
        Receive<LocalTransact>(OnLocalTransact);
        Receive<SyncTo>(OnSyncTo);
        Receive<Tick>(_ => OnTick());
        Receive<FailForTest>(_ => throw new InvalidOperationException("a failure for a test"));
        Receive<DropUnsendable>(d =>
        {
            if (!_local.Remove(d.RequestId, out var l) || l.Unsendable is null) return;
            if (_state is not null) _state = _state.Rejected(d.RequestId);
            l.Done.TrySetException(l.Unsendable);
            SendLocal(resend: false); // transactions that named its entities fail now
            Publish();
        });
        Receive<BootstrapDecoded>(d => { if (Sender.Path.Address.HasLocalScope) OnDecoded(d); });
        Receive<Terminated>(t =>
        {
            // the session (or the connection to its system) is gone: serve reads from the last state, connect again
            if (t.ActorRef.Equals(_session) && _phase != Phase.Refused) Disconnected($"the session {t.ActorRef.Path} is gone");
        });
    }

    /// <summary>A server's message without a key: taken only from a server in this actor system.</summary>
    private void FromServer(object message)
    {
        if (_localServer) OnServer(message);
        else _drops.Drop(message, Sender, "a remote server's messages come under the channel key");
    }

    private void OnServer(object message)
    {
        switch (message)
        {
            case Connected c:
                OnConnected(c);
                break;
            case ConnectRefused r:
                OnRefused(r);
                break;
            case BootstrapChunk b:
                OnChunk(b);
                break;
            case TxDelta d:
                Heard();
                if (_state is null || _phase == Phase.Bootstrapping) _early.Add(d);
                else Offer([d]);
                break;
            case TxDeltaPart p:
                Heard();
                if (_deltaParts.Add(p.T, p.Seq, p.Count, p.Slice) is not { } whole) return;
                var part = (TxDelta)Context.System.Serialization.FindSerializerForType(typeof(TxDelta)).FromBinary(whole, typeof(TxDelta));
                if (_state is null || _phase == Phase.Bootstrapping) _early.Add(part);
                else Offer([part]);
                break;
            case TxDeltaBatch b:
                Heard();
                if (_state is null || _phase == Phase.Bootstrapping) _early.AddRange(b.Deltas);
                else Offer(b.Deltas);
                break;
            case TxRangeResult r:
                Heard();
                if (_state is null || _phase == Phase.Bootstrapping) _early.AddRange(r.Deltas);
                else Offer(r.Deltas);
                break;
            case SessionHeartbeat h:
                Heard();
                if (h.HeadT > _headT) _headT = h.HeadT;
                // acknowledged on every heartbeat, even when nothing moved: a lost acknowledgement would otherwise leave
                // the listener holding back the log once the subscriber's buffer looks full, with nothing to unblock it
                if (_state is not null && _phase == Phase.Live) Ack();
                Publish();
                break;
            case TxAccepted a:
                OnAccepted(a);
                break;
            case TxRejected r:
                OnRejected(r);
                break;
            default:
                _drops.Drop(message, Sender, "not a message a server sends a replica");
                break;
        }
    }

    /// <summary>To the session, under the channel key.</summary>
    private void ToSession(ISessionRequest request) => _session?.Tell(new ToSession(_key, request));

    public static Props Props(string clientId, ICanTell server, ReplicaSettings settings, ReplicaShared shared, Db? resumeFrom = null,
        string? token = null) =>
        Akka.Actor.Props.Create(() => new ReplicaActor(clientId, server, settings, shared, resumeFrom, token));

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
        _shared.Carry(new Carried(_state, _local, _syncWaiters));
        // not the default, which would run PostStop and fail every caller as if the replica had stopped
    }

    internal static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + $"… ({s.Length:N0} characters)";

    protected override void PostStop()
    {
        var stopped = new TxRejectedException(DatsyncErrors.Unavailable, $"replica {_clientId} stopped");
        foreach (var l in _local.Values) l.Done.TrySetException(stopped);
        foreach (var ws in _syncWaiters.Values) foreach (var w in ws) w.TrySetException(stopped);
        _shared.Stopped();
    }

    // ------------------------------------------------------------------ connection

    private void SendConnect()
    {
        _attempt = Math.Max(_attempt + 1, DateTime.UtcNow.Ticks); // grows across restarts of this actor too
        _phase = Phase.Connecting;
        _connectSentAt = DateTime.UtcNow;
        _server.Tell(new Connect(_clientId, _state?.BasisT, _attempt, _token, _key), Self);
        Publish();
    }

    private void Heard() => _lastHeard = DateTime.UtcNow;

    private void OnConnected(Connected c)
    {
        if (c.Attempt != _attempt || _phase != Phase.Connecting) return;
        Heard();
        if (!Sender.Equals(_session))
        {
            if (_session is not null && _localServer) Context.Unwatch(_session);
            _session = Sender;
            // a session in another process is not watched (a death watch across processes quarantines a system that
            // pauses past the failure detector, for good): its heartbeats tell it is there (ConnectionTimeout)
            if (_localServer) Context.Watch(_session);
        }
        _silent = false;
        _connectDelay = _settings.RetryInterval;
        if (c.HeadT > _headT) _headT = c.HeadT;
        if (c.BootstrapChunks > 0)
        {
            _phase = Phase.Bootstrapping;
            _bootBasis = c.BasisT;
            _bootDatoms = c.BootstrapDatoms;
            _bootTotalBytes = c.BootstrapBytes;
            _chunks = new byte[]?[c.BootstrapChunks];
            _nextSeq = 0;
            _bootBytes = 0;
            _lastChunkAt = DateTime.UtcNow;
        }
        else
        {
            _phase = Phase.Live;
            _ackedT = -1;
            Ack();
            SendLocal(resend: true);
        }
        Publish();
    }

    private void OnChunk(BootstrapChunk b)
    {
        Heard();
        if (_phase != Phase.Bootstrapping || b.BasisT != _bootBasis || b.Count != _chunks.Length) return;
        _lastChunkAt = DateTime.UtcNow;
        _chunks[b.Seq] ??= b.Payload;
        var before = _nextSeq;
        while (_nextSeq < _chunks.Length && _chunks[_nextSeq] is not null) _bootBytes += _chunks[_nextSeq++]!.Length;
        if (_nextSeq != before) ToSession(new BootstrapAck(_bootBasis, _nextSeq));
        _shared.Progress(new BootstrapProgress(_bootBasis, _nextSeq, _chunks.Length, _bootBytes, _bootDatoms, _bootTotalBytes));
        if (_nextSeq < _chunks.Length) return;

        // decoded off this thread; meanwhile the replica stays bootstrapping, so deltas wait in _early, in order
        byte[][] chunks = _chunks!;
        _chunks = [];
        var (basis, attempt) = (_bootBasis, _attempt);
        Task.Run(() => BootstrapImage.Decode(chunks))
            .PipeTo(Self, success: db => new BootstrapDecoded(basis, attempt, db, null), failure: e => new BootstrapDecoded(basis, attempt, null, e));
    }

    private void OnDecoded(BootstrapDecoded decoded)
    {
        if (_phase != Phase.Bootstrapping || decoded.Attempt != _attempt || decoded.BasisT != _bootBasis) return; // a newer handshake
        if (decoded.Db is not { } db)
        {
            _log.Error(decoded.Failure, "replica {0}: the bootstrap image at t={1} cannot be decoded", _clientId, decoded.BasisT);
            Disconnected("the bootstrap image could not be decoded");
            return;
        }
        _log.Info("replica {0} bootstrapped at t={1} ({2} datoms)", _clientId, db.BasisT, db.Count);
        _state = _state is null ? ReplicaState.Bootstrapped(db) : _state.Rebootstrapped(db);
        _phase = Phase.Live;
        _ackedT = -1;
        var early = _early.ToList();
        _early.Clear();
        Offer(early);
        SendLocal(resend: true);
        CompleteSyncWaiters();
        Publish();
    }

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        switch (_phase)
        {
            case Phase.Connecting:
                if (now - _connectSentAt < _connectDelay) break;
                // unanswered: try again, waiting longer each time (up to the connection timeout)
                _connectDelay = TimeSpan.FromTicks(Math.Min(_connectDelay.Ticks * 2, Math.Max(_settings.RetryInterval.Ticks, _settings.ConnectionTimeout.Ticks)));
                SendConnect();
                break;
            case Phase.Bootstrapping:
                if (now - _lastHeard >= _settings.ConnectionTimeout) { Disconnected($"no word from the session for {_settings.ConnectionTimeout}"); break; }
                if (now - _lastChunkAt >= _settings.RetryInterval)
                {
                    _lastChunkAt = now;
                    ToSession(new BootstrapAck(_bootBasis, _nextSeq)); // the same acknowledgement asks again
                }
                break;
            case Phase.Live:
                if (now - _lastHeard >= _settings.ConnectionTimeout) { Disconnected($"no word from the session for {_settings.ConnectionTimeout}"); break; }
                AskMissing(now);
                ResendUnanswered(now);
                break;
        }
    }

    private void Disconnected(string why)
    {
        _log.Warning("replica {0}: {1}; connecting again from t={2}", _clientId, why, _state?.BasisT);
        _silent = true;
        SendConnect();
    }

    private void OnRefused(ConnectRefused r)
    {
        if (r.Attempt != _attempt || _phase == Phase.Refused) return;
        _log.Error("replica {0}: the server refused it: {1}", _clientId, r.Reason);
        _phase = Phase.Refused;
        Timers.Cancel("tick");
        var refused = new TxRejectedException(DatsyncErrors.Refused, $"the server refused replica {_clientId}: {r.Reason}");
        foreach (var l in _local.Values) l.Done.TrySetException(refused);
        _local.Clear();
        foreach (var ws in _syncWaiters.Values) foreach (var w in ws) w.TrySetException(refused);
        _syncWaiters.Clear();
        Publish(); // the status says Refused before anyone waiting for the refusal hears of it
        _shared.Refused(refused);
    }

    // ------------------------------------------------------------------ deltas

    private void Offer(IReadOnlyList<TxDelta> deltas)
    {
        _lastDeltaAt = DateTime.UtcNow;
        if (deltas.Count == 0) return;
        var step = Observability.DatsyncTelemetry.Apply(_clientId, _state!, deltas); // _state.Offer(deltas), measured and traced
        _state = step.Next;
        if (step.Applied.Count == 0)
        {
            // only deltas it already holds: the log resent them, e.g. after it resubscribed this replica from an
            // acknowledgement older than its t. Acknowledging again tells the log where the replica is; without it the
            // log would resend the same deltas until it dropped the replica again, and again.
            if (deltas[^1].T <= _state.BasisT) Ack();
            if (step.Missing is not null && DateTime.UtcNow - _rangeAskedAt >= _settings.RetryInterval) AskMissing(DateTime.UtcNow, force: true);
            return;
        }
        foreach (var a in step.Applied)
            _shared.Notify(new ReplicaReport(a.Delta.T, a.DbBefore, a.DbAfter, a.Delta.TxData, a.Delta.RequestId, false), _log);
        // a caller that reads the replica's Db once its transaction completes sees it applied: published first
        if (step.Resolved.Count > 0) Publish();
        foreach (var r in step.Resolved) Resolve(r);
        if (_state.BasisT > _headT) _headT = _state.BasisT;
        if (_state.BasisT - _ackedT >= _settings.AckEvery) Ack();
        if (step.Missing is not null) AskMissing(DateTime.UtcNow, force: true);
        if (step.Resolved.Count > 0) SendLocal(resend: false);
        CompleteSyncWaiters();
        Publish();
    }

    private void Ack()
    {
        if (_session is null || _state is null) return;
        _ackedT = _state.BasisT;
        ToSession(new DeltasApplied(_ackedT));
    }

    /// <summary>Asks for the range before held deltas, or — when no delta came for a whole interval while the master is
    /// ahead — for the deltas after the basis (the last ones may have been lost).</summary>
    private void AskMissing(DateTime now, bool force = false)
    {
        if (_state is null || _session is null) return;
        var basis = _state.BasisT;
        var stalled = basis == _basisAtLastTick;
        if (!force) _basisAtLastTick = basis;
        if (now - _rangeAskedAt < _settings.RetryInterval && !force) return;
        // a bounded range at a time: the log's own stream goes on meanwhile, and what a range misses is asked next
        if (_state.Sequencer.Missing is { } m) ToSession(new DeltasWanted(m.FromT, Math.Min(m.ToT, m.FromT + RangeAtOnce - 1)));
        else if (stalled && now - _lastDeltaAt >= _settings.RetryInterval && _headT > basis)
            ToSession(new DeltasWanted(basis + 1, Math.Min(_headT, basis + RangeAtOnce)));
        else return;
        _rangeAskedAt = now;
    }

    private void CompleteSyncWaiters()
    {
        if (_state is null) return;
        // a waiter that reads the replica's Db once its wait completes sees the t it waited for
        if (_syncWaiters.Count > 0 && _syncWaiters.First().Key <= _state.BasisT) Publish();
        while (_syncWaiters.Count > 0)
        {
            var first = _syncWaiters.First();
            if (first.Key > _state.BasisT) break;
            _syncWaiters.Remove(first.Key);
            foreach (var w in first.Value) w.TrySetResult();
        }
    }

    private void OnSyncTo(SyncTo s)
    {
        if (_state is not null && _state.BasisT >= s.T) { s.Done.TrySetResult(); return; }
        if (!_syncWaiters.TryGetValue(s.T, out var list)) _syncWaiters[s.T] = list = new List<TaskCompletionSource>();
        list.Add(s.Done);
    }

    // ------------------------------------------------------------------ local transactions

    internal sealed class LocalTx(TaskCompletionSource<ReplicaTxResult> done)
    {
        public readonly TaskCompletionSource<ReplicaTxResult> Done = done;
        public OutgoingTx? Sent;
        public string? SentEdn; // Sent as EDN text, printed once
        public DateTime SentAt;
        public TxAccepted? Accepted;
        public TxRejectedException? Unsendable;
        public string? TraceParent;
    }

    /// <summary>Fails a transaction whose data could not be printed for the master.</summary>
    private sealed record DropUnsendable(string RequestId);

    /// <summary>What a restarted instance takes over from the one that failed.</summary>
    internal sealed record Carried(ReplicaState? State, Dictionary<string, LocalTx> Local, SortedDictionary<long, List<TaskCompletionSource>> SyncWaiters);

    private void OnLocalTransact(LocalTransact m)
    {
        if (_state is null || _phase != Phase.Live)
        {
            m.Done.TrySetException(new TxRejectedException(DatsyncErrors.Unavailable,
                $"replica {_clientId} is {(_state is null ? "not bootstrapped yet" : "not connected")}; nothing was sent"));
            return;
        }
        var requestId = $"{_clientId}/{_requestPrefix}/{++_requests}";
        TxReport report;
        try
        {
            (_state, report) = _state.Local(requestId, m.TxData);
        }
        catch (TxRejectedException e)
        {
            m.Done.TrySetException(e); // invalid here already: nothing changes, nothing is sent
            return;
        }
        catch (Exception e)
        {
            // a value the engine cannot take: this transaction fails alone
            m.Done.TrySetException(new TxRejectedException(TxErrors.InvalidTxData,
                $"the transaction cannot be run ({e.GetType().Name}: {Shorten(e.Message)}); nothing was sent"));
            return;
        }
        _local[requestId] = new LocalTx(m.Done) { TraceParent = m.TraceParent };
        if (_state.Pending[^1].InView)
            _shared.Notify(new ReplicaReport(report.T, report.DbBefore, report.DbAfter, report.TxData, requestId, true), _log);
        SendLocal(resend: false);
        Publish();
    }

    /// <summary>Sends the pending transactions that can go now; with <paramref name="resend"/>, also those sent
    /// before (after a new handshake).</summary>
    private void SendLocal(bool resend)
    {
        if (_state is null || _session is null || _phase != Phase.Live) return;
        var (next, outgoing, failed) = _state.TakeOutgoing();
        _state = next;
        foreach (var f in failed)
            if (_local.Remove(f.RequestId, out var l)) l.Done.TrySetException(f.Error);
        var now = DateTime.UtcNow;
        foreach (var o in outgoing)
        {
            if (!_local.TryGetValue(o.RequestId, out var l)) continue;
            l.Sent = o;
            Submit(o.RequestId, l, now);
        }
        if (resend)
            foreach (var (id, l) in _local)
                if (l.Sent is { } s && !outgoing.Contains(s)) Submit(id, l, now);
        if (failed.Count > 0) Publish();
    }

    private void Submit(string requestId, LocalTx l, DateTime now)
    {
        l.SentAt = now;
        if (l.SentEdn is null)
        {
            try { l.SentEdn = EdnPrinter.Print(l.Sent!.TxData); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // a value that has no EDN form cannot go to the master: failed once the loop over the callers is done
                l.Unsendable = new TxRejectedException(TxErrors.InvalidTxData,
                    $"the transaction holds a value that cannot be sent ({e.GetType().Name}: {Shorten(e.Message)}); nothing was sent");
                Self.Tell(new DropUnsendable(requestId));
                return;
            }
        }
        var tx = new SubmitTx(_clientId, requestId, l.SentEdn, l.TraceParent);
        if (_session!.Path.Address.HasLocalScope) ToSession(tx);
        else foreach (var frame in WireFrames.Submit(tx, _settings.FrameBudget)) ToSession((ISessionRequest)frame);
    }

    private void ResendUnanswered(DateTime now)
    {
        foreach (var (id, l) in _local)
            if (l.Sent is not null && l.Accepted is null && now - l.SentAt >= _settings.RetryInterval) Submit(id, l, now);
    }

    private void OnAccepted(TxAccepted a)
    {
        Heard();
        if (_state is null || !_local.TryGetValue(a.RequestId, out var l)) return;
        l.Accepted = a;
        var pending = _state.Pending.Find(p => p.RequestId == a.RequestId);
        _state = _state.Accepted(a.RequestId, a.T, a.Tempids);
        if (pending is not null && a.T <= _state.BasisT)
        {
            Publish(); // published before its caller hears
            Resolve(ResolvedTx.Of(pending, a.T, a.Tempids)); // its delta came without its request
        }
        SendLocal(resend: false); // transactions waiting for these entities can go
        Publish();
    }

    /// <summary>The replica applied its own transaction: the caller learns the master's t and ids.</summary>
    private void Resolve(ResolvedTx r)
    {
        if (!_local.TryGetValue(r.RequestId, out var l)) return;
        var tempids = l.Accepted is { Tempids.Count: > 0 } a ? a.Tempids : r.Tempids;
        _local.Remove(r.RequestId);
        l.Done.TrySetResult(new ReplicaTxResult(r.T, tempids, r.LocalTempids, r.LocalToRemote, _state!.View));
    }

    private void OnRejected(TxRejected r)
    {
        Heard();
        if (_state is null || !_local.Remove(r.RequestId, out var l)) return;
        _state = _state.Rejected(r.RequestId);
        Publish(); // the rejected transaction has left the view the caller reads
        l.Done.TrySetException(new TxRejectedException(r.Category, r.Message));
        SendLocal(resend: false); // transactions that named its entities fail now
        Publish();
    }

    // ------------------------------------------------------------------ publishing

    private void Publish()
    {
        var connection = _phase switch
        {
            Phase.Live => ConnectionState.Connected,
            Phase.Refused => ConnectionState.Refused,
            Phase.Bootstrapping => ConnectionState.Bootstrapping,
            _ => _silent ? ConnectionState.Disconnected : ConnectionState.Connecting,
        };
        var basis = _state?.BasisT ?? -1;
        _shared.Publish(_state, new ConnectionStatus(basis, Math.Max(_headT, basis), _state?.Pending.Count ?? 0, connection, _state is not null));
    }

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
/// <param name="TraceParent">The caller's <c>datsync.transact</c> activity, for the master (see <see cref="SubmitTx"/>).</param>
internal sealed record LocalTransact(IReadOnlyList<object?> TxData, TaskCompletionSource<ReplicaTxResult> Done, string? TraceParent = null);

/// <summary>Handle to actor: complete when the replica has applied t.</summary>
internal sealed record SyncTo(long T, TaskCompletionSource Done);
