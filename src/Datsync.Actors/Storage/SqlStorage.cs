using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Query;
using Akka.Persistence.Sql.Snapshot;

namespace Datsync.Actors.Storage;

/// <summary>
/// Storage on Akka.Persistence.Sql (linq2db): Datsync's journal <c>datsync.persistence.journal</c>, snapshot store
/// <c>datsync.persistence.snapshot-store</c> and read journal <c>datsync.persistence.query</c>, all on one database,
/// tables created on first start (<c>auto-initialize</c>).
/// </summary>
/// <remarks>
/// The tables are Akka.Persistence.Sql's default layout (<c>table-mapping = default</c>: <c>journal</c>, <c>tags</c>,
/// <c>snapshot</c>), the same the plugins wrote when Datsync ran them at Akka's default plugin paths, so databases
/// written then are read as they are.
/// </remarks>
internal abstract record SqlStorage : StorageOptions
{
    /// <param name="defaultTuning">The tuning this kind starts from.</param>
    protected SqlStorage(SqlTuning defaultTuning) => Tuning = defaultTuning;

    /// <summary>The linq2db provider name (<c>provider-name</c>), e.g. <c>SQLite.MS</c> or <c>PostgreSQL.15</c>.</summary>
    public abstract string ProviderName { get; }

    /// <summary>The ADO.NET connection string the three plugins share.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>The schema the tables live in, or null for the database's default.</summary>
    public virtual string? SchemaName => null;

    /// <summary>Batching and polling settings.</summary>
    public SqlTuning Tuning { get; init; }

    /// <inheritdoc />
    public override string ToHocon()
    {
        var t = Tuning;
        // what the journal, the snapshot store and the read journal share: where the rows are
        var store = $"""
                provider-name = {Quote(ProviderName)}
                connection-string = {Quote(ConnectionString)}
                table-mapping = default
                {(SchemaName is null ? "" : $"default.schema-name = {Quote(SchemaName)}")}
            """;
        return $$"""
            {{PluginsPath}} {
              journal {
                class = {{Quote(PluginClass(typeof(SqlWriteJournal)))}}
                plugin-id = {{Quote(JournalPluginId)}}
                plugin-dispatcher = "akka.persistence.dispatchers.default-plugin-dispatcher"
            {{store}}
                auto-initialize = on
                tag-write-mode = TagTable
                parallelism = {{t.Parallelism}}
                batch-size = {{t.BatchSize}}
                db-round-trip-max-batch-size = {{t.DbRoundTripMaxBatchSize}}
                buffer-size = {{t.BufferSize}}
                replay-batch-size = {{t.ReplayBatchSize}}
                # events of two writers interleaved (two masters once wrote this journal) fail the recovery with the
                # cause instead of being dropped silently (Akka's default), which would lose acknowledged transactions
                replay-filter.mode = fail
              }
              snapshot-store {
                class = {{Quote(PluginClass(typeof(SqlSnapshotStore)))}}
                plugin-id = {{Quote(SnapshotStorePluginId)}}
                plugin-dispatcher = "akka.persistence.dispatchers.default-plugin-dispatcher"
            {{store}}
                auto-initialize = on
              }
              query {
                class = {{Quote(PluginClass(typeof(SqlReadJournalProvider)))}}
                plugin-id = {{Quote(ReadJournalPluginId)}}
                write-plugin = {{Quote(JournalPluginId)}}
            {{store}}
                tag-read-mode = TagTable
                refresh-interval = {{Duration(t.QueryRefreshInterval)}}
                journal-sequence-retrieval.query-delay = {{Duration(t.QueryRefreshInterval)}}
                max-buffer-size = {{t.QueryMaxBufferSize}}
              }
            }

            """;
    }
}
