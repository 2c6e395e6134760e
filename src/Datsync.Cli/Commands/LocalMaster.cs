using Datsync.Actors.Master;
using Datsync.Actors.Storage;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands;

/// <summary>A master running in this process on a SQLite file, for the <c>--db PATH</c> verbs.</summary>
public static class LocalMaster
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static MasterSystem Open(string dbPath)
    {
        var full = Path.GetFullPath(dbPath);
        var storage = new SqliteStorage(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        return DatsyncMaster.StartSystem("datsync-local", storage, StderrLogger.Hocon);
    }
}
