using Microsoft.Data.Sqlite;

namespace Datsync.Actors.Storage;

/// <summary>
/// The default: one SQLite file (<c>DataDirectory/FileName</c>) through Microsoft.Data.Sqlite, in WAL mode so readers
/// never block the writer. <see cref="StorageOptions.Prepare"/> creates the directory and the file and turns WAL on.
/// </summary>
/// <param name="DataDirectory">Directory of the database file; relative paths resolve against the current directory.</param>
/// <param name="FileName">The database file name.</param>
internal sealed record SqliteStorage(string DataDirectory, string FileName = SqliteStorage.DefaultFileName)
    : SqlStorage(SqlTuning.Sqlite)
{
    /// <summary><c>datsync.storage.kind</c> for this storage.</summary>
    public const string KindName = "sqlite";

    /// <summary>Default of <c>datsync.storage.data-directory</c>.</summary>
    public const string DefaultDataDirectory = "./data";

    /// <summary>Default of <c>datsync.storage.sqlite.file-name</c>.</summary>
    public const string DefaultFileName = "datsync.db";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>linq2db's provider for Microsoft.Data.Sqlite.</summary>
    public override string ProviderName => LinqToDB.ProviderName.SQLiteMS;

    /// <summary>Reuse open connections (Microsoft.Data.Sqlite <c>Pooling</c>).</summary>
    public bool Pooling { get; init; } = true;

    /// <summary>
    /// How long a statement waits for a lock held by another connection before failing
    /// (Microsoft.Data.Sqlite <c>Default Timeout</c>, whole seconds, rounded up).
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Absolute path of the database file.</summary>
    public string FilePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));

    /// <inheritdoc />
    public override string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = FilePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = Pooling,
        DefaultTimeout = (int)Math.Ceiling(BusyTimeout.TotalSeconds),
    }.ToString();

    private const int Corrupt = 11;     // SQLITE_CORRUPT
    private const int NotADatabase = 26; // SQLITE_NOTADB

    /// <summary>Creates the directory and the database file if missing and switches the file to WAL mode.</summary>
    /// <exception cref="InvalidOperationException">SQLite would not switch the file to WAL mode.</exception>
    /// <exception cref="DatsyncStorageException">The file is not a SQLite database, or a damaged one.</exception>
    public override void Prepare()
    {
        var path = FilePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string? mode;
        try
        {
            using var connection = new SqliteConnection(ConnectionString);
            connection.Open(); // Mode=ReadWriteCreate creates the file
            using var command = connection.CreateCommand();
            // WAL is a property of the file: once set it stays on for every later connection.
            command.CommandText = "PRAGMA journal_mode=WAL;";
            mode = command.ExecuteScalar() as string;
        }
        catch (SqliteException e) when (e.SqliteErrorCode is NotADatabase or Corrupt)
        {
            throw new DatsyncStorageException(
                $"{path} is {(e.SqliteErrorCode == Corrupt ? "a damaged SQLite database" : "not a SQLite database")}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite would not put {path} in WAL mode (journal_mode is '{mode}').");
    }
}
