using Datsync.Actors.Master;
using Datsync.Actors.Storage;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands;

/// <summary>A master running in this process on a SQLite file, for the <c>--db PATH</c> verbs.</summary>
public static class LocalMaster
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static MasterSystem Open(string dbPath) =>
        DatsyncMaster.StartSystem("datsync-local", Storage(dbPath), StderrLogger.Hocon);

    /// <summary>The SQLite storage of <c>--db PATH</c>: PATH is the database file, except that an existing directory
    /// (or a path ending in a directory separator) holds <c>datsync.db</c>, as <c>serve</c>'s default <c>./data</c>.</summary>
    public static SqliteStorage Storage(string dbPath)
    {
        var full = Path.GetFullPath(dbPath);
        if (Directory.Exists(full) || Path.EndsInDirectorySeparator(dbPath))
            return new SqliteStorage(Path.TrimEndingDirectorySeparator(full));
        return new SqliteStorage(Path.GetDirectoryName(full)!, Path.GetFileName(full));
    }
}
