using Akka.Configuration;

namespace Datsync.Actors.Remote;

/// <summary>
/// The HOCON that shuts every door of a Datsync actor system but one. A master's system runs Akka.Remote in untrusted
/// mode (no remote deployment, no PoisonPill or Kill from afar, actor selections only of the server's path) and reads
/// from the wire only what clients send (<see cref="Protocol.IToServer"/>); a client's system trusts no selection at
/// all and reads only what servers send (<see cref="Protocol.IToReplica"/>).
/// </summary>
public static class OneDoor
{
    /// <summary>For the actor system of a master whose server actor is <c>/user/{serverName}</c>.</summary>
    public static Config Server(string serverName) => ConfigurationFactory.ParseString($$"""
        akka.remote.untrusted-mode = on
        akka.remote.trusted-selection-paths = ["/user/{{serverName}}"]
        akka.actor.serialization-settings.datsync-wire.accept = to-server
        """);

    /// <summary>For the actor system of replicas (and one-shot clients) of a master in another process.</summary>
    public static Config Client() => ConfigurationFactory.ParseString("""
        akka.remote.untrusted-mode = on
        akka.remote.trusted-selection-paths = []
        akka.actor.serialization-settings.datsync-wire.accept = to-replica
        """);
}
