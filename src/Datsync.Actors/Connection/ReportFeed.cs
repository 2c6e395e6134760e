using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Datsync.Actors;

/// <summary>
/// The <see cref="IDatsyncConnection.Reports"/> of one connection: every enumeration gets a bounded buffer of its own,
/// which <see cref="Feed{T}.Publish"/> fills without ever waiting (it runs on the thread of the actor that made the change). A
/// full buffer ends that enumeration with <see cref="ReportsOverflowException"/> once its reader has taken what it
/// holds.
/// </summary>
internal sealed class ReportFeed(int capacity) : Feed<DbChange>(capacity, c => c.T);

/// <summary>
/// A stream of <typeparamref name="T"/> with many readers: every enumeration gets a bounded buffer of its own, which
/// <see cref="Publish"/> fills without ever waiting. A full buffer ends that enumeration with
/// <see cref="ReportsOverflowException"/> (naming the t of the last item it took, <paramref name="tOf"/>) once its reader
/// has taken what it holds. With <paramref name="keep"/> &gt; 0 the feed also keeps its last items: every enumeration
/// starts with them (a reader that subscribes after the first items still gets them), then gets the ones that follow.
/// </summary>
internal class Feed<T>(int capacity, Func<T, long> tOf, int keep = 0) : IAsyncEnumerable<T>
{
    private readonly object _gate = new();
    private volatile Reader[] _readers = [];
    private bool _completed;
    private readonly Queue<T>? _kept = keep > 0 ? new Queue<T>() : null;

    /// <summary>Hands <paramref name="change"/> to every enumeration under way; never blocks.</summary>
    public void Publish(T change)
    {
        if (_kept is not null)
        {
            // kept and handed out under the lock, so that a reader that subscribes now gets it once, from one or the other
            lock (_gate)
            {
                _kept.Enqueue(change);
                if (_kept.Count > keep) _kept.Dequeue();
                foreach (var r in _readers) r.Offer(change);
            }
            return;
        }
        foreach (var r in _readers) r.Offer(change);
    }

    /// <summary>Whether anyone enumerates (callers may skip building a change nobody reads).</summary>
    public bool HasReaders => _readers.Length > 0;

    /// <summary>Ends every enumeration, and those started later at once (the connection was disposed).</summary>
    public void Complete()
    {
        Reader[] readers;
        lock (_gate)
        {
            _completed = true;
            readers = _readers;
            _readers = [];
        }
        foreach (var r in readers) r.Channel.Writer.TryComplete();
    }

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var reader = new Reader(this, Math.Max(capacity, keep), tOf);
        lock (_gate)
        {
            if (_kept is not null) foreach (var item in _kept) reader.Offer(item);
            if (_completed) reader.Channel.Writer.TryComplete();
            else _readers = [.. _readers, reader];
        }
        return Read(reader, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<T> Read(Reader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in reader.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return change;
        }
        finally
        {
            Remove(reader);
        }
    }

    private void Remove(Reader reader)
    {
        lock (_gate) _readers = _readers.Where(r => !ReferenceEquals(r, reader)).ToArray();
    }

    private sealed class Reader(Feed<T> feed, int capacity, Func<T, long> tOf)
    {
        public Channel<T> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        private long _lastT = -1;

        public void Offer(T change)
        {
            if (Channel.Writer.TryWrite(change))
            {
                _lastT = tOf(change);
                return;
            }
            Channel.Writer.TryComplete(new ReportsOverflowException(_lastT, capacity));
            feed.Remove(this);
        }
    }
}
