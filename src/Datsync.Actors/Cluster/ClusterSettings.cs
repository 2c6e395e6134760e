using System.Globalization;
using Akka.Configuration;
using Datsync.Actors.Remote;

namespace Datsync.Actors.Cluster;

/// <summary>The roles a node of a Datsync cluster may have.</summary>
internal static class ClusterRoles
{
    /// <summary>May run the cluster's one transactor (the singleton runs on the oldest node with this role).</summary>
    public const string Transactor = "transactor";

    /// <summary>Takes replicas' connections and feeds their sessions from the node's own copy of the master.</summary>
    public const string Gateway = "gateway";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([Transactor, Gateway], StringComparer.Ordinal);
}

/// <summary>What <c>datsync.cluster</c> says (the library's reference.conf has every default).</summary>
internal sealed record ClusterSettings(string SystemName, string Host, int Port, IReadOnlyList<(string Host, int Port)> Seeds,
    IReadOnlySet<string> Roles, TimeSpan LockRetry, TimeSpan ResendAfter, TimeSpan MirrorConnectionTimeout, bool AllowPlainTransport,
    string Strategy, TimeSpan StableAfter)
{
    /// <summary>Akka.Remote transport adapters of the cluster transport (<c>datsync.cluster.applied-adapters</c>).</summary>
    public IReadOnlyList<string> Adapters { get; init; } = [];

    /// <summary>How long after a node is downed its singleton may start elsewhere (<c>datsync.cluster.down-removal-margin</c>).</summary>
    public TimeSpan DownRemovalMargin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a node compares its scopes' version with the transactor's (<c>datsync.cluster.scopes-sync</c>).</summary>
    public TimeSpan ScopesSync { get; init; } = TimeSpan.FromSeconds(2);

    public bool IsTransactor => Roles.Contains(ClusterRoles.Transactor);

    public bool IsGateway => Roles.Contains(ClusterRoles.Gateway);

    /// <exception cref="ConfigurationException">A role that is not transactor or gateway, none, a listen address or
    /// seed that is not host:port, or a duration that is not positive; the message names it.</exception>
    public static ClusterSettings From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig("datsync.cluster");
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in c.GetStringList("roles"))
        {
            var role = r.Trim().ToLowerInvariant();
            if (!ClusterRoles.All.Contains(role))
                throw new ConfigurationException($"datsync.cluster.roles: '{r}' is not a role; a node is a transactor, a gateway or both");
            roles.Add(role);
        }
        if (roles.Count == 0) throw new ConfigurationException("datsync.cluster.roles is empty: a node is a transactor, a gateway or both");
        var (host, port) = HostPort(c.GetString("listen"), "datsync.cluster.listen", anyPort: true);
        var seeds = c.GetStringList("seed-nodes").Select(s => HostPort(s, "datsync.cluster.seed-nodes", anyPort: false)).ToList();
        var strategy = c.GetString("split-brain-resolver.active-strategy", "keep-majority");
        var s = new ClusterSettings(c.GetString("system-name"), host, port, seeds, roles,
            Positive(c, "lock-retry"), Positive(c, "resend-after"), Positive(c, "mirror-connection-timeout"),
            c.GetBoolean("allow-plain-transport"), strategy, Positive(c, "split-brain-resolver.stable-after"))
        {
            Adapters = c.GetStringList("applied-adapters").ToList(),
            DownRemovalMargin = Positive(c, "down-removal-margin"),
            ScopesSync = Positive(c, "scopes-sync"),
        };
        return s;
    }

    private static (string, int) HostPort(string value, string path, bool anyPort)
    {
        try
        {
            return DatsyncRemote.ParseHostPort(value, anyPort);
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{path}: {e.Message}");
        }
    }

    private static TimeSpan Positive(Config c, string path)
    {
        var v = c.GetTimeSpan(path);
        if (v <= TimeSpan.Zero) throw new ConfigurationException($"datsync.cluster.{path} must be positive, got {v}");
        return v;
    }

    /// <summary>The Akka address of a node at host:port (<c>akka.tcp://{system}@host:port</c>, <c>akka.ssl.tcp</c> with TLS).</summary>
    public string AddressOf(string host, int port, bool tls) =>
        $"akka.{string.Concat(Adapters.Reverse().Select(a => a + "."))}{(tls ? "ssl.tcp" : "tcp")}://{SystemName}@{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The HOCON of the node's actor system: Akka.Cluster on the cluster transport, its roles and seeds
    /// (<see cref="TransportConfig"/>), over <see cref="DowningConfig"/> and <see cref="WireConfig"/>.</summary>
    public Config ToConfig(bool tls) => TransportConfig(tls).WithFallback(DowningConfig()).WithFallback(WireConfig);

    private static string Q(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>The cluster transport (its adapters), this node's roles and the seeds.</summary>
    public Config TransportConfig(bool tls)
    {
        var seeds = string.Join(", ", Seeds.Select(s => Q(AddressOf(s.Host, s.Port, tls))));
        var roles = string.Join(", ", Roles.Order(StringComparer.Ordinal).Select(Q));
        return ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp {
              hostname = {{Q(Host)}}
              port = {{Port.ToString(CultureInfo.InvariantCulture)}}
              applied-adapters = [{{string.Join(", ", Adapters.Select(Q))}}]
            }
            akka.cluster {
              roles = [{{roles}}]
              seed-nodes = [{{seeds}}]
            }
            """);
    }

    /// <summary>Akka.Cluster with the split brain resolver, a downed node shutting its system down.</summary>
    public Config DowningConfig() => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.cluster {
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver {
            active-strategy = {{Q(Strategy)}}
            stable-after = {{((long)StableAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}}ms
          }
          run-coordinated-shutdown-when-down = on
          down-removal-margin = {{((long)DownRemovalMargin.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}}ms
        }
        """);

    /// <summary>What the nodes need to read each other: Akka's JSON serializer closed to the wire, Datsync's wire reading
    /// what a cluster's nodes send (<c>datsync-wire.accept = cluster</c>; no transport guard: only the cluster's nodes
    /// reach the cluster transport).</summary>
    public static Config WireConfig { get; } = ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.json = "Datsync.Actors.Remote.JsonClosedToWire, Datsync.Actors"
          serialization-identifiers { "Datsync.Actors.Remote.JsonClosedToWire, Datsync.Actors" = 1 }
          serialization-settings.datsync-wire.accept = cluster
        }
        """);

    /// <summary>Refuses a cluster transport that carries the master's data in clear over a network: bound to an address
    /// other than loopback, it needs TLS both ways, or <c>allow-plain-transport = on</c>.</summary>
    /// <exception cref="ConfigurationException">Plain TCP on a non-loopback address.</exception>
    public void RequireSafeTransport(bool mutualTls)
    {
        if (mutualTls || AllowPlainTransport || DatsyncRemote.IsLoopback(Host)) return;
        throw new ConfigurationException(
            $"datsync.cluster.listen = {Host}:{Port} is not a loopback address, and the cluster transport has no TLS: the nodes " +
            "would exchange the master's data and transactions in clear. Give the cluster a certificate and the CA of every node's " +
            "(DatsyncClusterOptions.Tls, `datsync serve --cluster-cert ... --cluster-ca ...`), or set datsync.cluster.allow-plain-transport = on " +
            "on a network of trusted machines only");
    }
}
