using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// Connecting: a handshake is out, waiting for Connected (then Bootstrapping or Live) or ConnectRefused (then Refused);
// an unanswered handshake goes out again, waiting longer each time.
internal sealed partial class ReplicaActor
{
    private long _attempt;
    private DateTime _connectSentAt;
    private TimeSpan _connectDelay; // grows while handshakes go unanswered

    private void Connecting()
    {
        Receive<Tick>(_ => OnConnectingTick());
        Receive<BootstrapDecoded>(_ => { }); // the image of a handshake that is over
        Common(OnConnectingServer, OfflineTransact, SessionGone);
    }

    private void OnConnectingServer(object message)
    {
        if (message is Connected c) OnConnected(c);
        // a value that is not the master's database takes none of its deltas: they wait for the bootstrap
        else OnServer(message, _bootstrapWanted ? DeltasHeld : DeltasHeldOrOffered);
    }

    private void SendConnect()
    {
        _attempt = Math.Max(_attempt + 1, DateTime.UtcNow.Ticks); // grows across restarts of this actor too
        _connectSentAt = DateTime.UtcNow;
        var held = _bootstrapWanted ? null : _state?.BasisT;
        _servers[_serverIndex].Tell(new Connect(_clientId, held, _attempt, _token, _key, held is null ? null : _databaseId), Self);
        Publish();
    }

    private void OnConnectingTick()
    {
        if (DateTime.UtcNow - _connectSentAt < _connectDelay) return;
        // unanswered: try again, waiting longer each time (up to the connection timeout), at the next server if there are several
        _connectDelay = CatchUp.NextConnectDelay(_connectDelay, _settings.RetryInterval, _settings.ConnectionTimeout);
        NextServer();
        SendConnect();
    }

    /// <summary>The session went quiet, is gone, or sent what cannot be used: connect again from the value held
    /// (reported as Disconnected until a new handshake completes).</summary>
    private void Disconnected(string why)
    {
        _log.Warning("replica {0}: {1}; connecting again from t={2}", _clientId, why, _state?.BasisT);
        _connection = ConnectionState.Disconnected;
        Become(Connecting);
        NextServer();
        SendConnect();
    }

    /// <summary>A session in this system is watched, and so is one of a cluster's transactor (a cluster node's copy of the
    /// master, <c>_sessionsUnder</c>): Akka.Cluster's death watch follows membership, so the copy hears at once that the
    /// transactor's node was removed, and connects to the next one. A session of a server in another process is not
    /// (see <see cref="OnConnected"/>).</summary>
    private bool WatchesSession => _localServer || _sessionsUnder is not null;

    /// <summary>With several servers (a cluster's gateways), the next handshake goes to the next one.</summary>
    private void NextServer()
    {
        if (_servers.Length > 1) _serverIndex = (_serverIndex + 1) % _servers.Length;
    }

    private void OnConnected(Connected c)
    {
        if (c.Attempt != _attempt) return;
        Heard();
        if (!Sender.Equals(_session))
        {
            if (_session is not null && WatchesSession) Context.Unwatch(_session);
            _session = Sender;
            // a session in another process is not watched (a death watch across processes quarantines a system that
            // pauses past the failure detector, for good): its heartbeats tell it is there (ConnectionTimeout)
            if (WatchesSession) Context.Watch(_session);
        }
        _connectDelay = _settings.RetryInterval;
        if (c.HeadT > _headT) _headT = c.HeadT;
        _scoped = c.Scoped;
        var master = DatabaseIds.Checked(c.DatabaseId);
        if (c.BootstrapChunks > 0) StartBootstrap(c, master);
        else if (_state is not null && _databaseId is { } mine && master != mine)
        {
            // resumed against another master database than the value's (a server that did not check): the answer is
            // dropped and the next handshake asks for a bootstrap
            _log.Warning("replica {0}: its value at t={1} is of database {2}, the master's is {3}; it is bootstrapped",
                _clientId, _state.BasisT, mine, master ?? "unnamed");
            _bootstrapWanted = true;
            SendConnect();
            return;
        }
        else
        {
            if (_state is not null) _databaseId = master;
            _connection = ConnectionState.Connected;
            Become(Live);
            _ackedT = -1;
            Ack();
            SendLocal(resend: true);
        }
        Publish();
    }
}
