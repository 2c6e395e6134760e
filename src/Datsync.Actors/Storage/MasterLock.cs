using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Datsync.Actors.Storage;

/// <summary>
/// One master per journal. Before a transactor starts, its master takes an exclusive lock on the storage its actor
/// system's configuration gives the master's journal plugin (<see cref="StorageOptions.JournalPluginId"/>), and holds it
/// until the actor system terminates; a second master on the same
/// storage and persistence id is refused with <see cref="StorageLockedException"/>.
/// SQLite: the OS lock of a lock file next to the database (<c>FILE.PERSISTENCE-ID.lock</c>, opened with
/// <see cref="FileShare.None"/>; the OS releases it when the process dies, whatever the file's leftovers).
/// PostgreSQL: a session-level advisory lock (<c>pg_try_advisory_lock</c>) keyed by schema and persistence id, held on
/// a connection of its own. Other journals (in memory, test journals) take no lock.
/// </summary>
internal static class MasterLock
{
    /// <summary>Takes the lock for <paramref name="persistenceId"/> on the storage of the journal plugin
    /// <paramref name="journalPluginId"/> (the master's, <see cref="Master.MasterSettings.JournalPluginId"/>) in
    /// <paramref name="config"/>; null when that journal takes none. Dispose to release it.</summary>
    /// <exception cref="StorageLockedException">Another master holds it.</exception>
    public static IDisposable? Acquire(Config config, string journalPluginId, string persistenceId)
    {
        ArgumentNullException.ThrowIfNull(config);
        var pluginId = journalPluginId;
        if (string.IsNullOrEmpty(pluginId) || !config.HasPath(pluginId)) return null;
        var plugin = config.GetConfig(pluginId);
        var provider = plugin.GetString("provider-name", "") ?? "";
        var connectionString = plugin.GetString("connection-string", "") ?? "";
        if (connectionString.Length == 0) return null;
        if (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)) return Sqlite(connectionString, persistenceId);
        if (provider.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase))
            return Postgres(connectionString, plugin.GetString("default.schema-name", "") ?? "", persistenceId);
        return null;
    }

    private static IDisposable? Sqlite(string connectionString, string persistenceId)
    {
        var b = new SqliteConnectionStringBuilder(connectionString);
        if (b.Mode == SqliteOpenMode.Memory || b.DataSource is "" or ":memory:") return null;
        var file = Path.GetFullPath(b.DataSource);
        var safeId = string.Concat(persistenceId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        var lockFile = $"{file}.{safeId}.lock";
        try
        {
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e)
        {
            throw new StorageLockedException(
                $"another master holds the SQLite database {file} (persistence id {persistenceId}; its lock file {lockFile} is taken)", e);
        }
    }

    private static IDisposable Postgres(string connectionString, string schema, string persistenceId)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Enlist = false };
        var connection = new NpgsqlConnection(b.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT pg_try_advisory_lock(hashtextextended(@key, 0))";
            command.Parameters.AddWithValue("key", Key(schema, persistenceId));
            if (command.ExecuteScalar() is true) return new PostgresLock(connection, Key(schema, persistenceId));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        connection.Dispose();
        throw new StorageLockedException(
            $"another master holds the PostgreSQL database {b.Database} on {b.Host} (persistence id {persistenceId}" +
            $"{(schema.Length > 0 ? $", schema {schema}" : "")}; its advisory lock is taken)");
    }

    private static string Key(string schema, string persistenceId) => $"datsync-master:{schema}:{persistenceId}";

    private sealed class PostgresLock(NpgsqlConnection connection, string key) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT pg_advisory_unlock(hashtextextended(@key, 0))";
                command.Parameters.AddWithValue("key", key);
                command.ExecuteScalar();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the session ends below anyway
            finally { connection.Dispose(); }
        }
    }
}
