using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// Deltas and outcomes, in whichever phase they arrive: applied to the value in t order, acknowledged, and resolving
// the callers' transactions and waits. A caller hears only after the value it will read is published.
internal sealed partial class ReplicaActor
{
    private void Offer(IReadOnlyList<TxDelta> deltas)
    {
        _lastDeltaAt = DateTime.UtcNow;
        if (deltas.Count == 0) return;
        var step = Observability.DatsyncTelemetry.Apply(_clientId, _state!, deltas); // _state.Offer(deltas), measured and traced
        _state = step.Next;
        StoreApplied(step.Applied);
        if (step.Applied.Count == 0)
        {
            // only deltas it already holds: the log resent them, e.g. after it resubscribed this replica from an
            // acknowledgement older than its t. Acknowledging again tells the log where the replica is; without it the
            // log would resend the same deltas until it dropped the replica again, and again.
            if (deltas[^1].T <= _state.BasisT) Ack();
            if (step.Missing is not null && DateTime.UtcNow - _rangeAskedAt >= _settings.RetryInterval) AskMissing(DateTime.UtcNow, force: true);
            return;
        }
        _shared.Mirror?.Applied(step.Applied);
        foreach (var a in step.Applied)
        {
            _shared.Notify(new ReplicaReport(a.Delta.T, a.DbBefore, a.DbAfter, a.Delta.TxData, a.Delta.RequestId, false), _log);
            if (_local.Count > 0) Remember(a); // only this replica's own writes read them back
        }
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

    private const int RememberApplied = 256;
    private readonly Dictionary<long, AppliedDelta> _applied = new();
    private readonly Queue<long> _appliedOrder = new();

    /// <summary>The last deltas applied, by t: a caller's result gives the values before and after its transaction
    /// and its datoms, also when the master's answer comes after its delta.</summary>
    private void Remember(AppliedDelta a)
    {
        if (!_applied.TryAdd(a.Delta.T, a)) return;
        _appliedOrder.Enqueue(a.Delta.T);
        while (_appliedOrder.Count > RememberApplied) _applied.Remove(_appliedOrder.Dequeue());
    }

    private void Ack()
    {
        if (_session is null || _state is null) return;
        _ackedT = _state.BasisT;
        ToSession(new DeltasApplied(_ackedT));
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
        // a scoped stream skips what does not concern this client: asked, the session moves the replica's t on to s.T
        // once the master has it (an unscoped stream brings every t anyway)
        if (_scoped && _state is not null) ToSession(new DeltasWanted(_state.BasisT + 1, s.T));
    }

    private void OnAccepted(TxAccepted a)
    {
        Heard();
        Dequeue(a.RequestId);
        if (_state is null || !_local.TryGetValue(a.RequestId, out var l)) return;
        Answered(l);
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
        Answered(l);
        _local.Remove(r.RequestId);
        Dequeue(r.RequestId); // committed (its delta says so, perhaps before or without the master's answer)
        var applied = _applied.GetValueOrDefault(r.T);
        // the value at T when it is at hand; the view (every pending transaction rebased) only when it is not
        l.Done.TrySetResult(new ReplicaTxResult(r.T, tempids, r.LocalTempids, r.LocalToRemote, applied?.DbAfter ?? _state!.View)
        {
            DbBefore = applied?.DbBefore, DbAtT = applied?.DbAfter, TxData = applied?.Delta.TxData,
        });
    }

    private void OnRejected(TxRejected r)
    {
        Heard();
        if (SendAgainLater(r) && _local.TryGetValue(r.RequestId, out var later))
        {
            later.SentAt = DateTime.UtcNow; // sent again after the retry interval (it keeps its place in the window)
            return;
        }
        if (_state is null || !_local.Remove(r.RequestId, out var l)) return;
        Answered(l);
        Pump(DateTime.UtcNow);
        _state = _state.Rejected(r.RequestId);
        Publish(); // the rejected transaction has left the view the caller reads
        var rejected = new TxRejectedException(r.Category, r.Message);
        l.Done.TrySetException(rejected);
        Rejected(r.RequestId, rejected);
        SendLocal(resend: false); // transactions that named its entities fail now
        Publish();
    }
}
