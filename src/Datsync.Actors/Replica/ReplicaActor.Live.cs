using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// Live: deltas are applied in strict t order, what went missing is asked for again, applied deltas are acknowledged,
// and the callers' transactions go to the master (sent again while unanswered) and resolve with its outcomes.
internal sealed partial class ReplicaActor
{
    private const int RangeAtOnce = 256;
    private DateTime _rangeAskedAt;
    private DateTime _lastDeltaAt; // the last time deltas arrived (live, a range, or parts)
    private long _basisAtLastTick = -1;
    private long _requests;

    private void Live()
    {
        Receive<Tick>(_ => OnLiveTick());
        Receive<BootstrapDecoded>(_ => { }); // the image of a handshake that is over
        Common(OnLiveServer, OnLocalTransact, SessionGone);
    }

    private void OnLiveServer(object message)
    {
        if (message is SessionHeartbeat h)
            // acknowledged on every heartbeat, even when nothing moved: a lost acknowledgement would otherwise leave
            // the listener holding back the log once the subscriber's buffer looks full, with nothing to unblock it
            OnHeartbeat(h, acknowledge: true);
        else OnServer(message, DeltasHeldOrOffered);
    }

    /// <summary>Live is the only phase whose transactions go to the master.</summary>
    private bool IsLive => _connection == ConnectionState.Connected;

    private void OnLiveTick()
    {
        FlushDequeued();
        var now = DateTime.UtcNow;
        if (now - _lastHeard >= _settings.ConnectionTimeout)
        {
            Disconnected($"no word from the session for {_settings.ConnectionTimeout}");
            return;
        }
        AskMissing(now);
        ResendUnanswered(now);
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
        var wanted = CatchUp.Wanted(_state.Sequencer.Missing, basis, _headT,
            stalled && now - _lastDeltaAt >= _settings.RetryInterval, RangeAtOnce);
        if (wanted is not { } w) return;
        ToSession(new DeltasWanted(w.FromT, w.ToT));
        _rangeAskedAt = now;
    }

    // ------------------------------------------------------------------ local transactions

    internal sealed class LocalTx(TaskCompletionSource<ReplicaTxResult> done)
    {
        public readonly TaskCompletionSource<ReplicaTxResult> Done = done;
        public OutgoingTx? Sent;
        public string? SentEdn; // Sent as EDN text, printed once
        public IReadOnlyList<object?>? SentForms; // Sent as immutable EDN values, for a session in this process
        public bool FormsChecked; // SentForms was looked for (it stays null when Sent holds other values)
        public DateTime SentAt;
        public TxAccepted? Accepted;
        public bool InFlight; // sent, and neither answered nor resolved yet (it holds a place in the send window)
        public TxRejectedException? Unsendable;
        public string? TraceParent;
    }

    /// <summary>Fails a transaction whose data could not be printed for the master.</summary>
    private sealed record DropUnsendable(string RequestId);

    private void OnLocalTransact(LocalTransact m)
    {
        if (_state is null)
        {
            Unavailable(m);
            return;
        }
        var requestId = NextRequestId();
        var before = _state;
        TxReport report;
        try
        {
            (_state, report) = _state.Local(requestId, m.TxData, unique: true); // NextRequestId never repeats
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
        if (HasOutbox && !Enqueue(requestId, before, m.TxData, m.Done))
        {
            _state = before; // not on disk: not applied either
            return;
        }
        _local[requestId] = new LocalTx(m.Done) { TraceParent = m.TraceParent };
        _unsentLocal++;
        if (_state.Pending[^1].InView)
            _shared.Notify(new ReplicaReport(report.T, report.DbBefore, report.DbAfter, report.TxData, requestId, true), _log);
        SendLocal(resend: false);
        Publish();
    }

    /// <summary>Sends the pending transactions that can go now; with <paramref name="resend"/>, also those sent
    /// before (after a new handshake). Only while live: until then they wait.</summary>
    private void SendLocal(bool resend)
    {
        if (_state is null || _session is null || !IsLive) return;
        if (!resend && _unsentLocal == 0)
        {
            // every pending transaction was taken already (a long outbox draining): no pass over the pending list
            Pump(DateTime.UtcNow);
            return;
        }
        var (next, outgoing, failed) = _state.TakeOutgoing();
        _state = next;
        foreach (var f in failed)
            if (_local.Remove(f.RequestId, out var l))
            {
                l.Done.TrySetException(f.Error);
                Rejected(f.RequestId, f.Error);
            }
        if (resend)
        {
            // a new session: what the one before had unanswered goes again first, in the order of the pending list
            _toSend.Clear();
            _inFlight = 0;
            _mutationAnswered = false;
            foreach (var p in _state.Pending)
                if (_local.TryGetValue(p.RequestId, out var l) && l.Sent is { } s && !outgoing.Contains(s))
                {
                    l.InFlight = false;
                    _toSend.Enqueue(p.RequestId);
                }
        }
        foreach (var o in outgoing)
        {
            if (!_local.TryGetValue(o.RequestId, out var l)) continue;
            if (l.Sent is null && _unsentLocal > 0) _unsentLocal--;
            l.Sent = o;
            _toSend.Enqueue(o.RequestId);
        }
        Pump(DateTime.UtcNow);
        if (failed.Count > 0) Publish();
    }

    /// <summary>Transactions sent and not answered yet, at most <see cref="SendWindow"/> (below what a session takes
    /// at once, datsync.session.max-pending-submits): a long queue — an outbox after a reconnection — goes as the
    /// answers come, in its order, rather than past the session's limit.</summary>
    private const int SendWindow = 512;

    private int _inFlight;
    private readonly Queue<string> _toSend = new();
    // local transactions not yet taken for sending, or more (one that left unsent is not counted off): 0 means none
    private int _unsentLocal;
    private bool _mutationAnswered; // this session answered one of the outbox's mutations: the master knows its key

    private void Pump(DateTime now)
    {
        // the first mutation of a session goes alone: a master that does not know the store's key yet takes the first
        // mutation number it sees as where the key starts, so a later one must not overtake it
        var window = HasOutbox && !_mutationAnswered ? 1 : SendWindow;
        while (_inFlight < window && _toSend.TryDequeue(out var id))
        {
            if (!_local.TryGetValue(id, out var l) || l.Sent is null || l.Accepted is not null || l.InFlight) continue;
            l.InFlight = true;
            _inFlight++;
            Submit(id, l, now);
        }
    }

    /// <summary>An answer (or a resolution) for a transaction sent: its place in the window is free.</summary>
    private void Answered(LocalTx l)
    {
        if (!l.InFlight) return;
        l.InFlight = false;
        _inFlight--;
        _mutationAnswered = true;
    }

    private void Submit(string requestId, LocalTx l, DateTime now)
    {
        l.SentAt = now;
        if (_session!.Path.Address.HasLocalScope && FormsOf(l) is { } forms)
        {
            // a session in this process takes the forms themselves: immutable, so shared without text or copies
            _session.Tell(new SubmitTxData(_key, _clientId, requestId, forms, l.TraceParent));
            return;
        }
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

    /// <summary>The forms of a sent transaction as immutable EDN values, or null when they hold other values (CLR
    /// collections, ints, ...): those go as text, which the session reads back into EDN values.</summary>
    private static IReadOnlyList<object?>? FormsOf(LocalTx l)
    {
        if (!l.FormsChecked)
        {
            l.SentForms = EdnValues.AsImmutableForms(l.Sent!.TxData);
            l.FormsChecked = true;
        }
        return l.SentForms;
    }

    private void ResendUnanswered(DateTime now)
    {
        foreach (var (id, l) in _local)
            if (l.InFlight && l.Accepted is null && now - l.SentAt >= _settings.RetryInterval) Submit(id, l, now);
        Pump(now);
    }

    private void OnDropUnsendable(DropUnsendable d)
    {
        if (!_local.Remove(d.RequestId, out var l) || l.Unsendable is null) return;
        Answered(l);
        if (_state is not null) _state = _state.Rejected(d.RequestId);
        l.Done.TrySetException(l.Unsendable);
        Rejected(d.RequestId, l.Unsendable);
        SendLocal(resend: false); // transactions that named its entities fail now
        Publish();
    }
}
