using Datsync.Core;

namespace Datsync.Actors;

/// <summary>Callers waiting for a value that holds a t, completed as values are published (from any thread).</summary>
internal sealed class SyncWaiters
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, List<TaskCompletionSource<Db>>> _byT = new();
    private volatile int _count; // waiters registered: Reached takes no lock while there are none (every commit calls it)

    /// <summary>The value <paramref name="current"/> gives once its basis t is at least <paramref name="t"/>.</summary>
    public Task<Db> WaitFor(long t, Func<Db> current, CancellationToken cancellationToken)
    {
        if (current() is var now && now.BasisT >= t) return Task.FromResult(now);
        var done = new TaskCompletionSource<Db>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_byT.TryGetValue(t, out var list)) _byT[t] = list = [];
            list.Add(done);
            _count++;
        }
        // published between the first look and the registration
        if (current() is var after && after.BasisT >= t) done.TrySetResult(after);
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
            done.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return done.Task;
    }

    /// <summary>Completes every caller waiting for a t <paramref name="db"/> holds.</summary>
    public void Reached(Db db)
    {
        // the value was published before this call; the fence keeps that store ahead of this read, so a waiter counted
        // after the read finds the value when WaitFor looks again
        Interlocked.MemoryBarrier();
        if (_count == 0) return;
        List<TaskCompletionSource<Db>>? ready = null;
        lock (_gate)
        {
            while (_byT.Count > 0 && _byT.First() is var (t, list) && t <= db.BasisT)
            {
                (ready ??= []).AddRange(list);
                _byT.Remove(t);
                _count -= list.Count;
            }
        }
        if (ready is not null) foreach (var w in ready) w.TrySetResult(db);
    }

    /// <summary>Fails every caller still waiting.</summary>
    public void Fail(Exception why)
    {
        List<TaskCompletionSource<Db>> all;
        lock (_gate)
        {
            all = _byT.Values.SelectMany(l => l).ToList();
            _byT.Clear();
            _count = 0;
        }
        foreach (var w in all) w.TrySetException(why);
    }
}
