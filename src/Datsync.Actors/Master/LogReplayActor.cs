using Akka.Actor;
using Akka.Persistence;
using Datsync.Actors.Persistence;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// Reads transactions fromT..toT back from the journal by replaying the master's events, starting from the latest
/// snapshot before fromT, and hands their deltas to a callback; then stops. It never writes.
/// </summary>
internal sealed class LogReplayActor : UntypedPersistentActor
{
    private readonly string _persistenceId;
    private readonly long _fromT;
    private readonly long _toT;
    private readonly Action<IReadOnlyList<TxDelta>> _done;
    private readonly List<TxDelta> _deltas = new();
    private Db _db = Db.Empty;

    public LogReplayActor(string persistenceId, long fromT, long toT, Action<IReadOnlyList<TxDelta>> done)
    {
        _persistenceId = persistenceId;
        _fromT = fromT;
        _toT = toT;
        _done = done;
    }

    public static Props Props(string persistenceId, long fromT, long toT, Action<IReadOnlyList<TxDelta>> done) =>
        Akka.Actor.Props.Create(() => new LogReplayActor(persistenceId, fromT, toT, done));

    public override string PersistenceId => _persistenceId;

    // sequence numbers can run ahead of t (a rejected write uses one up), never behind: a snapshot at a sequence
    // number before fromT holds a basis before fromT, and the replay must run to the end to be sure to reach toT
    public override Recovery Recovery =>
        new(_fromT <= 1 ? SnapshotSelectionCriteria.None : new SnapshotSelectionCriteria(_fromT - 1), long.MaxValue);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: DbSnapshot s }:
                _db = s.Db;
                break;
            case TxRecord r when r.T <= _toT:
                _db = _db.ApplyTx(r.T, r.Datoms, r.MaxEntityId);
                if (r.T >= _fromT) _deltas.Add(TxDelta.From(_db, r.T, r.Datoms, r.RequestId, r.Tempids));
                break;
            case RecoveryCompleted:
                _done(_deltas);
                Context.Stop(Self);
                break;
        }
    }

    protected override void OnCommand(object message) { }
}
