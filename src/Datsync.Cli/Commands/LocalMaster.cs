using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Storage;

namespace Datsync.Cli.Commands;

/// <summary>A master running in this process on a SQLite file, for the <c>--db PATH</c> verbs.</summary>
public sealed class LocalMaster : IAsyncDisposable
{
    public ActorSystem System { get; }
    public MasterHandle Master { get; }
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private LocalMaster(ActorSystem system, MasterHandle master)
    {
        System = system;
        Master = master;
    }

    public static LocalMaster Open(string dbPath)
    {
        var full = Path.GetFullPath(dbPath);
        var storage = new SqliteStorage(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")
            .WithFallback(storage.ToConfig())
            .WithFallback(DatsyncConfig.Default);
        var system = ActorSystem.Create("datsync-local", config);
        return new LocalMaster(system, DatsyncMaster.Start(system, MasterSettings.From(config)));
    }

    public async ValueTask DisposeAsync() => await System.Terminate();
}
