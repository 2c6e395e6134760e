using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Storage;

namespace Datsync.Actors.Remote;

/// <summary>Plain-ActorSystem entry points for a master and replicas in different processes (Akka.Remote over TCP).</summary>
internal static class DatsyncRemote
{
    /// <summary>The name of a server's actor system (part of the address replicas use).</summary>
    public const string SystemName = "datsync";

    /// <summary>The path of the server actor of the master listening at <paramref name="hostPort"/> (<c>host:port</c>);
    /// with <paramref name="tls"/> in the TLS scheme (<c>akka.ssl.tcp</c>).</summary>
    public static string ServerPath(string hostPort, string systemName = SystemName, string actorName = MasterRuntime.ServerName,
        bool tls = false)
    {
        var (host, port) = ParseHostPort(hostPort);
        return $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{systemName}@{host}:{port.ToString(CultureInfo.InvariantCulture)}/user/{actorName}";
    }

    /// <summary>The path of the server actor at <paramref name="hostPort"/> as <paramref name="system"/> reaches it:
    /// in the TLS scheme when the system's transport speaks TLS.</summary>
    public static string ServerPath(ActorSystem system, string hostPort, string systemName = SystemName, string actorName = MasterRuntime.ServerName) =>
        ServerPath(hostPort, systemName, actorName, UsesTls(system));

    /// <summary>True when <paramref name="system"/>'s remote transport speaks TLS.</summary>
    public static bool UsesTls(ActorSystem system) =>
        system.Settings.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false);

    /// <summary>Splits <c>host:port</c> (an IPv6 host in brackets: <c>[::1]:4053</c>).</summary>
    /// <exception cref="FormatException">No host, or a port that is not in 1..65535.</exception>
    public static (string Host, int Port) ParseHostPort(string server, bool anyPort = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        var s = server.Trim();
        var colon = s.LastIndexOf(':');
        if (colon <= 0 || colon == s.Length - 1)
            throw new FormatException($"a Datsync server is given as host:port, got '{server}'");
        var host = s[..colon];
        if (host.StartsWith('[') != host.EndsWith(']') || (host.Contains(':') && !host.StartsWith('[')))
            throw new FormatException($"an IPv6 server host goes in brackets ([::1]:4053), got '{server}'");
        if (!int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < (anyPort ? 0 : 1) || port > 65535)
            throw new FormatException($"the port of a Datsync server is a number in 1..65535, got '{server}'");
        return (host, port);
    }
    /// <summary>The servers of <c>host:port[,host:port...]</c> (the gateways of one cluster, any of which a replica may
    /// connect to), each checked as <see cref="ParseHostPort"/> does; at most 64.</summary>
    /// <exception cref="FormatException">An empty list, too many, or one that is not host:port.</exception>
    public static IReadOnlyList<string> ParseServers(string servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var list = servers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (list.Length is 0 or > 64) throw new FormatException($"a Datsync server is given as host:port (or up to 64 of them, comma-separated), got '{servers}'");
        foreach (var s in list) ParseHostPort(s);
        return list;
    }

    /// <summary>True for an address of this machine only: 127.0.0.0/8, ::1, localhost.</summary>
    public static bool IsLoopback(string host)
    {
        var h = host.Trim().Trim('[', ']');
        return h.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (System.Net.IPAddress.TryParse(h, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }

    /// <summary>HOCON that puts a client of the server on <paramref name="serverHost"/> on Akka.Remote: a free port, on
    /// 127.0.0.1 for a server on this machine, on every interface otherwise (the server's messages come back over the
    /// client's own connection).</summary>
    public static Config ClientRemoteConfig(string serverHost) => RemoteConfig(IsLoopback(serverHost) ? "127.0.0.1" : "0.0.0.0", 0);

    /// <summary>HOCON that puts an actor system on Akka.Remote at host:port (port 0: any free port).</summary>
    public static Config RemoteConfig(string host, int port) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = "{{host}}"
          port = {{port}}
        }
        """);

    /// <summary>A master reachable from other processes at host:port, in a new actor system named
    /// <see cref="SystemName"/>; <paramref name="overrides"/> (HOCON) wins over everything else. With
    /// <paramref name="tls"/> (enabled) the transport speaks TLS with the server's certificate, and requires client
    /// certificates when <see cref="TlsOptions.ClientCaPath"/> is set.</summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    public static MasterSystem StartServer(StorageOptions storage, string host, int port, string overrides = "", TlsOptions? tls = null) =>
        MasterRuntime.StartSystem(SystemName, storage, overrides, RemoteConfig(host, port), tls: tls);

    /// <summary>An actor system for replicas of a remote master, on host (port 0 unless given). With
    /// <paramref name="tls"/> (enabled) it speaks TLS: it checks the server's certificate against
    /// <see cref="TlsOptions.CaPath"/> and presents <see cref="TlsOptions.CertificatePath"/> when set.</summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    public static ActorSystem ClientSystem(string name = "datsync-client", string host = "127.0.0.1", int port = 0, string overrides = "",
        TlsOptions? tls = null) =>
        ClientSystem(name, ConfigurationFactory.ParseString(overrides), RemoteConfig(host, port), tls);

    /// <summary>An actor system for clients of the master on <paramref name="serverHost"/>: <paramref name="config"/>
    /// over the transport <see cref="ClientRemoteConfig"/> picks, the client's wire settings and the library defaults.</summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    public static ActorSystem ClientSystemFor(string serverHost, string name, Config config, TlsOptions? tls = null,
        Akka.Actor.Setup.Setup? setup = null) =>
        ClientSystem(name, config, ClientRemoteConfig(serverHost), tls, setup);

    private static ActorSystem ClientSystem(string name, Config config, Config transport, TlsOptions? tls, Akka.Actor.Setup.Setup? setup = null) =>
        CreateSystem(name, config.WithFallback(transport).WithFallback(WireSecurity.Client).WithFallback(DatsyncConfig.Default), tls, setup);

    /// <summary>Creates an actor system from <paramref name="config"/>; with <paramref name="tls"/> (enabled) its
    /// remote transport speaks TLS (<see cref="TlsOptions.ToActorSystemSetup"/>); <paramref name="setup"/> (e.g. the
    /// host's logger factory) goes into its <see cref="Akka.Actor.Setup.ActorSystemSetup"/> as well.</summary>
    /// <exception cref="TlsSetupException">The TLS files cannot be used.</exception>
    public static ActorSystem CreateSystem(string name, Config config, TlsOptions? tls = null, Akka.Actor.Setup.Setup? setup = null)
    {
        if (setup is null)
            return tls is { IsEnabled: true } ? ActorSystem.Create(name, tls.ToActorSystemSetup(config)) : ActorSystem.Create(name, config);
        return ActorSystem.Create(name, tls is { IsEnabled: true }
            ? Akka.Actor.Setup.ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(tls.ToConfig().WithFallback(config)), tls.ToSslSetup(), setup)
            : Akka.Actor.Setup.ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config), setup));
    }

    /// <summary>host:port the actor system listens on.</summary>
    public static string ListeningAt(ActorSystem system)
    {
        var a = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        return $"{a.Host}:{a.Port}";
    }
}
