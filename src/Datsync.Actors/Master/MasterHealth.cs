using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// What a master's transactor last made of its journal, readable from outside the actors: set by the transactor when
/// a recovery fails (the journal cannot be read) and cleared when one succeeds. The transactor's supervisor keeps
/// starting it again with backoff (up to 5 s apart) after a failure, so storage that comes back is picked up; whoever
/// waits for the master (<see cref="MasterHandle.Recovered"/>) hears of the failure at once instead of timing out.
/// </summary>
internal sealed class MasterHealth(int reportBuffer = 1024)
{
    private readonly object _gate = new();
    private TaskCompletionSource<DatsyncStorageException> _failed = NewSignal();

    /// <summary>The last recovery failure, or null once the transactor has recovered.</summary>
    public DatsyncStorageException? RecoveryFailure { get; private set; }

    /// <summary>Completes with the first recovery failure since the last successful recovery.</summary>
    public Task<DatsyncStorageException> Failed { get { lock (_gate) return _failed.Task; } }

    private int _waiting;

    /// <summary>Records a failed recovery and tells whoever waits; true when the transactor should log it: nobody
    /// waited to hear of it, and it is not the failure of the try before again (a journal that cannot be read fails
    /// every try alike: it is logged once, not every few seconds).</summary>
    internal bool RecoveryFailed(DatsyncStorageException failure)
    {
        lock (_gate)
        {
            var repeated = RecoveryFailure?.Message == failure.Message;
            RecoveryFailure = failure;
            _failed.TrySetResult(failure);
            return !repeated && _waiting == 0;
        }
    }

    /// <summary>Marks someone waiting for the recovery (who reports a failure itself) until disposed.</summary>
    internal IDisposable Waiting()
    {
        lock (_gate) _waiting++;
        return new Done(this);
    }

    private sealed class Done(MasterHealth health) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                lock (health._gate) health._waiting--;
        }
    }

    private volatile string? _databaseId;

    /// <summary>The master database's id (<see cref="Protocol.DatabaseIds"/>), or null before the transactor first
    /// recovered.</summary>
    public string? DatabaseId => _databaseId;

    internal void Recovered(Db db, string? databaseId = null)
    {
        if (databaseId is not null) _databaseId = databaseId;
        lock (_gate)
        {
            RecoveryFailure = null;
            if (_failed.Task.IsCompleted) _failed = NewSignal();
        }
        _db = db;
        _recovered.TrySetResult();
        _waiters.Reached(db);
    }

    // ------------------------------------------------------------------ the master's value, for its connection

    private volatile Db _db = Db.Empty;
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SyncWaiters _waiters = new();

    /// <summary>The master's durable value: the last one the transactor recovered or committed.</summary>
    internal Db Db => _db;

    /// <summary>Completes when the transactor first recovered its journal.</summary>
    internal Task FirstRecovery => _recovered.Task;

    /// <summary>Changes of the master's value, for <see cref="IDatsyncConnection.Reports"/>.</summary>
    internal ReportFeed Reports { get; } = new(reportBuffer);

    /// <summary>The live queries of the master's own connection.</summary>
    internal LiveHub Live
    {
        get
        {
            if (_live is { } hub) return hub;
            lock (_liveGate) return _live ??= new LiveHub(() => _db, reportBuffer);
        }
    }
    private volatile LiveHub? _live;
    private readonly object _liveGate = new();

    private volatile DatsyncStorageException? _lastWriteFailure;

    /// <summary>Why the last journal write failed or was refused, or null when it succeeded (or none failed yet);
    /// cleared by the next write that succeeds.</summary>
    public DatsyncStorageException? LastWriteFailure => _lastWriteFailure;

    /// <summary>The journal failed or refused a write (called on the transactor's thread).</summary>
    internal void WriteFailed(string persistenceId, Exception cause) =>
        _lastWriteFailure = new DatsyncStorageException(
            $"the last journal write of {persistenceId} failed: {cause.Message.ReplaceLineEndings(" ")} ({cause.GetType().Name})", cause);

    /// <summary>The transactor made <paramref name="report"/> durable (called on its thread, before it answers).</summary>
    internal void Committed(TxReport report)
    {
        _lastWriteFailure = null;
        var change = new DbChange(report.T, report.DbBefore, report.DbAfter, report.TxData, false);
        // the live queries are offered the transaction before the value is published: their loop never takes the new
        // value for one that came without its transaction
        _live?.Offer(change);
        _db = report.DbAfter;
        if (Reports.HasReaders) Reports.Publish(change);
        _waiters.Reached(report.DbAfter);
        _live?.Kick();
    }

    /// <summary>The master stopped: its readers' enumerations end, whoever waits for a t hears so.</summary>
    internal void Stopped()
    {
        Reports.Complete();
        _ = Live.DisposeAsync(); // a subscription asked for later is refused
        _waiters.Fail(new ObjectDisposedException(nameof(DatsyncMaster), "the master was stopped"));
    }

    /// <summary>The master's value once it holds <paramref name="t"/>.</summary>
    internal Task<Db> SyncAsync(long t, CancellationToken cancellationToken) => _waiters.WaitFor(t, () => _db, cancellationToken);

    private static TaskCompletionSource<DatsyncStorageException> NewSignal() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
