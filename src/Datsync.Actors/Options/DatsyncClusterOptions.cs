using System.Text;

namespace Datsync.Actors;

/// <summary>
/// A master on Akka.Cluster (<c>datsync.cluster</c>), as plain properties that bind from an <c>IConfiguration</c>
/// section such as <c>Datsync:Master:Cluster</c>; set on <see cref="DatsyncMasterOptions.Cluster"/>. Every node runs the
/// same options but for its own <see cref="Listen"/> and <see cref="Roles"/>: the oldest <c>transactor</c> node runs the
/// cluster's one transactor over the shared journal (PostgreSQL), and every <c>gateway</c> node takes replicas'
/// connections on <see cref="DatsyncMasterOptions.Listen"/> and feeds their sessions from its own copy of the master.
/// Properties left null keep the HOCON beneath (the library's <c>reference.conf</c> in the end).
/// </summary>
public sealed class DatsyncClusterOptions
{
    /// <summary><c>host:port</c> of this node's cluster transport, for the cluster's nodes only (port 0: any free
    /// port; <c>datsync.cluster.listen</c>).</summary>
    public string? Listen { get; set; }

    /// <summary><c>host:port</c> of the nodes to join (<c>datsync.cluster.seed-nodes</c>); empty: this node starts the
    /// cluster.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>This node's roles, <c>transactor</c> and/or <c>gateway</c> (<c>datsync.cluster.roles</c>); empty: the
    /// HOCON's (both by default).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>How long the split brain resolver waits for the membership to be stable before it downs the minority
    /// (<c>datsync.cluster.split-brain-resolver.stable-after</c>).</summary>
    public TimeSpan? StableAfter { get; set; }

    /// <summary>TLS of the cluster transport, both ways: this node's certificate (<see cref="TlsOptions.CertificatePath"/>)
    /// and the CA that signed every node's (<see cref="TlsOptions.ClientCaPath"/>). Required when
    /// <see cref="Listen"/> is not a loopback address, unless <c>datsync.cluster.allow-plain-transport = on</c>.</summary>
    public TlsOptions? Tls { get; set; }

    internal void AppendHocon(StringBuilder hocon)
    {
        HoconWriter.Set(hocon, "datsync.cluster.listen", Listen);
        if (SeedNodes is { Count: > 0 }) HoconWriter.SetList(hocon, "datsync.cluster.seed-nodes", SeedNodes);
        if (Roles is { Count: > 0 }) HoconWriter.SetList(hocon, "datsync.cluster.roles", Roles);
        HoconWriter.Set(hocon, "datsync.cluster.split-brain-resolver.stable-after", StableAfter);
    }
}
