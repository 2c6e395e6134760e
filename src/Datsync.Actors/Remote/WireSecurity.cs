using Akka.Configuration;

namespace Datsync.Actors.Remote;

/// <summary>
/// The wire's security settings for the actor systems Datsync creates, as HOCON to put in front of
/// <see cref="DatsyncConfig.Default"/>: the direction the wire serializer reads
/// (<c>akka.actor.serialization-settings.datsync-wire.accept</c>), Akka's <c>json</c> serializer replaced by one that
/// reads nothing (<see cref="JsonClosedToWire"/>), and the transport guard under Akka.Remote's TCP transport
/// (<see cref="WireGuardProvider"/>: bounded connections and handshakes, only Datsync's messages and remote death
/// watch let through). The guard applies only to a system with Akka.Remote; the rest does no harm without it.
/// </summary>
public static class WireSecurity
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
        """;

    /// <summary>HOCON of a client's system (replicas, <c>datsync transact --server</c>): it reads what servers send,
    /// its guard has the bounds of <c>datsync.client</c>.</summary>
    public const string ClientHocon = Common + """

        akka.actor.serialization-settings.datsync-wire.accept = to-replica
        akka.remote.dot-netty.tcp.applied-adapters = [datsync-client-guard]
        """;

    /// <summary><see cref="Server"/> for a server actor named <paramref name="serverName"/> (messages from the network
    /// may reach <c>/user/{serverName}</c>, its sessions and Akka's remote watcher).</summary>
    public static Config ForServer(string serverName) =>
        serverName == Master.DatsyncMaster.ServerName
            ? Server
            : ConfigurationFactory.ParseString($"datsync.server.allowed-recipients = [\"/user/{serverName}\", \"/system/remote-watcher\"]")
                .WithFallback(Server);

    /// <summary><see cref="ServerHocon"/> parsed.</summary>
    public static Config Server { get; } = ConfigurationFactory.ParseString(ServerHocon);

    /// <summary><see cref="ClientHocon"/> parsed.</summary>
    public static Config Client { get; } = ConfigurationFactory.ParseString(ClientHocon);
}
