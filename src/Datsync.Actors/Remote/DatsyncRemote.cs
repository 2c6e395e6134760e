using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Storage;

namespace Datsync.Actors.Remote;

/// <summary>Plain-ActorSystem entry points for a master and replicas in different processes (Akka.Remote over TCP).</summary>
public static class DatsyncRemote
{
    /// <summary>The name of a server's actor system (part of the address replicas use).</summary>
    public const string SystemName = "datsync";

    /// <summary>The path of the server actor of the master listening at <paramref name="hostPort"/> (<c>host:port</c>).</summary>
    public static string ServerPath(string hostPort, string systemName = SystemName, string actorName = DatsyncMaster.ServerName)
    {
        var (host, port) = ParseHostPort(hostPort);
        return $"akka.tcp://{systemName}@{host}:{port.ToString(CultureInfo.InvariantCulture)}/user/{actorName}";
    }

    /// <summary>Splits <c>host:port</c> (an IPv6 host in brackets: <c>[::1]:4053</c>).</summary>
    /// <exception cref="FormatException">No host, or a port that is not in 1..65535.</exception>
    public static (string Host, int Port) ParseHostPort(string server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var s = server.Trim();
        var colon = s.LastIndexOf(':');
        if (colon <= 0 || colon == s.Length - 1)
            throw new FormatException($"a Datsync server is given as host:port, got '{server}'");
        var host = s[..colon];
        if (host.StartsWith('[') != host.EndsWith(']') || (host.Contains(':') && !host.StartsWith('[')))
            throw new FormatException($"an IPv6 server host goes in brackets ([::1]:4053), got '{server}'");
        if (!int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"the port of a Datsync server is a number in 1..65535, got '{server}'");
        return (host, port);
    }
    /// <summary>HOCON that puts an actor system on Akka.Remote at host:port (port 0: any free port).</summary>
    public static Config RemoteConfig(string host, int port) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = "{{host}}"
          port = {{port}}
        }
        """);

    /// <summary>A master reachable from other processes at host:port, in a new actor system named
    /// <see cref="SystemName"/>; <paramref name="overrides"/> (HOCON) wins over everything else.</summary>
    public static MasterSystem StartServer(StorageOptions storage, string host, int port, string overrides = "") =>
        DatsyncMaster.StartSystem(SystemName, storage, overrides, RemoteConfig(host, port));

    /// <summary>An actor system for replicas of a remote master, on host (port 0 unless given).</summary>
    public static ActorSystem ClientSystem(string name = "datsync-client", string host = "127.0.0.1", int port = 0, string overrides = "") =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(overrides)
            .WithFallback(RemoteConfig(host, port))
            .WithFallback(WireSecurity.Client)
            .WithFallback(DatsyncConfig.Default));

    /// <summary>host:port the actor system listens on.</summary>
    public static string ListeningAt(ActorSystem system)
    {
        var a = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        return $"{a.Host}:{a.Port}";
    }
}
