using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// The durable outbox of a replica with a store: each local transaction is written there, as intent (its forms, with
// local ids named as they will mean the same after a restart), under a mutation request id "{client}/{store key}#{n}"
// before its result is published; it leaves the outbox once the master committed or rejected it. A replica that starts
// again from its store takes its outbox back as pending transactions, in order, and sends them when it is connected;
// the master commits each mutation id once, in order (MutationLedger).
internal sealed partial class ReplicaActor
{
    private bool _outboxTaken; // the stored outbox was taken back (once per replica, not per actor instance)

    /// <summary>True when local transactions go through the store's outbox.</summary>
    private bool HasOutbox => _shared.Store is not null;

    /// <summary>A local transaction while not connected: queued in the outbox (<c>offline-writes = queue</c>, the
    /// default with a store) once the replica holds a value, else refused at once.</summary>
    private void OfflineTransact(LocalTransact m)
    {
        if (HasOutbox && _settings.QueueOffline && _state is not null) OnLocalTransact(m);
        else Unavailable(m);
    }

    /// <summary>The request id of the next local transaction: a mutation id with a store, else this instance's own.</summary>
    private string NextRequestId() =>
        _shared.Store is { } store ? $"{_clientId}/{store.StoreKey}#{store.NextMutationId}" : $"{_clientId}/{_requestPrefix}/{++_requests}";

    /// <summary>Writes the transaction applied as <paramref name="requestId"/> to the outbox, as intent; false (and the
    /// caller told why) when the store cannot take it.</summary>
    private bool Enqueue(string requestId, ReplicaState before, IReadOnlyList<object?> txData, TaskCompletionSource<ReplicaTxResult> done)
    {
        var store = _shared.Store!;
        try
        {
            var (forms, _) = before.Intent(txData);
            var entry = store.Enqueue(requestId, EdnPrinter.Print(forms));
            if (!requestId.EndsWith("#" + entry.MutationId, StringComparison.Ordinal))
                throw new InvalidOperationException($"the outbox gave mutation {entry.MutationId} to request {requestId}");
            return true;
        }
        catch (Exception e) when (e is DatsyncStorageException or InvalidOperationException or ArgumentException or FormatException)
        {
            done.TrySetException(new TxRejectedException(DatsyncErrors.Storage,
                $"the replica's store could not take the transaction ({Shorten(e.Message)}); nothing was applied or sent"));
            return false;
        }
    }

    /// <summary>The transaction left the outbox: committed, or rejected for good. Removed from the store in batches
    /// (<see cref="FlushDequeued"/>): one that stays after a crash is sent again, and the master answers it from its
    /// ledger without running it again.</summary>
    private void Dequeue(string requestId)
    {
        if (_shared.Store is null || MutationOf(requestId) is not { } n) return;
        _dequeued.Add(n);
        if (_dequeued.Count >= DequeueBatch) FlushDequeued();
    }

    private const int DequeueBatch = 256;
    private readonly HashSet<long> _dequeued = new();

    /// <summary>Removes the answered transactions from the outbox (every tick, at a batch's end, and when the replica stops).</summary>
    private void FlushDequeued()
    {
        if (_dequeued.Count == 0 || _shared.Store is not { } store) return;
        try { store.RemoveAll(_dequeued); }
        catch (DatsyncStorageException e)
        {
            _log.Error(e, "replica {0}: removing {1} answered transaction(s) from its outbox failed (they are sent again after a restart): {2}",
                _clientId, _dequeued.Count, e.Message);
        }
        _dequeued.Clear();
    }

    private static long? MutationOf(string requestId) => MutationId.Parse(requestId)?.N;

    /// <summary>True for a refusal that asks the replica to send the mutation again later (an earlier one of its
    /// outbox has not reached the master yet, or the master holds as many as it takes).</summary>
    private static bool SendAgainLater(TxRejected r) => r.Category == DatsyncErrors.Busy && MutationOf(r.RequestId) is not null;

    /// <summary>A transaction that left the view without being committed, for <see cref="DatsyncReplica.Rejections"/>.</summary>
    private void Rejected(string requestId, TxRejectedException e)
    {
        Dequeue(requestId);
        _shared.Rejections.Publish(new TxRejection(requestId, e.Category, e.Message, _shared.NextRejectionSeq()));
    }

    /// <summary>Once, with the stored value: the outbox's transactions back as pending, in mutation order, on the value
    /// the store holds (each one that no longer applies there is rejected).</summary>
    private void TakeBackOutbox(IReadOnlyList<OutboxEntry> entries)
    {
        if (_outboxTaken || _state is null) return;
        _outboxTaken = true;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (state, unreadable) = OutboxTakeBack.Apply(_state, entries);
        _state = state;
        foreach (var (entry, error) in unreadable) Rejected(entry.RequestId, error);
        foreach (var entry in entries)
        {
            if (unreadable.Exists(u => ReferenceEquals(u.Entry, entry))) continue;
            _local[entry.RequestId] = new LocalTx(new TaskCompletionSource<ReplicaTxResult>(TaskCreationOptions.RunContinuationsAsynchronously));
            _unsentLocal++;
        }
        if (entries.Count > 0)
            _log.Info("replica {0}: took back {1} transaction(s) of its outbox in {2:F0} ms", _clientId, entries.Count,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>What a replica starting from its store makes of its outbox (the actor, and <c>datsync replica --offline</c>
/// for the view it prints): each entry, in order, a pending transaction on the stored value — in the view when it
/// applies there, else out of it and still sent (perhaps it was committed before the crash, and its removal from the
/// outbox not yet written: the master decides) — and the entries whose text cannot be read back.</summary>
internal static class OutboxTakeBack
{
    public static (ReplicaState State, List<(OutboxEntry Entry, TxRejectedException Error)> Unreadable) Apply(
        ReplicaState state, IReadOnlyList<OutboxEntry> entries)
    {
        var unreadable = new List<(OutboxEntry, TxRejectedException)>();
        foreach (var entry in entries)
        {
            IReadOnlyList<object?> forms;
            try { forms = Tx.Parse(entry.TxEdn); }
            catch (TxRejectedException e)
            {
                unreadable.Add((entry, new TxRejectedException(e.Category, $"queued transaction {entry.RequestId} cannot be read back: {e.Message}")));
                continue;
            }
            try { (state, _) = state.Local(entry.RequestId, forms, unique: true); } // one row per mutation id
            catch (TxRejectedException) { state = state.Waiting(entry.RequestId, forms); }
        }
        return (state, unreadable);
    }
}
