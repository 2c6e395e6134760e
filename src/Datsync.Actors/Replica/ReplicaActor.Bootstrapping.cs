using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Actors.Replica;

// Bootstrapping: the session sends the master's value in chunks, acknowledged in order; once all are in, the image
// is decoded off the actor's thread. Deltas that come meanwhile are held, and applied after the image (then Live).
internal sealed partial class ReplicaActor
{
    private long _bootBasis;
    private byte[]?[] _chunks = [];
    private int _nextSeq;
    private long _bootBytes;
    private long _bootDatoms, _bootTotalBytes; // the whole image, as the session announced it
    private DateTime _lastChunkAt;
    private readonly List<TxDelta> _early = new();
    private string? _bootDatabaseId; // the database of the image under way: the value's once it is applied

    private void Bootstrapping()
    {
        Receive<Tick>(_ => OnBootstrappingTick());
        Receive<BootstrapDecoded>(d => { if (Sender.Path.Address.HasLocalScope) OnDecoded(d); });
        Common(OnBootstrappingServer, OfflineTransact, SessionGone);
    }

    private void OnBootstrappingServer(object message)
    {
        if (message is BootstrapChunk b) OnChunk(b);
        else OnServer(message, DeltasHeld);
    }

    private void StartBootstrap(Connected c, string? databaseId)
    {
        _bootDatabaseId = databaseId;
        _connection = ConnectionState.Bootstrapping;
        Become(Bootstrapping);
        _bootBasis = c.BasisT;
        _bootDatoms = c.BootstrapDatoms;
        _bootTotalBytes = c.BootstrapBytes;
        _chunks = new byte[]?[c.BootstrapChunks];
        _nextSeq = 0;
        _bootBytes = 0;
        _lastChunkAt = DateTime.UtcNow;
    }

    private void OnBootstrappingTick()
    {
        var now = DateTime.UtcNow;
        if (now - _lastHeard >= _settings.ConnectionTimeout)
        {
            Disconnected($"no word from the session for {_settings.ConnectionTimeout}");
            return;
        }
        if (now - _lastChunkAt < _settings.RetryInterval) return;
        _lastChunkAt = now;
        ToSession(new BootstrapAck(_bootBasis, _nextSeq)); // the same acknowledgement asks again
    }

    private void OnChunk(BootstrapChunk b)
    {
        Heard();
        if (b.BasisT != _bootBasis || b.Count != _chunks.Length) return;
        _lastChunkAt = DateTime.UtcNow;
        _chunks[b.Seq] ??= b.Payload;
        var before = _nextSeq;
        while (_nextSeq < _chunks.Length && _chunks[_nextSeq] is not null) _bootBytes += _chunks[_nextSeq++]!.Length;
        if (_nextSeq != before) ToSession(new BootstrapAck(_bootBasis, _nextSeq));
        _shared.Progress(new BootstrapProgress(_bootBasis, _nextSeq, _chunks.Length, _bootBytes, _bootDatoms, _bootTotalBytes));
        if (_nextSeq < _chunks.Length) return;

        // decoded off this thread; meanwhile the replica stays bootstrapping, so deltas wait in _early, in order
        byte[][] chunks = _chunks!;
        _chunks = [];
        var (basis, attempt) = (_bootBasis, _attempt);
        Task.Run(() => BootstrapImage.Decode(chunks))
            .PipeTo(Self, success: db => new BootstrapDecoded(basis, attempt, db, null), failure: e => new BootstrapDecoded(basis, attempt, null, e));
    }

    private void OnDecoded(BootstrapDecoded decoded)
    {
        if (decoded.Attempt != _attempt || decoded.BasisT != _bootBasis) return; // a newer handshake
        if (decoded.Db is not { } db)
        {
            _log.Error(decoded.Failure, "replica {0}: the bootstrap image at t={1} cannot be decoded", _clientId, decoded.BasisT);
            Disconnected("the bootstrap image could not be decoded");
            return;
        }
        _log.Info("replica {0} bootstrapped at t={1} ({2} datoms)", _clientId, db.BasisT, db.Count);
        var again = _state is not null;
        _state = _state is null ? ReplicaState.Bootstrapped(db) : _state.Rebootstrapped(db);
        _databaseId = _bootDatabaseId;
        _bootstrapWanted = false;
        _shared.Mirror?.Bootstrapped(db, _databaseId);
        StoreBootstrap(db);
        _connection = ConnectionState.Connected;
        Become(Live);
        _ackedT = -1;
        var early = _early.ToList();
        _early.Clear();
        Offer(early);
        SendLocal(resend: true);
        CompleteSyncWaiters();
        Publish();
        // a value that replaced the one before, perhaps at the same t (a scoped client's new view): once it is
        // published, the live queries run again on it rather than follow its t
        if (again) _shared.Live.Replaced();
    }
}
