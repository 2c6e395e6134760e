using System.Text;

namespace Datsync.Actors.Storage;

/// <summary>
/// Storage on Akka.Persistence.Sql (linq2db): journal <c>akka.persistence.journal.sql</c>, snapshot store
/// <c>akka.persistence.snapshot-store.sql</c> and read journal <c>akka.persistence.query.journal.sql</c>, all on one
/// database, tables created on first start (<c>auto-initialize</c>).
/// </summary>
public abstract record SqlStorage : StorageOptions
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
        var provider = Quote(ProviderName);
        var connection = Quote(ConnectionString);
        var schema = SchemaName is null ? null : $"default.schema-name = {Quote(SchemaName)}";
        var t = Tuning;
        var sb = new StringBuilder();
        sb.AppendLine("akka.persistence {");
        sb.AppendLine("  journal {");
        sb.AppendLine($"    plugin = {Quote(JournalPluginId)}");
        sb.AppendLine("    sql {");
        sb.AppendLine($"      provider-name = {provider}");
        sb.AppendLine($"      connection-string = {connection}");
        sb.AppendLine("      auto-initialize = on");
        sb.AppendLine("      table-mapping = default");
        if (schema is not null) sb.AppendLine($"      {schema}");
        sb.AppendLine("      tag-write-mode = TagTable");
        sb.AppendLine($"      parallelism = {t.Parallelism}");
        sb.AppendLine($"      batch-size = {t.BatchSize}");
        sb.AppendLine($"      db-round-trip-max-batch-size = {t.DbRoundTripMaxBatchSize}");
        sb.AppendLine($"      buffer-size = {t.BufferSize}");
        sb.AppendLine($"      replay-batch-size = {t.ReplayBatchSize}");
        sb.AppendLine("    }");
        sb.AppendLine("  }");
        sb.AppendLine("  snapshot-store {");
        sb.AppendLine($"    plugin = {Quote(SnapshotStorePluginId)}");
        sb.AppendLine("    sql {");
        sb.AppendLine($"      provider-name = {provider}");
        sb.AppendLine($"      connection-string = {connection}");
        sb.AppendLine("      auto-initialize = on");
        sb.AppendLine("      table-mapping = default");
        if (schema is not null) sb.AppendLine($"      {schema}");
        sb.AppendLine("    }");
        sb.AppendLine("  }");
        sb.AppendLine("  query.journal.sql {");
        sb.AppendLine($"    write-plugin = {Quote(JournalPluginId)}");
        sb.AppendLine($"    provider-name = {provider}");
        sb.AppendLine($"    connection-string = {connection}");
        sb.AppendLine("    table-mapping = default");
        if (schema is not null) sb.AppendLine($"    {schema}");
        sb.AppendLine("    tag-read-mode = TagTable");
        sb.AppendLine($"    refresh-interval = {Duration(t.QueryRefreshInterval)}");
        sb.AppendLine($"    journal-sequence-retrieval.query-delay = {Duration(t.QueryRefreshInterval)}");
        sb.AppendLine($"    max-buffer-size = {t.QueryMaxBufferSize}");
        sb.AppendLine("  }");
        sb.AppendLine("}");
        return sb.ToString();
    }
}
