using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// Refused: the server refused the client. The replica does not try again and its callers fail. It drops the value it
// held (a client whose token was revoked, or that was taken off the server's list, keeps none of the master's data):
// its Db is Db.Empty from then on, its status says Refused and not bootstrapped. Deltas that still arrive from the
// ended session are only held (there is no value to apply them to) and bootstrap chunks are ignored.
internal sealed partial class ReplicaActor
{
    private void Refused()
    {
        Receive<Tick>(_ => { }); // one queued before the timer stopped
        Receive<BootstrapDecoded>(_ => { });
        Common(OnRefusedServer, Unavailable, _ => { }); // nothing to connect again to
    }

    private void OnRefusedServer(object message)
    {
        if (message is ConnectRefused or BootstrapAgain) return; // refused already: nothing to connect again to
        OnServer(message, DeltasHeldOrOffered);
    }

    private void OnRefused(ConnectRefused r)
    {
        if (r.Attempt != _attempt) return;
        _log.Error("replica {0}: the server refused it: {1}", _clientId, r.Reason);
        _connection = ConnectionState.Refused;
        if (_state is not null)
        {
            _log.Warning("replica {0}: dropped the value it held at t={1} (refused by the server)", _clientId, _state.BasisT);
            _state = null; // revoked: the data it was given goes with its access
            StorePurge();
        }
        Become(Refused);
        Timers.Cancel("tick");
        var refused = new TxRejectedException(DatsyncErrors.Refused, $"the server refused replica {_clientId}: {r.Reason}");
        foreach (var l in _local.Values) l.Done.TrySetException(refused);
        _local.Clear();
        foreach (var ws in _syncWaiters.Values) foreach (var w in ws) w.TrySetException(refused);
        _syncWaiters.Clear();
        Publish(); // the status says Refused before anyone waiting for the refusal hears of it
        _shared.Refused(refused);
    }
}
