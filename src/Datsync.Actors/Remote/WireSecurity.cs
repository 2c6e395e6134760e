using Akka.Actor;
using Akka.Configuration;

namespace Datsync.Actors.Remote;

/// <summary>
/// The HOCON that shuts every door of a Datsync actor system but one, to put in front of
/// <see cref="DatsyncConfig.Default"/>: Akka.Remote in untrusted mode (no remote deployment, no PoisonPill or Kill
/// from afar; a server trusts actor selections of its server actor's path alone, a client none), the direction the wire serializer reads
/// (<c>akka.actor.serialization-settings.datsync-wire.accept</c>), Akka's <c>json</c> serializer replaced by one that
/// reads nothing (<see cref="JsonClosedToWire"/>), and the transport guard under Akka.Remote's TCP transport
/// (<see cref="WireGuardProvider"/>: bounded connections and handshakes, only Datsync's messages and remote death
/// watch let through). The guard applies only to a system with Akka.Remote; the rest does no harm without it.
/// </summary>
internal static class WireSecurity
{
    private const string Common = """
        akka.actor {
          serializers.json = "Datsync.Actors.Remote.JsonClosedToWire, Datsync.Actors"
          serialization-identifiers { "Datsync.Actors.Remote.JsonClosedToWire, Datsync.Actors" = 1 }
        }
        # no space after the comma: Akka reads these values as they print
        akka.remote.adapters {
          datsync-guard = "Datsync.Actors.Remote.WireGuardProvider,Datsync.Actors"
          datsync-client-guard = "Datsync.Actors.Remote.ClientWireGuardProvider,Datsync.Actors"
        }
        """;

    /// <summary>HOCON of a server's system (a master other processes reach): it reads what clients send, its guard
    /// has the bounds of <c>datsync.server</c>.</summary>
    public const string ServerHocon = Common + """

        akka.actor.serialization-settings.datsync-wire.accept = to-server
        akka.remote.dot-netty.tcp.applied-adapters = [datsync-guard]
        akka.remote.untrusted-mode = on
        akka.remote.trusted-selection-paths = ["/user/datsync-server"]
        """;

    /// <summary>HOCON of a client's system (replicas, <c>datsync transact --server</c>): it reads what servers send,
    /// its guard has the bounds of <c>datsync.client</c>.</summary>
    public const string ClientHocon = Common + """

        akka.actor.serialization-settings.datsync-wire.accept = to-replica
        akka.remote.dot-netty.tcp.applied-adapters = [datsync-client-guard]
        akka.remote.untrusted-mode = on
        akka.remote.trusted-selection-paths = []
        """;

    /// <summary><see cref="Server"/> for a server actor named <paramref name="serverName"/> (messages from the network
    /// may reach <c>/user/{serverName}</c>, its sessions and Akka's remote watcher).</summary>
    public static Config ForServer(string serverName) =>
        serverName == Master.MasterRuntime.ServerName
            ? Server
            : ConfigurationFactory.ParseString($$"""
                datsync.server.allowed-recipients = ["/user/{{serverName}}", "/system/remote-watcher"]
                akka.remote.trusted-selection-paths = ["/user/{{serverName}}"]
                """).WithFallback(Server);

    /// <summary>
    /// Refuses to run <paramref name="what"/> in a system on Akka.Remote whose wire reads the other direction: a master
    /// needs a system that reads what clients send (<c>to-server</c>), a replica of a master in another process one that
    /// reads what servers send (<c>to-replica</c>). A system without Akka.Remote reads nothing from a wire.
    /// </summary>
    /// <exception cref="InvalidOperationException">The system reads the other direction.</exception>
    public static void Require(ActorSystem system, string accept, string what)
    {
        if (system is not ExtendedActorSystem { Provider: Akka.Remote.IRemoteActorRefProvider }) return;
        var actual = system.Settings.Config.GetString("akka.actor.serialization-settings.datsync-wire.accept", "to-replica");
        if (actual == accept || actual is "both" or "cluster") return;
        throw new InvalidOperationException(
            $"{what} needs an actor system whose wire reads {accept} (akka.actor.serialization-settings.datsync-wire.accept), " +
            $"and the system {system.Name} reads {actual}: a master's system reads only what clients send and a client's only " +
            "what servers send, so run a master and the replicas of another master in separate actor systems");
    }

    /// <summary><see cref="ServerHocon"/> parsed.</summary>
    public static Config Server { get; } = ConfigurationFactory.ParseString(ServerHocon);

    /// <summary><see cref="ClientHocon"/> parsed.</summary>
    public static Config Client { get; } = ConfigurationFactory.ParseString(ClientHocon);
}
