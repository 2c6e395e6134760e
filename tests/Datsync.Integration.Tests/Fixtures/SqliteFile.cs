using Datsync.Actors;
using Datsync.Actors.Storage;
using Microsoft.Data.Sqlite;

namespace Datsync.Integration.Tests.Fixtures;

/// <summary>
/// A fresh temporary data directory for one SQLite database, deleted on dispose. Use one per test
/// (<c>using var dir = new SqliteFile();</c>) or as a class fixture.
/// </summary>
public sealed class SqliteFile : IDisposable
{
    public SqliteFile() => Directory = System.IO.Directory.CreateTempSubdirectory("datsync-sqlite-").FullName;

    /// <summary>The temporary data directory; the database file itself is created by <see cref="SqliteStorage"/>.</summary>
    public string Directory { get; }

    /// <summary>Storage options for a database in <see cref="Directory"/>.</summary>
    internal SqliteStorage Storage(string fileName = SqliteStorage.DefaultFileName) => new(Directory, fileName);

    /// <summary>Opens a plain connection to a database file in <see cref="Directory"/> (caller disposes).</summary>
    public SqliteConnection Open(string fileName = SqliteStorage.DefaultFileName)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(Directory, fileName), Mode = SqliteOpenMode.ReadWrite, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs a query that returns one value.</summary>
    public object? Scalar(string sql, string fileName = SqliteStorage.DefaultFileName)
    {
        using var connection = Open(fileName);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools(); // pooled connections keep the file open
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* best effort: a lingering handle on some platforms */ }
        catch (UnauthorizedAccessException) { }
    }
}
