using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Cli.Commands;

/// <summary>A master running in this process on a SQLite file, for the <c>--db PATH</c> verbs.</summary>
internal static class LocalMaster
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts the master on <c>--db PATH</c> and waits for it to recover its journal; what stops it becomes a
    /// <see cref="CliException"/> (<see cref="StorageFailure"/>).</summary>
    public static async Task<(MasterSystem Node, Db Db)> Open(string dbPath, bool verbose)
    {
        var storage = Storage(dbPath);
        MasterSystem node;
        try { node = MasterRuntime.StartSystem("datsync-local", storage, "", CliSupport.Logging(verbose, "OFF")); }
        catch (Exception e) when (StorageFailure(e, storage) is { } failure) { throw failure; }
        try
        {
            return (node, await node.Master.Recovered(Timeout));
        }
        catch (Exception e)
        {
            await node.DisposeAsync();
            throw StorageFailure(e, storage) ?? e;
        }
    }

    /// <summary>The one line a CLI verb prints for a master that cannot use its storage (exit code 2 when another
    /// master holds it or it did not answer, 1 when the file or its journal cannot be read), or null for another
    /// exception.</summary>
    public static CliException? StorageFailure(Exception e, StorageOptions storage)
    {
        var where = storage is SqliteStorage s ? s.FilePath : storage.Kind;
        return e switch
        {
            StorageLockedException l => new CliException(l.Message, CliSupport.Unreachable, l),
            DatsyncStorageException d => new CliException(d.Message.Contains(where, StringComparison.Ordinal) ? d.Message : $"{d.Message} (in {where})", inner: d),
            AskTimeoutException or TimeoutException =>
                new CliException($"the master on {where} did not recover its journal within {Timeout.TotalSeconds:0} s", CliSupport.Unreachable, e),
            _ => null,
        };
    }

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
