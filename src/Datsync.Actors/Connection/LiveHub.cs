using System.Diagnostics;
using System.Threading.Channels;
using Datsync.Core;

namespace Datsync.Actors;

/// <summary>What routing one master transaction to the live queries of a connection did.</summary>
internal readonly record struct LiveStep(long T, int Subscriptions, int Examined, int Evaluated, int Emitted, TimeSpan Elapsed);

/// <summary>
/// The live queries of one connection. The actor that changes the value only hands over each master transaction
/// (<see cref="Offer"/>, never waiting: a full queue makes the loop re-run everything on the latest value instead) and
/// says when it published a value (<see cref="Kick"/>). A loop of its own, off the actor's thread, routes each
/// transaction's datoms through the topic index and re-evaluates only the queries it may change, in t order, on the
/// values the master had (a replica's pending writes are not results).
/// </summary>
internal sealed class LiveHub(Func<Db?> current, int capacity) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Channel<DbChange> _changes = Channel.CreateBounded<DbChange>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SemaphoreSlim _kick = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TopicIndex<QuerySubscription> _index = new();
    private readonly Dictionary<QuerySubscription, LiveResult> _last = new(ReferenceEqualityComparer.Instance);
    private readonly List<QuerySubscription> _added = [];
    private readonly List<QuerySubscription> _removed = [];
    private volatile bool _active;
    private volatile bool _overflowed;
    private bool _disposed;
    private Task? _loop;
    private Db? _db;
    private long _at = -1;
    private readonly List<(long T, TaskCompletionSource Done)> _waiting = [];

    /// <summary>Told of each step, on the loop's thread (the benchmark's and the tests' window on the routing).</summary>
    internal Action<LiveStep>? Stepped;

    /// <summary>A master transaction applied to the connection's value (called on the actor's thread).</summary>
    public void Offer(DbChange change)
    {
        if (!_active || change.Pending) return;
        if (!_changes.Writer.TryWrite(change)) _overflowed = true;
    }

    /// <summary>The connection's value was replaced by one that does not follow from it by transactions, perhaps at the
    /// same t (a bootstrap again, e.g. of a scoped client whose view changed): every query runs again on the value
    /// published now (called on the actor's thread, after it published that value).</summary>
    public void Replaced()
    {
        if (!_active) return;
        _overflowed = true;
        Release();
    }

    /// <summary>The connection published a value (called on the actor's thread).</summary>
    public void Kick()
    {
        if (_active) Release();
    }

    private void Release()
    {
        try { _kick.Release(); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Completes once the results are at a value that holds <paramref name="t"/> (every subscription added
    /// before was evaluated there or found unaffected).</summary>
    public Task WhenAt(long t)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _at) >= t) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((t, done));
            return done.Task;
        }
    }

    public QuerySubscription Add(LiveQuery query)
    {
        var sub = new QuerySubscription(this, query);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(IDatsyncConnection));
            _added.Add(sub);
            _active = true;
            _loop ??= Task.Run(Loop);
        }
        Release();
        return sub;
    }

    public void Remove(QuerySubscription sub)
    {
        lock (_gate)
        {
            if (_added.Remove(sub)) return;
            _removed.Add(sub);
        }
        Release();
    }

    private async Task Loop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Step();
                await _kick.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Step()
    {
        QuerySubscription[] added, removed;
        lock (_gate)
        {
            added = [.. _added];
            removed = [.. _removed];
            _added.Clear();
            _removed.Clear();
        }
        foreach (var s in removed)
        {
            _index.Remove(s);
            _last.Remove(s);
        }
        if (_overflowed)
        {
            _overflowed = false;
            while (_changes.Reader.TryRead(out _)) { }
            Refresh(current());
        }
        while (_changes.Reader.TryRead(out var change)) Apply(change);
        // a value that came without its transactions (a bootstrap, or the first value a subscription waited for)
        // (read before looking at the queue: the transactions of a value are offered before it is published)
        var now = current();
        if (now is not null && (_db is null || now.BasisT > _db.BasisT) && !_changes.Reader.TryPeek(out _)) Refresh(now);
        if (_db is null)
        {
            // nothing to evaluate on yet (a replica before its bootstrap): they wait for the first value
            lock (_gate) _added.InsertRange(0, added);
            return;
        }
        foreach (var s in added) Evaluate(s, _db);
        Reached(_db.BasisT);
    }

    private void Apply(DbChange change)
    {
        if (_db is null || change.T != _db.BasisT + 1)
        {
            // not the next transaction of the value the results are at: start again from this one
            if (_db is null || change.T > _db.BasisT) Refresh(change.DbAfter);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var affected = _index.Affected(change.TxData, out var examined);
        int evaluated = 0, emitted = 0;
        foreach (var s in affected)
        {
            if (!_last.TryGetValue(s, out var last)) continue;
            var next = Guarded(() => s.Query.Reevaluate(last, change.DbAfter, change.TxData), change.DbAfter);
            evaluated++;
            if (!ReferenceEquals(next.Topics, last.Topics)) _index.Set(s, next.Topics); // kept from the datoms: the same topics
            _last[s] = next;
            if (next.SameAs(last)) continue;
            s.Set(next);
            emitted++;
        }
        _db = change.DbAfter;
        Stepped?.Invoke(new LiveStep(change.T, _last.Count, examined, evaluated, emitted, Stopwatch.GetElapsedTime(started)));
    }

    /// <summary>Every query again on <paramref name="db"/>: the results are at a value whose transactions the loop did
    /// not see one by one.</summary>
    private void Refresh(Db? db)
    {
        if (db is null) return;
        _db = db;
        foreach (var s in _last.Keys.ToList()) Evaluate(s, db);
    }

    private void Evaluate(QuerySubscription s, Db db)
    {
        var next = Guarded(() => s.Query.Run(db), db);
        var had = _last.TryGetValue(s, out var last);
        _index.Set(s, next.Topics);
        _last[s] = next;
        if (!had || !next.SameAs(last!)) s.Set(next);
    }

    private void Reached(long t)
    {
        lock (_gate)
        {
            if (t <= _at && _waiting.Count == 0) return;
            Volatile.Write(ref _at, Math.Max(_at, t));
            for (var i = _waiting.Count - 1; i >= 0; i--)
                if (_waiting[i].T <= t)
                {
                    _waiting[i].Done.TrySetResult();
                    _waiting.RemoveAt(i);
                }
        }
    }

    /// <summary>An evaluation that failed other than as a query does (a fault of the engine's) becomes that result's
    /// error, and the query is run again on every transaction: the loop goes on for every other subscription.</summary>
    private static LiveResult Guarded(Func<LiveResult> evaluate, Db db)
    {
        try { return evaluate(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new LiveResult(db.BasisT, null, TopicSet.All(), new QueryException($"the query failed: {e.GetType().Name}: {e.Message}", e));
        }
    }

    public async ValueTask DisposeAsync()
    {
        QuerySubscription[] all;
        Task? loop;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _active = false;
            loop = _loop;
            all = [.. _added];
        }
        _stop.Cancel();
        if (loop is not null) await loop.ConfigureAwait(false);
        foreach (var s in all.Concat(_last.Keys)) s.End();
        lock (_gate)
        {
            foreach (var (_, done) in _waiting) done.TrySetException(new ObjectDisposedException(nameof(IDatsyncConnection), "the connection was disposed"));
            _waiting.Clear();
        }
        _kick.Dispose();
        _stop.Dispose();
    }
}
