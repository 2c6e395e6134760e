using Akka.Configuration;
using Datsync.Actors.Storage;

namespace Datsync.Actors.Master;

/// <summary>Settings of the transactor and the log listener (<c>datsync.master</c>, <c>datsync.listener</c>); the
/// defaults live in the library's embedded reference.conf.</summary>
/// <param name="PersistenceId">The transactor's persistence id: the journal and snapshots it writes and recovers.</param>
/// <param name="SnapshotEvery">A snapshot of the whole database every this many transactions; 0: never.</param>
/// <param name="SubscriberBuffer">Deltas a subscriber may leave unacknowledged before it is told to resume from its
/// last t.</param>
/// <param name="RecentInMemory">Recent deltas the listener keeps in memory; older ones are read back from the
/// journal.</param>
/// <param name="RememberRequests">Request ids of recent commits the transactor remembers, so that a request sent again
/// is answered with its commit rather than committed twice.</param>
/// <param name="KeepSnapshots">Snapshots kept, the latest ones (older ones are deleted); 0 keeps them all. A catch-up
/// from the journal starts from the latest snapshot before the t it needs.</param>
internal sealed record MasterSettings(string PersistenceId, int SnapshotEvery, int SubscriberBuffer, int RecentInMemory,
    int RememberRequests = 10_000, int KeepSnapshots = 3)
{
    /// <summary>A read of the journal for a catch-up or a range that has not finished by then fails.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A catch-up whose read failed is tried again after this long.</summary>
    public TimeSpan CatchUpRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The journal plugin the transactor writes and the log listener reads: Datsync's own
    /// (<see cref="StorageOptions.JournalPluginId"/>, which the storage HOCON defines), never the application's
    /// default journal.</summary>
    public string JournalPluginId { get; init; } = StorageOptions.JournalPluginId;

    /// <summary>The snapshot store plugin of the transactor and the log listener
    /// (<see cref="StorageOptions.SnapshotStorePluginId"/>).</summary>
    public string SnapshotPluginId { get; init; } = StorageOptions.SnapshotStorePluginId;

    /// <summary>The server's scope policy (<c>datsync.server.scopes</c>): a client's transaction (one that carries its
    /// <see cref="Protocol.Transact.Identity"/>) is checked against its write rules before it is written; null: no scopes.</summary>
    public Server.ServerScopes? Scopes { get; init; }

    /// <summary>The master's scopes as they are now (<see cref="Scopes"/> as replaced since); set when the master starts.</summary>
    internal Server.ScopesInForce? InForce { get; init; }

    /// <summary>The settings in <paramref name="config"/>, with the library's defaults for what it leaves out.</summary>
    public static MasterSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default);
        return new(
            c.GetString("datsync.master.persistence-id"),
            c.GetInt("datsync.master.snapshot-every"),
            c.GetInt("datsync.listener.buffer-size"),
            c.GetInt("datsync.listener.recent-in-memory"),
            c.GetInt("datsync.master.remember-requests"),
            c.GetInt("datsync.master.keep-snapshots"))
        {
            CatchUpTimeout = c.GetTimeSpan("datsync.listener.catch-up-timeout"),
            CatchUpRetry = c.GetTimeSpan("datsync.listener.catch-up-retry"),
            Scopes = Server.ServerScopes.Read(c),
        };
    }

    /// <summary>The library's defaults.</summary>
    public static MasterSettings Default { get; } = From(Config.Empty);
}
