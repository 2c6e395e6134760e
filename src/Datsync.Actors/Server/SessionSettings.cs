using Akka.Configuration;

namespace Datsync.Actors.Server;

/// <summary>Settings of the client sessions (<c>datsync.session</c>); defaults in the embedded reference.conf.</summary>
public sealed record SessionSettings(int ChunkSize, int BootstrapWindow, int BootstrapReuseWithin,
    TimeSpan HeartbeatInterval, int OutcomeCache, bool ShareMasterValues = true, int FrameBudget = 64_000)
{
    public static SessionSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig("datsync.session");
        return new(c.GetInt("chunk-size"), c.GetInt("bootstrap-window"), c.GetInt("bootstrap-reuse-within"),
            c.GetTimeSpan("heartbeat-interval"), c.GetInt("outcome-cache"), c.GetBoolean("share-master-values"),
            config.WithFallback(DatsyncConfig.Default).GetInt("datsync.wire.frame-budget"));
    }

    public static SessionSettings Default { get; } = From(Config.Empty);
}
