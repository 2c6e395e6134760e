using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Datsync.Actors.Observability;
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
/// (the last <see cref="MasterSettings.RememberRequests"/>, kept in its snapshots too, so that a restart forgets none of
/// them) or is
/// committing now is answered with that commit's t and tempids (and empty <see cref="TxAccepted.TxData"/>) instead of
/// being run again: a replica that lost its session resends its transactions to a new session, which does not know
/// their outcomes.
/// <para>
/// Mutations (request ids <c>"{key}#{n}"</c>, <see cref="MutationId"/>: what a replica's durable outbox sends, in order,
/// numbered 1, 2, 3, … per key) are run once each and in order per key, however long ago they committed, after restarts
/// and snapshots too: the transactor keeps a <see cref="MutationLedger"/> (per key the highest mutation handled and the
/// t of the key's latest commit), rebuilt on recovery from the request ids of the <see cref="TxRecord"/>s and the
/// <see cref="MutationRejected"/> events, and carried in every <see cref="DbSnapshot"/>. Before a mutation runs:
/// </para>
/// <list type="bullet">
/// <item>the next one of its key (or the first one seen of a key, whatever its number: so a sender sends a key's first
/// mutation alone, the others once it is answered) runs as any transaction;</item>
/// <item>one handled already is answered, in arrival order as every answer, and not run: with its commit's t and
/// tempids when the recent-commit memory holds it, with its rejection when the recent-rejection memory holds it (the
/// last <see cref="RememberRejections"/>, kept in snapshots too and rebuilt from the journal), else with <c>TxAccepted(id, t, {}, [])</c> where t is the t of the key's
/// latest commit (the exact t of an older mutation is not kept), or, when the key's last mutation is the one sent and was
/// rejected (or none of the key's mutations committed), with a <c>:db.error/invalid-tx-data</c> rejection saying it was
/// handled and is not run again;</item>
/// <item>one beyond the next (an earlier one has not arrived: sent on another session, or lost) is held, in the
/// transactor's memory only, and run as soon as the one before it is taken (validated and queued for the write; the
/// journal's order keeps it after it), at most <see cref="MaxEarlyPerKey"/> per key and <see cref="MaxEarly"/> in all:
/// beyond, and when the transactor stops, it is answered <see cref="DatsyncErrors.Busy"/> (send it again later).</item>
/// </list>
/// <para>
/// A mutation rejected for good (its transaction invalid or forbidden) counts as handled, so that the next one may follow:
/// the rejection is journaled as a <see cref="MutationRejected"/> event, written in order with the transactions around it
/// (a restart that forgot it would hold the key's next mutation as early forever, its sender having moved on). Its answer
/// waits for that write, like a commit's; when the write fails it is answered <see cref="DatsyncErrors.Storage"/> (it may
/// be sent again). Storage and busy answers never count as handled.
/// </para>
/// </summary>
internal sealed class TransactorActor : ReceivePersistentActor
{
    /// <summary>A request waiting for its journal write, or for its answer in order.</summary>
    /// <param name="ReplyTo">Who gets the answer.</param>
    /// <param name="Request">The request.</param>
    /// <param name="Report">Its transaction run against the value it will be written on, or null when it was rejected
    /// or is sent again.</param>
    /// <param name="Rejection">Why it was rejected, when it was.</param>
    /// <param name="Duplicate">Sent again: it is answered with the outcome of its first commit.</param>
    /// <param name="Alone">Written in a write of its own: it was in a write the journal refused.</param>
    /// <param name="Received">When the request arrived (<see cref="DatsyncTelemetry.StartTiming"/>; 0 when not measured).</param>
    /// <param name="Trace">Its <c>datsync.commit</c> activity, or null when nobody listens.</param>
    /// <param name="Marker">A rejected mutation's journal event: the rejection is answered once it is written.</param>
    private sealed record Pending(IActorRef ReplyTo, Transact Request, TxReport? Report, TxRejected? Rejection, bool Duplicate = false,
        bool Alone = false, long Received = 0, Activity? Trace = null, MutationRejected? Marker = null)
    {
        /// <summary>It is written to the journal: a transaction, or a rejected mutation's marker.</summary>
        public bool Writes => Report is not null || Marker is not null;
    }

    /// <summary>Early mutations held per key (the rest is answered busy).</summary>
    public const int MaxEarlyPerKey = 64;

    /// <summary>Early mutations held in all.</summary>
    public const int MaxEarly = 4096;

    /// <summary>Rejected mutations whose rejections are remembered, the latest ones (a resend of one is answered with
    /// it).</summary>
    public const int RememberRejections = 1024;

    private readonly MasterSettings _settings;
    private readonly IActorRef? _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Db _durable = Db.Empty;
    private Db _speculative = Db.Empty;
    private List<Pending> _queued = new();
    private List<Pending>? _inFlight;
    private long _lastSnapshotT;
    private readonly Dictionary<string, TxAccepted> _committed = new();
    private readonly Queue<string> _committedOrder = new();
    private readonly HashSet<string> _uncommitted = new(); // request ids of queued or in-flight reports
    private readonly MasterHealth? _health;
    private readonly List<(IActorRef ReplyTo, object Request)> _waitingForRecovery = new();
    private readonly Queue<long> _snapshots = new(); // sequence numbers of the snapshots known to be kept, oldest first
    private readonly CommitTelemetry _telemetry;
    private MutationLedger _ledger = MutationLedger.Empty; // what is durable
    private MutationLedger _speculativeLedger = MutationLedger.Empty; // and what is queued or in flight
    private readonly Dictionary<string, TxRejected> _rejected = new(); // the latest rejected mutations
    private readonly Queue<string> _rejectedOrder = new();
    private readonly Dictionary<string, SortedDictionary<long, Pending>> _early = new(); // by key, then mutation number
    private int _earlyCount;

    /// <summary>
    /// The database's id (<see cref="DatabaseIds"/>). Made when the transactor recovers an empty journal and journaled
    /// with the first transaction (the <see cref="TxRecord"/> of t = 1, its only record that carries it: one field on one
    /// record, and the journal is where the database begins); every <see cref="DbSnapshot"/> carries it too, so recovery
    /// reads it from the snapshot it starts from or from the record of t = 1 (replayed when there is no snapshot).
    /// Until t = 1 is committed it lives in memory only: a restart before then makes a new one, which costs nothing, as
    /// a database without a transaction has nothing a replica could resume. A database written before ids existed (no
    /// id in its snapshot nor in its t = 1 record) gets one at its next start, saved at once in a snapshot.
    /// An in-memory journal is empty at every start, so an in-memory master has a new id per run.
    /// </summary>
    private string? _databaseId;

    public TransactorActor(MasterSettings settings, IActorRef? listener, MasterHealth? health = null)
    {
        _settings = settings;
        _listener = listener;
        _health = health;
        // Datsync's own plugins, not the ActorSystem's default journal (which belongs to the application)
        JournalPluginId = settings.JournalPluginId;
        SnapshotPluginId = settings.SnapshotPluginId;
        _telemetry = new CommitTelemetry(settings.PersistenceId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DbSnapshot s)
            {
                _durable = s.Db;
                _databaseId = DatabaseIds.Checked(s.DatabaseId);
                foreach (var r in s.Requests) Remember(new TxAccepted(r.RequestId, r.T, r.Tempids, []));
                _ledger = MutationLedger.From(s.Mutations ?? []);
                foreach (var m in s.Rejections ?? []) RememberRejection(new TxRejected(m.RequestId, m.Category, m.Message));
            }
            _lastSnapshotT = _durable.BasisT;
            _snapshots.Enqueue(offer.Metadata.SequenceNr);
        });
        Recover<TxRecord>(r =>
        {
            _durable = _durable.ApplyTx(r.T, r.Datoms, r.MaxEntityId);
            if (r.T == 1 && _databaseId is null) _databaseId = DatabaseIds.Checked(r.DatabaseId);
            Remember(new TxAccepted(r.RequestId, r.T, r.Tempids, []));
            _ledger = _ledger.Committed(r.RequestId, r.T);
        });
        Recover<MutationRejected>(m =>
        {
            _ledger = _ledger.Rejected(m.RequestId);
            RememberRejection(new TxRejected(m.RequestId, m.Category, m.Message));
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _waitingForRecovery.Clear();
            _speculativeLedger = _ledger;
            if (_databaseId is null)
            {
                _databaseId = DatabaseIds.New();
                if (_durable.BasisT > 0)
                {
                    // written before databases had ids: the new one is kept in a snapshot (until it is stored, a restart
                    // makes another, and replicas synced meanwhile are bootstrapped again: never resumed wrongly)
                    _log.Info("transactor {0}: the database at t={1} has no id yet; it is given {2}", PersistenceId, _durable.BasisT, _databaseId);
                    _lastSnapshotT = _durable.BasisT;
                    SaveSnapshot(new DbSnapshot(_durable, RememberedRequests(), _databaseId, _ledger.Entries.ToList(), RememberedRejections()));
                }
            }
            _health?.Recovered(_durable, _databaseId);
            _speculative = _durable;
            _listener?.Tell(new LogHead(_durable.BasisT));
            _log.Info("transactor {0} recovered at t={1} ({2} datoms)", PersistenceId, _durable.BasisT, _durable.Count);
        });

        // its supervisor is its only door, and takes nothing from another process (TransactorSupervisor)
        Command<Transact>(Handle);
        Command<FlushQueued>(_ => { if (_inFlight is null) Flush(); });
        Command<GetDb>(_ => Sender.Tell(new CurrentDb(_durable, _databaseId)));
        Command<SaveSnapshotSuccess>(s => KeepLatestSnapshots(s.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "snapshot at t={0} failed; recovery replays more events", f.Metadata.SequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "old snapshots were not deleted"));
    }

    public override string PersistenceId => _settings.PersistenceId;

    public static Props Props(MasterSettings settings, IActorRef? listener = null, MasterHealth? health = null) =>
        Akka.Actor.Props.Create(() => new TransactorActor(settings, listener, health));

    /// <summary>Notes who asks while the journal is replayed (Akka stashes those requests until the recovery ends),
    /// so that a failed recovery answers them instead of leaving them to time out.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (IsRecovering && message is GetDb or Transact && Sender.Path.Address.HasLocalScope)
            _waitingForRecovery.Add((Sender, message));
        return base.AroundReceive(receive, message);
    }

    /// <summary>The journal could not be read (it fails the same way on every try when it holds what this master cannot
    /// decode, or events of two writers): the failure goes to <see cref="MasterHealth"/> and to everyone waiting — a
    /// <see cref="Transact"/> gets <see cref="DatsyncErrors.Storage"/>, a <see cref="GetDb"/> a failure — then the actor
    /// stops and its supervisor tries again later.</summary>
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        var cause = reason;
        while (cause.InnerException is not null && cause is AggregateException or ApplicationException) cause = cause.InnerException;
        var failure = new DatsyncStorageException(
            $"the journal of {PersistenceId} cannot be read: {cause.Message.ReplaceLineEndings(" ")} ({cause.GetType().Name})", reason);
        var unheard = _health?.RecoveryFailed(failure) ?? true;
        foreach (var (replyTo, request) in _waitingForRecovery)
        {
            if (request is Transact) _telemetry.Rejected(DatsyncErrors.Storage);
            replyTo.Tell(request is Transact t ? new TxRejected(t.RequestId, DatsyncErrors.Storage, failure.Message) : new Status.Failure(failure));
        }
        _waitingForRecovery.Clear();
        if (unheard) _log.Error("{0}; the transactor tries again later", failure.Message); // one line; the stack trace at DEBUG
        _log.Debug("recovery failure of {0}: {1}", PersistenceId, reason);
    }

    private void Handle(Transact request) => Enqueue(Sender, request, received: _telemetry.Received(), trace: _telemetry.StartCommit(request));

    private void Enqueue(IActorRef replyTo, Transact request, bool alone = false, long received = 0, Activity? trace = null)
    {
        if (_committed.ContainsKey(request.RequestId) || _uncommitted.Contains(request.RequestId))
        {
            // committed already, or about to be: answered in order with that outcome
            _queued.Add(new Pending(replyTo, request, null, null, Duplicate: true, Received: received, Trace: trace));
            if (_inFlight is null && !_revalidating) Flush();
            return;
        }
        var mutation = MutationId.Parse(request.RequestId);
        if (mutation is { } m)
        {
            switch (_speculativeLedger.Decide(m))
            {
                case MutationDecision.Duplicate:
                    // handled already: answered in order from what is remembered (Reply), never run again
                    _queued.Add(new Pending(replyTo, request, null, null, Duplicate: true, Received: received, Trace: trace));
                    if (_inFlight is null && !_revalidating) Flush();
                    return;
                case MutationDecision.Early early:
                    Hold(m, early.Expected, new Pending(replyTo, request, null, null, Alone: alone, Received: received, Trace: trace));
                    return;
            }
        }
        Pending p;
        try
        {
            var report = _speculative.Transact(request.TxData);
            if (request.Identity is { } identity) CheckWriteRules(identity, report);
            _speculative = report.DbAfter;
            p = new Pending(replyTo, request, report, null, Alone: alone, Received: received, Trace: trace);
            _uncommitted.Add(request.RequestId);
            if (mutation is not null) _speculativeLedger = _speculativeLedger.Committed(request.RequestId, report.T);
        }
        catch (TxRejectedException e)
        {
            p = new Pending(replyTo, request, null, new TxRejected(request.RequestId, e.Category, e.Message), Received: received, Trace: trace);
        }
        catch (Exception e)
        {
            // a value the engine cannot print or handle (a TimeSpan, a Type, a structure nested too deep): this request
            // is rejected alone and the others go on
            p = new Pending(replyTo, request, null, new TxRejected(request.RequestId, TxErrors.InvalidTxData,
                $"the transaction cannot be processed ({e.GetType().Name}: {Shorten(e.Message)}); nothing was committed"), Received: received, Trace: trace);
        }
        if (mutation is not null && p.Rejection is { } rejection)
        {
            // handled for good: journaled, so that the key's next mutation may follow it after a restart too
            p = p with { Marker = new MutationRejected(request.RequestId, rejection.Category, rejection.Message), Alone = alone };
            _uncommitted.Add(request.RequestId);
            _speculativeLedger = _speculativeLedger.Rejected(request.RequestId);
        }
        _queued.Add(p);
        if (mutation is { } taken) ReleaseNext(taken.Key);
        if (_inFlight is null && !_revalidating) Flush();
    }

    /// <summary>Holds a mutation that came before the one it follows (<paramref name="expected"/>), or answers it busy when
    /// as many are held as the transactor takes. The same mutation sent again takes the place of the one held (whose
    /// sender is answered busy).</summary>
    private void Hold(MutationId m, long expected, Pending p)
    {
        if (!_early.TryGetValue(m.Key, out var held)) held = new SortedDictionary<long, Pending>();
        if (held.Remove(m.N, out var older))
        {
            held[m.N] = p;
            Answer(older, new TxRejected(m.ToString(), DatsyncErrors.Busy,
                $"mutation {m.N} of \"{m.Key}\" was sent again while it waited for mutation {expected}; the later send waits in its place"));
            return;
        }
        if (held.Count >= MaxEarlyPerKey || _earlyCount >= MaxEarly)
        {
            Answer(p, new TxRejected(m.ToString(), DatsyncErrors.Busy,
                $"mutation {m.N} of \"{m.Key}\" came before mutation {expected}, which is not committed yet, and the transactor holds as many " +
                $"early mutations as it takes ({MaxEarlyPerKey} per key, {MaxEarly} in all); nothing was committed: send it again later"));
            return;
        }
        held[m.N] = p;
        _early[m.Key] = held;
        _earlyCount++;
    }

    /// <summary>Runs the held mutation of the key that follows its last one taken, if there is one (which runs the one
    /// after it, and so on).</summary>
    private void ReleaseNext(string key)
    {
        if (!_early.TryGetValue(key, out var held) || _speculativeLedger.EntryOf(key) is not { } entry
            || !held.Remove(entry.Last + 1, out var next)) return;
        _earlyCount--;
        if (held.Count == 0) _early.Remove(key);
        Enqueue(next.ReplyTo, next.Request, next.Alone, next.Received, next.Trace);
    }

    private bool _revalidating;

    /// <summary>Throws the <c>:datsync.error/forbidden</c> rejection of a client's transaction its write rules refuse,
    /// before anything is written. Fails closed: a rule that errs, or a client's transaction reaching a transactor
    /// without a policy (a session configured with scopes its transactor lacks), is refused.</summary>
    private void CheckWriteRules(ClientIdentity identity, TxReport report)
    {
        if ((_settings.InForce?.Current ?? _settings.Scopes) is not { } scopes)
            throw new TxRejectedException(DatsyncErrors.Forbidden,
                $"client \"{identity.ClientId}\" is scoped, but the transactor has no scope policy (datsync.server.scopes); nothing was committed");
        identity = scopes.IdentityOf(identity.ClientId); // its roles as they are now
        ScopeViolation? violation;
        try { violation = WriteRules.Check(scopes.Policy, identity, report); }
        catch (ScopeException e) { throw new TxRejectedException(DatsyncErrors.Forbidden, $"{e.Message}; nothing was committed"); }
        if (violation is not null) throw violation.ToException();
    }

    /// <summary>The records of the write in flight, and of the last write the journal refused (by reference): the
    /// journal answers a refused write with one rejection per record, and those of a write already handled must not be
    /// taken for the next one's.</summary>
    private HashSet<object>? _inFlightWrite, _refusedWrite;

    /// <summary>Writes what is queued as one atomic batch (a transaction marked <see cref="Pending.Alone"/> in a batch
    /// of its own), or replies at once when nothing in it needs writing.</summary>
    private void Flush()
    {
        if (_queued.Count == 0) return;
        var take = 0;
        var records = 0;
        var alone = false;
        foreach (var p in _queued)
        {
            if (p.Writes)
            {
                if (records > 0 && (alone || p.Alone)) break;
                records++;
                alone = p.Alone;
            }
            take++;
        }
        List<Pending> batch;
        if (take == _queued.Count)
        {
            batch = _queued;
            _queued = new List<Pending>();
        }
        else
        {
            batch = _queued.GetRange(0, take);
            _queued.RemoveRange(0, take);
        }
        _inFlight = batch; // held until answered, even if what follows throws
        if (records == 0)
        {
            _inFlight = null;
            foreach (var p in batch) Answer(p, Reply(p));
            return;
        }
        var write = new List<object>(records);
        foreach (var p in batch)
            if (p.Report is not null)
                write.Add(TxRecord.From(p.Report, p.Request.RequestId, p.Request.TxMeta, p.Report.T == 1 ? _databaseId : null));
            else if (p.Marker is not null) write.Add(p.Marker);
        var remaining = write.Count;
        _inFlightWrite = new HashSet<object>(write, ReferenceEqualityComparer.Instance);
        _telemetry.Write(write.Count);
        PersistAllAsync(write, _ =>
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
                _ledger = _ledger.Committed(p.Request.RequestId, r.T);
                _health?.Committed(r); // the master's Db holds it before its caller hears
                p.ReplyTo.Tell(p.Request.WithValues
                    ? new TxAccepted(p.Request.RequestId, r.T, r.Tempids, r.TxData) { DbBefore = r.DbBefore, DbAfter = r.DbAfter }
                    : new TxAccepted(p.Request.RequestId, r.T, r.Tempids, r.TxData));
                var traceParent = _telemetry.Committed(p.Trace, p.Received, r.T) ?? DatsyncTelemetry.CheckedTraceParent(p.Request.TraceParent);
                committed.Add(new Committed(r.T, r.TxData, r.DbAfter, p.Request.RequestId, r.Tempids, traceParent));
            }
            else if (p.Marker is not null)
            {
                _uncommitted.Remove(p.Request.RequestId);
                _ledger = _ledger.Rejected(p.Request.RequestId);
                RememberRejection(p.Rejection!);
                Answer(p, p.Rejection!);
            }
            else Answer(p, Reply(p));
        }
        _telemetry.CommittedCount(committed.Count);
        if (committed.Count > 0) _listener?.Tell(new CommittedBatch(committed)); // one push to the subscribers per write
        if (_settings.SnapshotEvery > 0 && _durable.BasisT - _lastSnapshotT >= _settings.SnapshotEvery)
        {
            _lastSnapshotT = _durable.BasisT;
            SaveSnapshot(new DbSnapshot(_durable, RememberedRequests(), _databaseId, _ledger.Entries.ToList(), RememberedRejections()));
        }
        Flush();
    }

    /// <summary>Keeps the latest <see cref="MasterSettings.KeepSnapshots"/> snapshots (catch-ups from the journal start
    /// from the latest one before the t they need) and deletes the older ones.</summary>
    private void KeepLatestSnapshots(long savedAt)
    {
        _snapshots.Enqueue(savedAt);
        if (_settings.KeepSnapshots <= 0) return;
        long? deleteUpTo = null;
        while (_snapshots.Count > _settings.KeepSnapshots) deleteUpTo = _snapshots.Dequeue();
        if (deleteUpTo is { } upTo) DeleteSnapshots(new SnapshotSelectionCriteria(upTo));
    }

    /// <summary>The answer to a request that was not committed now: its rejection, or for a request sent again the
    /// outcome of its commit (a storage rejection when that commit failed).</summary>
    private object Reply(Pending p)
    {
        if (!p.Duplicate) return p.Rejection!;
        return Known(p.Request.RequestId)
            ?? new TxRejected(p.Request.RequestId, DatsyncErrors.Storage, "the first submission of this request was not stored");
    }

    /// <summary>The outcome of a request handled and durable already, or null: its commit when remembered, a rejected
    /// mutation's rejection when remembered, else for a mutation the ledger holds as handled what the ledger knows
    /// (see the class's remarks).</summary>
    private object? Known(string requestId)
    {
        if (_committed.TryGetValue(requestId, out var a)) return a;
        if (_rejected.TryGetValue(requestId, out var r)) return r;
        if (MutationId.Parse(requestId) is not { } m || _ledger.Decide(m) is not MutationDecision.Duplicate d) return null;
        if (d.T > 0 && !(d.LastRejected && d.Last == m.N)) return new TxAccepted(requestId, d.T, new Dictionary<object, long>(), []);
        return new TxRejected(requestId, TxErrors.InvalidTxData,
            $"mutation {m.N} of \"{m.Key}\" was handled already (the key's last mutation handled is {d.Last}) and was not committed: " +
            "it was rejected, or came before the key's first mutation; its rejection is no longer remembered, and it is not run again");
    }

    /// <summary>The rejected mutations remembered, oldest first, for a snapshot.</summary>
    private MutationRejected[] RememberedRejections() =>
        _rejectedOrder.Select(id => _rejected[id]).Select(r => new MutationRejected(r.RequestId, r.Category, r.Message)).ToArray();

    private void RememberRejection(TxRejected rejection)
    {
        if (!_rejected.TryAdd(rejection.RequestId, rejection)) return;
        _rejectedOrder.Enqueue(rejection.RequestId);
        while (_rejectedOrder.Count > RememberRejections) _rejected.Remove(_rejectedOrder.Dequeue());
    }

    /// <summary>The request ids remembered, oldest first, for a snapshot.</summary>
    private RecentRequest[] RememberedRequests()
    {
        var list = new RecentRequest[_committedOrder.Count];
        var i = 0;
        foreach (var id in _committedOrder)
        {
            var a = _committed[id];
            list[i++] = new RecentRequest(id, a.T, a.Tempids);
        }
        return list;
    }

    private void Remember(TxAccepted outcome)
    {
        if (_settings.RememberRequests <= 0 || !_committed.TryAdd(outcome.RequestId, outcome)) return;
        _committedOrder.Enqueue(outcome.RequestId);
        while (_committedOrder.Count > _settings.RememberRequests) _committed.Remove(_committedOrder.Dequeue());
    }

    /// <summary>The journal refused the batch (e.g. serialization): nothing was stored. A batch of one transaction is
    /// rejected; in a larger one any of them may be the cause, so each is written again in a write of its own and only
    /// what the journal refuses alone is rejected. Everything after it is validated again, in order, against the last
    /// durable value.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // one callback per record of the refused write; the first one handles it, and the others (which may come after
        // the next write started) are not about that one
        if (_inFlight is not { } batch || _refusedWrite?.Contains(@event) == true) return;
        _log.Warning(cause, "journal rejected the write of t={0}", sequenceNr);
        _health?.WriteFailed(PersistenceId, cause);
        _refusedWrite = _inFlightWrite;
        _inFlightWrite = null;
        _inFlight = null;
        List<Pending> again;
        if (batch.Count(p => p.Writes) <= 1)
        {
            RejectStored(batch, $"the journal rejected the write: {Shorten(cause.Message)}");
            again = _queued;
        }
        else
        {
            again = new List<Pending>(batch.Count + _queued.Count);
            foreach (var p in batch) again.Add(p.Writes ? p with { Alone = true } : p);
            again.AddRange(_queued);
        }
        _queued = new List<Pending>();
        _speculative = _durable;
        _speculativeLedger = _ledger;
        _uncommitted.Clear(); // what is queued is validated again below
        _revalidating = true;
        foreach (var p in again)
        {
            if (!p.Writes && !p.Duplicate) _queued.Add(p);
            else Enqueue(p.ReplyTo, p.Request, p.Alone, p.Received, p.Trace); // validated again, in order, against the durable value
        }
        _revalidating = false;
        Self.Tell(FlushQueued.Instance); // writes started here would wait for the next command to be sent
    }

    /// <summary>The journal failed; the actor stops after this (its supervisor starts it again and it recovers from
    /// the journal). Everyone waiting is told: the write that failed may or may not have been stored.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "journal write of t={0} failed; the transactor restarts from the journal", sequenceNr);
        _health?.WriteFailed(PersistenceId, cause);
        AnswerHeld($"the journal write failed ({Shorten(cause.Message)})");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Stopped or restarting (a journal failure, or an exception of its own): every request it holds is
    /// answered, so none waits for an answer that never comes.</summary>
    protected override void PostStop()
    {
        AnswerHeld("the transactor stopped");
        base.PostStop();
    }

    /// <summary>Answers every request queued or in flight. A write in flight may have reached the journal: those
    /// requests are told so (sent again with the same request id, they learn their outcome); queued ones were not
    /// written.</summary>
    private void AnswerHeld(string why)
    {
        var inFlight = _inFlight ?? [];
        var queued = _queued;
        _inFlight = null;
        _queued = new List<Pending>();
        var unknown = $"{why}; the transaction may or may not have been committed: send it again with the same request id to learn its outcome";
        foreach (var p in inFlight) Answer(p, Outcome(p, unknown, unknown));
        foreach (var p in queued)
            Answer(p, Outcome(p, $"{why} before this transaction was written; it was not committed (send it again)", unknown));
        _uncommitted.Clear();
        var early = _early.Values.SelectMany(h => h.Values).ToList();
        _early.Clear();
        _earlyCount = 0;
        foreach (var p in early)
            Answer(p, new TxRejected(p.Request.RequestId, DatsyncErrors.Busy,
                $"{why} while this mutation waited for an earlier one of its key; it was not committed (send it again later)"));
        _speculativeLedger = _ledger;

        object Outcome(Pending p, string notStored, string duplicate)
        {
            // a rejected mutation whose marker may not be stored is not handled for sure: it is sent again
            if (p.Rejection is { } r && p.Marker is null) return r;
            if (p.Duplicate) return Known(p.Request.RequestId) ?? new TxRejected(p.Request.RequestId, DatsyncErrors.Storage, duplicate);
            return new TxRejected(p.Request.RequestId, DatsyncErrors.Storage, notStored);
        }
    }

    /// <summary>A cause fit for an answer: one line, at most 200 characters.</summary>
    private static string Shorten(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        return line.Length <= 200 ? line : line[..197] + "...";
    }

    private void RejectStored(List<Pending> batch, string why)
    {
        foreach (var p in batch)
        {
            if (p.Writes) _uncommitted.Remove(p.Request.RequestId);
            Answer(p, p.Duplicate && Known(p.Request.RequestId) is { } known ? known
                : p.Marker is null && p.Rejection is { } r ? r : new TxRejected(p.Request.RequestId, DatsyncErrors.Storage, why));
        }
    }

    /// <summary>Answers a request that was not committed now (a rejection, or the outcome of an earlier commit).</summary>
    private void Answer(Pending p, object outcome)
    {
        p.ReplyTo.Tell(outcome);
        _telemetry.Answered(p.Trace, outcome as TxRejected);
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

/// <summary>One durable transaction, as the listener turns it into a delta.</summary>
/// <param name="T">The transaction's t.</param>
/// <param name="TxData">Its datoms.</param>
/// <param name="DbAfter">The master's value after it.</param>
/// <param name="RequestId">The request it answers.</param>
/// <param name="Tempids">Its tempids' entity ids.</param>
/// <param name="TraceParent">The commit's trace context, for the live delta (in memory only: never journaled).</param>
internal sealed record Committed(long T, IReadOnlyList<Datom> TxData, Db DbAfter, string RequestId,
    IReadOnlyDictionary<object, long> Tempids, string? TraceParent = null);

/// <summary>Transactor to listener: the transactor recovered at basis t.</summary>
internal sealed record LogHead(long T);
