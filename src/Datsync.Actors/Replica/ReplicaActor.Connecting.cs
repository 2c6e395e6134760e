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
        Common(OnConnectingServer, Unavailable, SessionGone);
    }

    private void OnConnectingServer(object message)
    {
        if (message is Connected c) OnConnected(c);
        else OnServer(message, DeltasHeldOrOffered);
    }

    private void SendConnect()
    {
        _attempt = Math.Max(_attempt + 1, DateTime.UtcNow.Ticks); // grows across restarts of this actor too
        _connectSentAt = DateTime.UtcNow;
        _server.Tell(new Connect(_clientId, _state?.BasisT, _attempt, _token, _key), Self);
        Publish();
    }

    private void OnConnectingTick()
    {
        if (DateTime.UtcNow - _connectSentAt < _connectDelay) return;
        // unanswered: try again, waiting longer each time (up to the connection timeout)
        _connectDelay = CatchUp.NextConnectDelay(_connectDelay, _settings.RetryInterval, _settings.ConnectionTimeout);
        SendConnect();
    }

    /// <summary>The session went quiet, is gone, or sent what cannot be used: connect again from the value held
    /// (reported as Disconnected until a new handshake completes).</summary>
    private void Disconnected(string why)
    {
        _log.Warning("replica {0}: {1}; connecting again from t={2}", _clientId, why, _state?.BasisT);
        _connection = ConnectionState.Disconnected;
        Become(Connecting);
        SendConnect();
    }

    private void OnConnected(Connected c)
    {
        if (c.Attempt != _attempt) return;
        Heard();
        if (!Sender.Equals(_session))
        {
            if (_session is not null && _localServer) Context.Unwatch(_session);
            _session = Sender;
            // a session in another process is not watched (a death watch across processes quarantines a system that
            // pauses past the failure detector, for good): its heartbeats tell it is there (ConnectionTimeout)
            if (_localServer) Context.Watch(_session);
        }
        _connectDelay = _settings.RetryInterval;
        if (c.HeadT > _headT) _headT = c.HeadT;
        _scoped = c.Scoped;
        if (c.BootstrapChunks > 0) StartBootstrap(c);
        else
        {
            _connection = ConnectionState.Connected;
            Become(Live);
            _ackedT = -1;
            Ack();
            SendLocal(resend: true);
        }
        Publish();
    }
}
