using Akka.Configuration;

namespace Datsync.Actors.Replica;

/// <summary>Settings of a replica (<c>datsync.replica</c>); defaults in the embedded reference.conf.</summary>
internal sealed record ReplicaSettings(TimeSpan RetryInterval, int AckEvery, TimeSpan ConnectionTimeout, int FrameBudget = 64_000,
    int ReportBuffer = 1024)
{
    /// <summary>The directory of the replica's local store (<c>datsync.replica.store</c>); null: the replica lives in
    /// memory only.</summary>
    public string? Store { get; init; }

    /// <summary>Whether local transactions made while not connected wait in the store's outbox
    /// (<c>datsync.replica.offline-writes = queue</c>, the default with a store) or are refused at once (<c>reject</c>,
    /// and always without a store).</summary>
    public bool QueueOffline { get; init; }

    /// <summary>Outbox writes wait for the disk (<c>datsync.replica.outbox-sync = full</c>) or for the operating system
    /// (<c>normal</c>, the default: an entry survives the process being killed, not a power loss).</summary>
    public bool FullSyncOutbox { get; init; }

    /// <summary>Deltas stored after the snapshot before the store writes a new one (<c>datsync.replica.compact-every</c>).</summary>
    public int CompactEvery { get; init; } = 10_000;

    public static ReplicaSettings From(Config config)
    {
        var all = config.WithFallback(DatsyncConfig.Default);
        var c = all.GetConfig("datsync.replica");
        var store = c.GetString("store", "");
        var compactEvery = c.GetInt("compact-every");
        if (compactEvery < 1) throw new ConfigurationException($"datsync.replica.compact-every must be at least 1, got {compactEvery}");
        var offline = c.GetString("offline-writes", "auto");
        var hasStore = !string.IsNullOrWhiteSpace(store);
        var queue = offline switch
        {
            "auto" => hasStore,
            "queue" => hasStore ? true : throw new ConfigurationException("datsync.replica.offline-writes = queue needs datsync.replica.store: the outbox is in the store"),
            "reject" => false,
            _ => throw new ConfigurationException($"datsync.replica.offline-writes is queue, reject or auto, got \"{offline}\""),
        };
        return new(c.GetTimeSpan("retry-interval"), c.GetInt("ack-every"), c.GetTimeSpan("connection-timeout"),
            all.GetInt("datsync.wire.frame-budget"), ReportBufferOf(config))
        {
            Store = string.IsNullOrWhiteSpace(store) ? null : store,
            CompactEvery = compactEvery,
            QueueOffline = queue,
            FullSyncOutbox = c.GetString("outbox-sync", "normal") switch
            {
                "normal" => false,
                "full" => true,
                var other => throw new ConfigurationException($"datsync.replica.outbox-sync is normal or full, got \"{other}\""),
            },
        };
    }

    /// <summary>The size of each <see cref="IDatsyncConnection.Reports"/> reader's buffer
    /// (<c>datsync.connection.report-buffer</c>).</summary>
    public static int ReportBufferOf(Config config)
    {
        const string path = "datsync.connection.report-buffer";
        var n = config.HasPath(path) ? config.GetInt(path) : DatsyncConfig.Default.GetInt(path);
        return n > 0 ? n : throw new Akka.Configuration.ConfigurationException(
            $"datsync.connection.report-buffer must be at least 1, got {n}");
    }

    public static ReplicaSettings Default { get; } = From(Config.Empty);
}
