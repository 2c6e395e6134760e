using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Datsync.Actors;

/// <summary>
/// The <see cref="IDatsyncConnection.Reports"/> of one connection: every enumeration gets a bounded buffer of its own,
/// which <see cref="Publish"/> fills without ever waiting (it runs on the thread of the actor that made the change). A
/// full buffer ends that enumeration with <see cref="ReportsOverflowException"/> once its reader has taken what it
/// holds.
/// </summary>
internal sealed class ReportFeed(int capacity) : IAsyncEnumerable<DbChange>
{
    private readonly object _gate = new();
    private volatile Reader[] _readers = [];
    private bool _completed;

    /// <summary>Hands <paramref name="change"/> to every enumeration under way; never blocks.</summary>
    public void Publish(DbChange change)
    {
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

    public IAsyncEnumerator<DbChange> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var reader = new Reader(this, capacity);
        lock (_gate)
        {
            if (_completed) reader.Channel.Writer.TryComplete();
            else _readers = [.. _readers, reader];
        }
        return Read(reader, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<DbChange> Read(Reader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
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

    private sealed class Reader(ReportFeed feed, int capacity)
    {
        public Channel<DbChange> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<DbChange>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        private long _lastT = -1;

        public void Offer(DbChange change)
        {
            if (Channel.Writer.TryWrite(change))
            {
                _lastT = change.T;
                return;
            }
            Channel.Writer.TryComplete(new ReportsOverflowException(_lastT, capacity));
            feed.Remove(this);
        }
    }
}
