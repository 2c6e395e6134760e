using Akka.Configuration;

namespace Datsync.Actors.Replica;

/// <summary>Settings of a replica (<c>datsync.replica</c>); defaults in the embedded reference.conf.</summary>
public sealed record ReplicaSettings(TimeSpan RetryInterval, int AckEvery, TimeSpan ConnectionTimeout, int FrameBudget = 64_000)
{
    public static ReplicaSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig("datsync.replica");
        return new(c.GetTimeSpan("retry-interval"), c.GetInt("ack-every"), c.GetTimeSpan("connection-timeout"),
            config.WithFallback(DatsyncConfig.Default).GetInt("datsync.wire.frame-budget"));
    }

    public static ReplicaSettings Default { get; } = From(Config.Empty);
}
