using Akka.Configuration;

namespace Datsync.Actors.Master;

/// <summary>Settings of the transactor and the log listener (<c>datsync.master</c>, <c>datsync.listener</c>).</summary>
public sealed record MasterSettings(
    string PersistenceId = "datsync-master",
    int SnapshotEvery = 1000,
    int SubscriberBuffer = 1024,
    int RecentInMemory = 10_000)
{
    public static MasterSettings From(Config config) => new(
        config.GetString("datsync.master.persistence-id", "datsync-master"),
        config.GetInt("datsync.master.snapshot-every", 1000),
        config.GetInt("datsync.listener.buffer-size", 1024),
        config.GetInt("datsync.listener.recent-in-memory", 10_000));
}
