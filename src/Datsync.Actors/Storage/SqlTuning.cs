namespace Datsync.Actors.Storage;

/// <summary>
/// Throughput knobs of the Akka.Persistence.Sql journal and read journal. The transactor writes with
/// <c>PersistAll</c> (group commit), so one <c>AtomicWrite</c> can carry many events: the journal groups up to
/// <see cref="BatchSize"/> writes into one database transaction and sends up to
/// <see cref="DbRoundTripMaxBatchSize"/> rows per round trip.
/// </summary>
/// <remarks>
/// HOCON: <c>datsync.storage.journal { parallelism, batch-size, db-round-trip-max-batch-size, buffer-size,
/// replay-batch-size }</c> and <c>datsync.storage.query { refresh-interval, max-buffer-size }</c>.
/// </remarks>
internal sealed record SqlTuning
{
    /// <summary>Concurrent writers (<c>parallelism</c>). SQLite has one writer at a time even in WAL mode: use 1.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary><c>AtomicWrite</c>s per database transaction (<c>batch-size</c>); a larger write is still one batch.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Rows per round trip inside a transaction (<c>db-round-trip-max-batch-size</c>).</summary>
    public int DbRoundTripMaxBatchSize { get; init; } = 1000;

    /// <summary>Pending writes queued before new ones are rejected (<c>buffer-size</c>).</summary>
    public int BufferSize { get; init; } = 5000;

    /// <summary>Events read per round trip while an actor recovers (<c>replay-batch-size</c>).</summary>
    public int ReplayBatchSize { get; init; } = 1000;

    /// <summary>
    /// How often live queries poll for new events; also the journal-sequence query delay, which must move with it
    /// for latency to improve (<c>refresh-interval</c> and <c>journal-sequence-retrieval.query-delay</c>).
    /// </summary>
    public TimeSpan QueryRefreshInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Events a query stream buffers at a time (<c>max-buffer-size</c>).</summary>
    public int QueryMaxBufferSize { get; init; } = 500;

    /// <summary>Defaults for SQLite: a single writer.</summary>
    public static SqlTuning Sqlite { get; } = new() { Parallelism = 1 };

    /// <summary>Defaults for PostgreSQL.</summary>
    public static SqlTuning Postgres { get; } = new() { Parallelism = 3 };

    internal static SqlTuning Read(StorageOptions.Section s, SqlTuning defaults) => defaults with
    {
        Parallelism = s.Int("journal.parallelism", defaults.Parallelism),
        BatchSize = s.Int("journal.batch-size", defaults.BatchSize),
        DbRoundTripMaxBatchSize = s.Int("journal.db-round-trip-max-batch-size", defaults.DbRoundTripMaxBatchSize),
        BufferSize = s.Int("journal.buffer-size", defaults.BufferSize),
        ReplayBatchSize = s.Int("journal.replay-batch-size", defaults.ReplayBatchSize),
        QueryRefreshInterval = s.Duration("query.refresh-interval", defaults.QueryRefreshInterval),
        QueryMaxBufferSize = s.Int("query.max-buffer-size", defaults.QueryMaxBufferSize),
    };
}
