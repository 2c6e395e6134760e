using Akka.Configuration;

namespace Datsync.Actors.Master;

/// <summary>Settings of the transactor and the log listener (<c>datsync.master</c>, <c>datsync.listener</c>); the
/// defaults live in the library's embedded reference.conf.</summary>
/// <param name="RememberRequests">Request ids of recent commits the transactor remembers, so that a request sent again
/// is answered with its commit rather than committed twice.</param>
public sealed record MasterSettings(string PersistenceId, int SnapshotEvery, int SubscriberBuffer, int RecentInMemory,
    int RememberRequests = 10_000)
{
    /// <summary>The settings in <paramref name="config"/>, with the library's defaults for what it leaves out.</summary>
    public static MasterSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default);
        return new(
            c.GetString("datsync.master.persistence-id"),
            c.GetInt("datsync.master.snapshot-every"),
            c.GetInt("datsync.listener.buffer-size"),
            c.GetInt("datsync.listener.recent-in-memory"),
            c.GetInt("datsync.master.remember-requests"));
    }

    /// <summary>The library's defaults.</summary>
    public static MasterSettings Default { get; } = From(Config.Empty);
}
