using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Datsync.Actors.Persistence;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// The master's only writer: validates each <see cref="Transact"/> against the latest speculative database value and
/// journals one <see cref="TxRecord"/> per committed transaction. Transactions arriving while a write is in flight
/// are validated in order and written together in the next atomic batch (group commit); replies keep arrival order.
/// A rejected or failed write leaves no trace: the value goes back to the last durable one.
/// A request id is committed at most once: a <see cref="Transact"/> whose request id the transactor committed recently
/// (the last <see cref="MasterSettings.RememberRequests"/>; on recovery, those of the journal events after the snapshot) or is
/// committing now is answered with that commit's t and tempids (and empty <see cref="TxAccepted.TxData"/>) instead of
/// being run again: a replica that lost its session resends its transactions to a new session, which does not know
/// their outcomes.
/// </summary>
public sealed class TransactorActor : ReceivePersistentActor
{
    private sealed record Pending(IActorRef ReplyTo, Transact Request, TxReport? Report, TxRejected? Rejection, bool Duplicate = false);

    private readonly MasterSettings _settings;
    private readonly IActorRef? _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Remote.DroppedMessages _drops;
    private Db _durable = Db.Empty;
    private Db _speculative = Db.Empty;
    private List<Pending> _queued = new();
    private List<Pending>? _inFlight;
    private long _lastSnapshotT;
    private readonly Dictionary<string, TxAccepted> _committed = new();
    private readonly Queue<string> _committedOrder = new();
    private readonly HashSet<string> _uncommitted = new(); // request ids of queued or in-flight reports

    public TransactorActor(MasterSettings settings, IActorRef? listener)
    {
        _settings = settings;
        _listener = listener;
        _drops = new Remote.DroppedMessages(_log);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DbSnapshot s) _durable = s.Db;
            _lastSnapshotT = _durable.BasisT;
        });
        Recover<TxRecord>(r =>
        {
            _durable = _durable.ApplyTx(r.T, r.Datoms, r.MaxEntityId);
            Remember(new TxAccepted(r.RequestId, r.T, r.Tempids, []));
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _speculative = _durable;
            _listener?.Tell(new LogHead(_durable.BasisT));
            _log.Info("transactor {0} recovered at t={1} ({2} datoms)", PersistenceId, _durable.BasisT, _durable.Count);
        });

        // only actors of this process (sessions, the server, an embedding application) write or read the master
        Command<Transact>(t => { if (!_drops.FromAnotherProcess(t, Sender)) Handle(t); });
        Command<FlushQueued>(_ => { if (_inFlight is null) Flush(); });
        Command<GetDb>(g => { if (!_drops.FromAnotherProcess(g, Sender)) Sender.Tell(new CurrentDb(_durable)); });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "snapshot at t={0} failed; recovery replays more events", f.Metadata.SequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "old snapshots were not deleted"));
    }

    public override string PersistenceId => _settings.PersistenceId;

    public static Props Props(MasterSettings settings, IActorRef? listener = null) =>
        Akka.Actor.Props.Create(() => new TransactorActor(settings, listener));

    private void Handle(Transact request) => Enqueue(Sender, request);

    private void Enqueue(IActorRef replyTo, Transact request)
    {
        if (_committed.ContainsKey(request.RequestId) || _uncommitted.Contains(request.RequestId))
        {
            // committed already, or about to be: answered in order with that outcome
            _queued.Add(new Pending(replyTo, request, null, null, Duplicate: true));
            if (_inFlight is null && !_revalidating) Flush();
            return;
        }
        Pending p;
        try
        {
            var report = _speculative.Transact(request.TxData);
            _speculative = report.DbAfter;
            p = new Pending(replyTo, request, report, null);
            _uncommitted.Add(request.RequestId);
        }
        catch (TxException e)
        {
            p = new Pending(replyTo, request, null, new TxRejected(request.RequestId, e.Category, e.Message));
        }
        _queued.Add(p);
        if (_inFlight is null && !_revalidating) Flush();
    }

    private bool _revalidating;

    /// <summary>Writes everything queued as one atomic batch, or replies at once when nothing in it needs writing.</summary>
    private void Flush()
    {
        if (_queued.Count == 0) return;
        var batch = _queued;
        _queued = new List<Pending>();
        var records = new List<TxRecord>(batch.Count);
        foreach (var p in batch)
            if (p.Report is not null) records.Add(TxRecord.From(p.Report, p.Request.RequestId, p.Request.TxMeta));
        if (records.Count == 0)
        {
            foreach (var p in batch) p.ReplyTo.Tell(Reply(p));
            return;
        }
        _inFlight = batch;
        var remaining = records.Count;
        PersistAllAsync(records, _ =>
        {
            if (--remaining == 0) Committed(batch);
        });
    }

    private void Committed(List<Pending> batch)
    {
        _inFlight = null;
        var committed = new List<Committed>(batch.Count);
        foreach (var p in batch)
        {
            if (p.Report is { } r)
            {
                _durable = r.DbAfter;
                _uncommitted.Remove(p.Request.RequestId);
                Remember(new TxAccepted(p.Request.RequestId, r.T, r.Tempids, []));
                p.ReplyTo.Tell(new TxAccepted(p.Request.RequestId, r.T, r.Tempids, r.TxData));
                committed.Add(new Committed(r.T, r.TxData, r.DbAfter, p.Request.RequestId, r.Tempids));
            }
            else p.ReplyTo.Tell(Reply(p));
        }
        if (committed.Count > 0) _listener?.Tell(new CommittedBatch(committed)); // one push to the subscribers per write
        if (_settings.SnapshotEvery > 0 && _durable.BasisT - _lastSnapshotT >= _settings.SnapshotEvery)
        {
            _lastSnapshotT = _durable.BasisT;
            SaveSnapshot(new DbSnapshot(_durable));
        }
        Flush();
    }

    /// <summary>The answer to a request that was not committed now: its rejection, or for a request sent again the
    /// outcome of its commit (a storage rejection when that commit failed).</summary>
    private object Reply(Pending p)
    {
        if (!p.Duplicate) return p.Rejection!;
        return _committed.TryGetValue(p.Request.RequestId, out var a) ? a
            : new TxRejected(p.Request.RequestId, MasterErrors.Storage, "the first submission of this request was not stored");
    }

    private void Remember(TxAccepted outcome)
    {
        if (_settings.RememberRequests <= 0 || !_committed.TryAdd(outcome.RequestId, outcome)) return;
        _committedOrder.Enqueue(outcome.RequestId);
        while (_committedOrder.Count > _settings.RememberRequests) _committed.Remove(_committedOrder.Dequeue());
    }

    /// <summary>The journal refused the batch (e.g. serialization): nothing was stored. Every request in it is
    /// rejected, and what arrived since is validated again against the last durable value.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Warning(cause, "journal rejected the write of t={0}", sequenceNr);
        if (_inFlight is not { } batch) return; // one callback per event of the batch; the first one handles it
        _inFlight = null;
        RejectStored(batch, $"the journal rejected the write: {cause.Message}");
        var again = _queued;
        _queued = new List<Pending>();
        _speculative = _durable;
        _uncommitted.Clear(); // what is queued is validated again below
        _revalidating = true;
        foreach (var p in again)
        {
            if (p.Report is null && !p.Duplicate) _queued.Add(p);
            else Enqueue(p.ReplyTo, p.Request); // validated again, in order, against the durable value
        }
        _revalidating = false;
        Self.Tell(FlushQueued.Instance); // writes started here would wait for the next command to be sent
    }

    /// <summary>The journal failed; the actor stops after this (its supervisor restarts it and it recovers from the
    /// journal). Everyone waiting is told.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "journal write of t={0} failed; the transactor restarts from the journal", sequenceNr);
        if (_inFlight is { } batch) RejectStored(batch, $"the journal write failed: {cause.Message}");
        _inFlight = null;
        RejectStored(_queued, "the transactor is restarting after a journal failure");
        _queued = new List<Pending>();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void RejectStored(List<Pending> batch, string why)
    {
        foreach (var p in batch)
        {
            if (p.Report is not null) _uncommitted.Remove(p.Request.RequestId);
            p.ReplyTo.Tell(p.Duplicate && _committed.TryGetValue(p.Request.RequestId, out var a) ? a
                : p.Rejection ?? new TxRejected(p.Request.RequestId, MasterErrors.Storage, why));
        }
    }
}

/// <summary>Transactor to itself: write what is queued.</summary>
internal sealed record FlushQueued
{
    public static readonly FlushQueued Instance = new();
}

/// <summary>Transactor to listener: transaction t is durable. The listener turns it into a delta, off the
/// transactor's thread.</summary>
/// <summary>Transactor to listener: the transactions of one journal write are durable.</summary>
internal sealed record CommittedBatch(IReadOnlyList<Committed> Transactions);

internal sealed record Committed(long T, IReadOnlyList<Datom> TxData, Db DbAfter, string RequestId,
    IReadOnlyDictionary<object, long> Tempids);

/// <summary>Transactor to listener: the transactor recovered at basis t.</summary>
internal sealed record LogHead(long T);
