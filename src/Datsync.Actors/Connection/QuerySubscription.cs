using Datsync.Core;

namespace Datsync.Actors;

/// <summary>
/// One result of a live query (<see cref="IDatsyncConnection.Subscribe"/>): the value's t, the whole result, and what
/// changed since the result this reader was given before (tuples, or a pulled map, added and removed). The first
/// update of a reader has everything in <see cref="Added"/>.
/// </summary>
/// <param name="T">The basis t of the value the result was found on.</param>
/// <param name="Result">As <see cref="Db.Q(string, object?[])"/> or <see cref="Db.Pull"/> gives it, with pulled maps
/// as <see cref="EdnMap"/>s; null when <see cref="Error"/> is set.</param>
/// <param name="Added">Tuples (or values) in this result and not in the previous one.</param>
/// <param name="Removed">Tuples (or values) in the previous result and not in this one.</param>
/// <param name="Error">Why the query failed on this value (e.g. a lookup ref that finds nothing), or null. A later
/// transaction may mend it; the subscription goes on.</param>
public sealed record QueryUpdate(long T, object? Result, IReadOnlyList<object?> Added, IReadOnlyList<object?> Removed, string? Error = null);

/// <summary>
/// A live query on a connection: its current result, and an update only when a master transaction changes it. Each
/// <c>await foreach</c> starts with the current result and then gets the latest one whenever it asks (a slow reader
/// skips the results it was too slow for; nothing is buffered for it and replication never waits for it). Dispose to
/// end it: enumerations end.
/// </summary>
public sealed class QuerySubscription : IAsyncEnumerable<QueryUpdate>, IAsyncDisposable, IDisposable
{
    private readonly object _gate = new();
    private readonly LiveHub _hub;
    private LiveResult? _latest;
    private TaskCompletionSource _changed = NewSignal();
    private bool _ended;

    internal QuerySubscription(LiveHub hub, LiveQuery query)
    {
        _hub = hub;
        Query = query;
    }

    internal LiveQuery Query { get; }

    /// <summary>The latest result, or null before the first (a replica not yet bootstrapped).</summary>
    public QueryUpdate? Current
    {
        get
        {
            var latest = Volatile.Read(ref _latest);
            return latest is null ? null : Update(null, latest);
        }
    }

    /// <summary>Called by the hub's loop with a changed result.</summary>
    internal void Set(LiveResult result)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_ended) return;
            Volatile.Write(ref _latest, result);
            signal = _changed;
            _changed = NewSignal();
        }
        signal.TrySetResult();
    }

    /// <summary>Ends every enumeration (the subscription or its connection was disposed).</summary>
    internal void End()
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_ended) return;
            _ended = true;
            signal = _changed;
        }
        signal.TrySetResult();
    }

    /// <summary>Completes once a result other than <paramref name="seen"/> is there; null when the subscription ended.</summary>
    private async ValueTask<LiveResult?> NextAsync(LiveResult? seen, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested(); // a reader that stopped takes no result that came since
            Task wait;
            lock (_gate)
            {
                if (_ended) return null;
                if (_latest is { } latest && !ReferenceEquals(latest, seen)) return latest;
                wait = _changed.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The current result, then each later one this reader has not seen (the latest when it asks).</summary>
    public async IAsyncEnumerator<QueryUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        LiveResult? seen = null;
        while (await NextAsync(seen, cancellationToken).ConfigureAwait(false) is { } latest)
        {
            var update = Update(seen, latest);
            seen = latest;
            yield return update;
        }
    }

    private QueryUpdate Update(LiveResult? before, LiveResult after)
    {
        var (added, removed) = ResultDiff.Of(Query.Shape, before?.Result, after.Result);
        return new QueryUpdate(after.T, after.Result, added, removed, after.Error?.Message);
    }

    /// <summary>The updates as an <see cref="IObservable{T}"/>: each observer gets them on a thread-pool thread, the
    /// current result first; disposing the observer's subscription stops it.</summary>
    public IObservable<QueryUpdate> AsObservable() => new Observable(this);

    private sealed class Observable(QuerySubscription subscription) : IObservable<QueryUpdate>
    {
        public IDisposable Subscribe(IObserver<QueryUpdate> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            var stop = new CancellationTokenSource();
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var u in subscription.WithCancellation(stop.Token).ConfigureAwait(false)) observer.OnNext(u);
                    observer.OnCompleted();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // the observer unsubscribed
                }
                catch (Exception e)
                {
                    observer.OnError(e);
                }
            });
            return new Unsubscriber(stop);
        }
    }

    private sealed class Unsubscriber(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose() => stop.Cancel();
    }

    /// <summary>Ends the subscription.</summary>
    public void Dispose()
    {
        _hub.Remove(this);
        End();
    }

    /// <summary>Ends the subscription.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
