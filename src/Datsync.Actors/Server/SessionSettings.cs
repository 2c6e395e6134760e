using Akka.Configuration;

namespace Datsync.Actors.Server;

/// <summary>Settings of the client sessions (<c>datsync.session</c>); defaults in the embedded reference.conf.</summary>
public sealed record SessionSettings(int ChunkSize, int BootstrapWindow, int BootstrapReuseWithin,
    TimeSpan HeartbeatInterval, int OutcomeCache, bool ShareMasterValues = true)
{
    public static SessionSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig("datsync.session");
        return new(c.GetInt("chunk-size"), c.GetInt("bootstrap-window"), c.GetInt("bootstrap-reuse-within"),
            c.GetTimeSpan("heartbeat-interval"), c.GetInt("outcome-cache"), c.GetBoolean("share-master-values"));
    }

    public static SessionSettings Default { get; } = From(Config.Empty);
}
