using Npgsql;

namespace Datsync.Actors.Storage;

/// <summary>
/// PostgreSQL through Npgsql (linq2db provider <c>PostgreSQL.15</c>, which also serves newer servers).
/// <see cref="StorageOptions.Prepare"/> creates <see cref="Schema"/> if it is not <c>public</c>; the plugins create
/// their tables in it.
/// </summary>
/// <param name="ConnectionString">An Npgsql connection string.</param>
/// <param name="Schema">The schema holding the journal, tag and snapshot tables.</param>
internal sealed record PostgresStorage(string ConnectionString, string Schema = PostgresStorage.DefaultSchema)
    : SqlStorage(SqlTuning.Postgres)
{
    /// <summary><c>datsync.storage.kind</c> for this storage.</summary>
    public const string KindName = "postgres";

    /// <summary>Default of <c>datsync.storage.postgres.schema</c>.</summary>
    public const string DefaultSchema = "public";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>linq2db's PostgreSQL 15 dialect.</summary>
    public override string ProviderName => LinqToDB.ProviderName.PostgreSQL15;

    /// <inheritdoc />
    public override string ConnectionString { get; } =
        string.IsNullOrWhiteSpace(ConnectionString)
            ? throw new ArgumentException("A PostgreSQL connection string is required.", nameof(ConnectionString))
            : ConnectionString;

    /// <inheritdoc />
    public override string? SchemaName => Schema;

    /// <summary>Creates <see cref="Schema"/> if it is not <c>public</c> (which every database has).</summary>
    public override void Prepare()
    {
        if (string.Equals(Schema, DefaultSchema, StringComparison.Ordinal)) return;
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE SCHEMA IF NOT EXISTS \"{Schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        command.ExecuteNonQuery();
    }

    /// <summary>Like the generated one, with the password left out.</summary>
    public override string ToString()
    {
        var safe = new NpgsqlConnectionStringBuilder(ConnectionString);
        if (!string.IsNullOrEmpty(safe.Password)) safe.Password = "***";
        return $"{nameof(PostgresStorage)} {{ ConnectionString = {safe}, Schema = {Schema}, Tuning = {Tuning} }}";
    }
}
