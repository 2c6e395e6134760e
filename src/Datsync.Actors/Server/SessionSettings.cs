using Akka.Configuration;

namespace Datsync.Actors.Server;

/// <summary>Settings of the client sessions (<c>datsync.session</c>); defaults in the embedded reference.conf.</summary>
internal sealed record SessionSettings(int ChunkSize, int BootstrapWindow, int BootstrapReuseWithin,
    TimeSpan HeartbeatInterval, int OutcomeCache, bool ShareMasterValues = true, int FrameBudget = 64_000,
    int MaxPendingSubmits = 1000, int MaxSessions = 10_000)
{
    /// <summary>A replica in another process that sends nothing for this long is taken as gone and its session ends.</summary>
    public TimeSpan ReplicaTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The scope policy and the roles of each client (<c>datsync.server.scopes</c>); null: no scopes.</summary>
    public ServerScopes? Scopes { get; init; }

    public static SessionSettings From(Config config)
    {
        var all = config.WithFallback(DatsyncConfig.Default);
        var c = all.GetConfig("datsync.session");
        return new(c.GetInt("chunk-size"), c.GetInt("bootstrap-window"), c.GetInt("bootstrap-reuse-within"),
            c.GetTimeSpan("heartbeat-interval"), c.GetInt("outcome-cache"), c.GetBoolean("share-master-values"),
            all.GetInt("datsync.wire.frame-budget"), Positive(c, "max-pending-submits"), Positive(all, "datsync.server.max-sessions"))
        {
            ReplicaTimeout = c.GetTimeSpan("replica-timeout"),
            Scopes = ServerScopes.Read(all),
        };
    }

    public static SessionSettings Default { get; } = From(Config.Empty);

    private static int Positive(Config c, string path)
    {
        var n = c.GetInt(path);
        return n > 0 ? n : throw new ConfigurationException($"{path} must be a positive number, got {n}");
    }
}
