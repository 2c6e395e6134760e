using Akka.Event;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// The replica's local store (datsync.replica.store), when it has one: the value it holds, written as it changes —
// a bootstrap replaces what the store holds, each applied delta is appended (a new snapshot every compact-every
// deltas), and a refusal purges it. The store is the handle's (ReplicaShared.Store): a restarted actor writes on.
internal sealed partial class ReplicaActor
{
    private bool _storeFailed; // a write failed: the store holds an older state, which the next start resumes from

    /// <summary>The bootstrap's value, with the id of the master it came from.</summary>
    private void StoreBootstrap(Db db)
    {
        _storeFailed = false; // a bootstrap replaces whatever the store held: it may take writes again
        Stored(s => s.ResetTo(db, _databaseId), $"take the bootstrap at t={db.BasisT}");
    }

    /// <summary>The deltas just applied to the synced value, in order.</summary>
    private void StoreApplied(IReadOnlyList<AppliedDelta> applied)
    {
        if (applied.Count == 0 || _storeFailed || _shared.Store is null) return; // the hot path without a store: nothing made
        Stored(s =>
        {
            s.AppendAll(applied.Select(a => a.Delta).ToList());
            if (s.DeltasSinceSnapshot >= _settings.CompactEvery) s.Compact(_state!.Synced);
        }, $"append t={applied[0].Delta.T}..{applied[^1].Delta.T}");
    }

    /// <summary>Refused (revoked): the store keeps none of the data it was given.</summary>
    private void StorePurge()
    {
        if (_shared.Store is not { } store) return;
        try { store.Purge(); }
        catch (Exception e) when (e is DatsyncStorageException or InvalidOperationException)
        {
            _log.Error(e, "replica {0}: purging its store failed; the data it was given is still on disk: {1}", _clientId, e.Message);
        }
    }

    private void Stored(Action<ReplicaStore> write, string what)
    {
        if (_storeFailed || _shared.Store is not { } store) return;
        try { write(store); }
        catch (Exception e) when (e is DatsyncStorageException or InvalidOperationException)
        {
            // the replica goes on in memory; what the store holds stays a state the master had, older than this one
            _storeFailed = true;
            _log.Error(e, "replica {0}: its store failed to {1} and takes nothing more until the replica starts again: {2}", _clientId, what, e.Message);
        }
    }
}
