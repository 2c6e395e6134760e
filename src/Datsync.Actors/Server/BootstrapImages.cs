using Datsync.Actors.Persistence;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>A database value encoded for bootstrap (schema datoms first) and cut into chunks of at most the chunk size.</summary>
internal sealed record BootstrapImage(long BasisT, IReadOnlyList<byte[]> Chunks, long Datoms, long Bytes)
{
    public static BootstrapImage Of(Db db, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var bytes = PersistenceCodec.EncodeBootstrap(db);
        var chunks = new List<byte[]>(bytes.Length / chunkSize + 1);
        for (var at = 0; at < bytes.Length || chunks.Count == 0; at += chunkSize)
            chunks.Add(bytes.AsSpan(at, Math.Min(chunkSize, bytes.Length - at)).ToArray());
        return new BootstrapImage(db.BasisT, chunks, db.Count, bytes.Length);
    }

    /// <summary>The value back from its chunks, in order.</summary>
    public static Db Decode(IReadOnlyList<byte[]> chunks)
    {
        var whole = new byte[chunks.Sum(c => (long)c.Length)];
        var at = 0;
        foreach (var c in chunks)
        {
            c.CopyTo(whole, at);
            at += c.Length;
        }
        var (datoms, basisT, maxEntityId) = PersistenceCodec.DecodeSnapshotDatoms(whole);
        return Db.FromDatoms(datoms, basisT, maxEntityId);
    }
}

/// <summary>The latest bootstrap image, shared by the sessions of one server so that replicas connecting close together
/// reuse one encoding; sessions that ask for one at the same time share the one encoding under way. Encoding runs on
/// the thread pool, off the sessions' threads. Thread-safe.</summary>
internal sealed class BootstrapImages(SessionSettings settings)
{
    private sealed class Entry(long basisT, Db db, int chunkSize)
    {
        public readonly long BasisT = basisT;
        public readonly Lazy<Task<BootstrapImage>> Image = new(() => Task.Run(() => BootstrapImage.Of(db, chunkSize)));
    }

    private Entry? _latest;

    /// <summary>An image at most <c>bootstrap-reuse-within</c> transactions older than <paramref name="db"/>: the latest
    /// one (done or under way) when it is recent enough, else a new encoding of <paramref name="db"/>.</summary>
    public Task<BootstrapImage> For(Db db)
    {
        while (true)
        {
            var latest = Volatile.Read(ref _latest);
            if (latest is not null && latest.BasisT <= db.BasisT && db.BasisT - latest.BasisT <= settings.BootstrapReuseWithin
                && !(latest.Image.IsValueCreated && latest.Image.Value.IsFaulted))
                return latest.Image.Value;
            var fresh = new Entry(db.BasisT, db, settings.ChunkSize);
            // a value older than the latest image is encoded for its caller alone
            if (latest is not null && latest.BasisT > db.BasisT) return fresh.Image.Value;
            if (Interlocked.CompareExchange(ref _latest, fresh, latest) == latest) return fresh.Image.Value;
        }
    }
}
