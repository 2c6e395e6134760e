using Akka.Actor;
using Akka.Persistence;
using Datsync.Actors.Persistence;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// Reads transactions fromT..toT back from the journal and hands their deltas to a callback, then stops; it never
/// writes. It starts from the latest snapshot before fromT (the value there names the attributes of the deltas) and
/// asks the journal for the events after it in bounded pages (<see cref="ReplayMessages"/> with a maximum count), each
/// no larger than the transactions still missing up to toT, so it never reads past toT. A read that fails, or has not
/// finished within <see cref="MasterSettings.CatchUpTimeout"/>, is reported to <c>failed</c>; the callbacks are called
/// once, one of them.
/// </summary>
internal sealed class LogReplayActor : ReceiveActor, IWithTimers
{
    private readonly string _persistenceId;
    private readonly long _fromT;
    private readonly long _toT;
    private readonly TimeSpan _timeout;
    private readonly Action<IReadOnlyList<TxDelta>> _done;
    private readonly Action<Exception> _failed;
    private readonly List<TxDelta> _deltas = new();
    private readonly IActorRef _journal;
    private readonly IActorRef _snapshots;
    private Db _db = Db.Empty;
    private long _nextSeq = 1; // the next sequence number to read
    private int _readInPage;
    private bool _finished;

    public ITimerScheduler Timers { get; set; } = null!;

    public LogReplayActor(MasterSettings settings, long fromT, long toT, Action<IReadOnlyList<TxDelta>> done,
        Action<Exception> failed)
    {
        _persistenceId = settings.PersistenceId;
        _fromT = fromT;
        _toT = toT;
        _timeout = settings.CatchUpTimeout;
        _done = done;
        _failed = failed;
        var persistence = Akka.Persistence.Persistence.Instance.Apply(Context.System);
        // the transactor's plugins (MasterSettings), not the ActorSystem's default ones
        _journal = persistence.JournalFor(settings.JournalPluginId);
        _snapshots = persistence.SnapshotStoreFor(settings.SnapshotPluginId);

        Receive<LoadSnapshotResult>(r =>
        {
            if (r.Snapshot is { Snapshot: DbSnapshot s } selected)
            {
                _db = s.Db;
                _nextSeq = selected.Metadata.SequenceNr + 1;
            }
            ReadPage();
        });
        Receive<LoadSnapshotFailed>(f => Fail(f.Cause));
        Receive<ReplayedMessage>(m =>
        {
            _readInPage++;
            var p = m.Persistent;
            if (p.SequenceNr >= _nextSeq) _nextSeq = p.SequenceNr + 1;
            if (p.Payload is not TxRecord r || r.T <= _db.BasisT || r.T > _toT) return;
            _db = _db.ApplyTx(r.T, r.Datoms, r.MaxEntityId);
            if (r.T >= _fromT) _deltas.Add(TxDelta.From(_db, r.T, r.Datoms, r.RequestId, r.Tempids));
        });
        Receive<RecoverySuccess>(_ =>
        {
            // done once toT is reached or the journal has no more events
            if (_db.BasisT >= _toT || _readInPage == 0) Finish();
            else ReadPage();
        });
        Receive<ReplayMessagesFailure>(f => Fail(f.Cause));
        Receive<ReadTimedOut>(_ => Fail(new TimeoutException(
            $"reading t={_fromT}..{_toT} from the journal took longer than {_timeout} (datsync.listener.catch-up-timeout)")));
    }

    public static Props Props(MasterSettings settings, long fromT, long toT, Action<IReadOnlyList<TxDelta>> done,
        Action<Exception> failed) =>
        Akka.Actor.Props.Create(() => new LogReplayActor(settings, fromT, toT, done, failed));

    protected override void PreStart()
    {
        Timers.StartSingleTimer("timeout", ReadTimedOut.Instance, _timeout);
        // sequence numbers can run ahead of t (a rejected write uses one up), never behind: a snapshot at a sequence
        // number before fromT holds a basis before fromT
        if (_fromT <= 1) ReadPage();
        else _snapshots.Tell(new LoadSnapshot(_persistenceId, new SnapshotSelectionCriteria(_fromT - 1), long.MaxValue));
    }

    /// <summary>Asks for the events after what was read, at most as many as transactions are still missing (each event
    /// is one transaction, so the page never goes past toT).</summary>
    private void ReadPage()
    {
        _readInPage = 0;
        var missing = _toT - _db.BasisT;
        if (missing <= 0) { Finish(); return; }
        _journal.Tell(new ReplayMessages(_nextSeq, long.MaxValue, missing, _persistenceId, Self));
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        _done(_deltas);
        Context.Stop(Self);
    }

    private void Fail(Exception cause)
    {
        if (_finished) return;
        _finished = true;
        _failed(cause);
        Context.Stop(Self);
    }

    private sealed record ReadTimedOut
    {
        public static readonly ReadTimedOut Instance = new();
    }
}
