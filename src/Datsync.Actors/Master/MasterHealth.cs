using Datsync.Actors.Storage;

namespace Datsync.Actors.Master;

/// <summary>
/// What a master's transactor last made of its journal, readable from outside the actors: set by the transactor when
/// a recovery fails (the journal cannot be read) and cleared when one succeeds. The transactor's supervisor keeps
/// starting it again with backoff (up to 5 s apart) after a failure, so storage that comes back is picked up; whoever
/// waits for the master (<see cref="MasterHandle.Recovered"/>) hears of the failure at once instead of timing out.
/// </summary>
public sealed class MasterHealth
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

    internal void Recovered()
    {
        lock (_gate)
        {
            RecoveryFailure = null;
            if (_failed.Task.IsCompleted) _failed = NewSignal();
        }
    }

    private static TaskCompletionSource<DatsyncStorageException> NewSignal() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
