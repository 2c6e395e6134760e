using Datsync.Actors;
using Datsync.Actors.Remote;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>Nodes of one master on Akka.Cluster, each an actor system pair of this process on loopback, port 0 (the
/// pattern of Akka.NET's own singleton specs), over one PostgreSQL database.</summary>
internal sealed class ClusterNodes(string connectionString) : IAsyncDisposable
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Quick failure detection and a short stable-after, so a lost node is downed within seconds.</summary>
    public const string Quick = Remote.RemoteTesting.Quick + "\n" + """
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.failure-detector.threshold = 8
        akka.cluster.singleton.hand-over-retry-interval = 500ms
        akka.cluster.singleton-proxy.singleton-identification-interval = 500ms
        akka.remote.retry-gate-closed-for = 500ms
        datsync.cluster.mirror-connection-timeout = 3s
        datsync.cluster.resend-after = 1s
        datsync.cluster.lock-retry = 250ms
        """;

    private readonly List<DatsyncMaster> _nodes = new();
    private readonly List<IAsyncDisposable> _others = new();

    public IReadOnlyList<DatsyncMaster> Nodes => _nodes;

    /// <summary>host:port of the first node's cluster transport (the seed of the others).</summary>
    public string? Seed { get; private set; }

    /// <summary>Starts a node with <paramref name="roles"/> and waits until it holds the master's value.</summary>
    public async Task<DatsyncMaster> StartAsync(string roles = "transactor,gateway", string hocon = "")
    {
        var options = Options(roles, hocon);
        var node = await DatsyncNode.StartMasterAsync(options).WaitAsync(Long);
        _nodes.Add(node);
        Seed ??= ClusterAddressOf(node);
        return node;
    }

    public DatsyncMasterOptions Options(string roles, string hocon = "") => new()
    {
        Storage = { Kind = "postgres", PostgresConnectionString = connectionString },
        Listen = "127.0.0.1:0",
        Cluster = new DatsyncClusterOptions
        {
            Listen = "127.0.0.1:0",
            SeedNodes = Seed is null ? [] : [Seed],
            Roles = roles.Split(',').ToList(),
            StableAfter = TimeSpan.FromSeconds(2),
        },
        Hocon = hocon + "\n" + Quick,
    };

    public static string ClusterAddressOf(DatsyncMaster node) => DatsyncRemote.ListeningAt(node.Node.ClusterSystem ?? node.System);

    /// <summary>host:port of the gateways replicas connect to, comma-separated.</summary>
    public string Gateways(params DatsyncMaster[] nodes) => string.Join(",", nodes.Select(n => n.ListeningAt));

    /// <summary>A replica of the cluster in an actor system of its own, connected to <paramref name="gateways"/>.</summary>
    public async Task<DatsyncReplica> ReplicaAsync(string clientId, string gateways, string hocon = "")
    {
        var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = clientId,
            Server = gateways,
            Hocon = hocon + "\n" + Remote.RemoteTesting.Quick,
        }).WaitAsync(Long);
        _others.Add(replica);
        return replica;
    }

    /// <summary>The node whose system runs the cluster's transactor now.</summary>
    public DatsyncMaster? TransactorNode() => _nodes.FirstOrDefault(n =>
    {
        var system = n.Node.ClusterSystem ?? n.System;
        return !system.WhenTerminated.IsCompleted && Akka.Cluster.Cluster.Get(system) is { } c && c.State.Leader is not null
               && system.ActorSelection($"/user/{Actors.Cluster.ClusterRuntime.ManagerName}/{Actors.Cluster.ClusterRuntime.SingletonName}")
                   .ResolveOne(TimeSpan.FromSeconds(3)).ContinueWith(t => t.IsCompletedSuccessfully).Result;
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var o in _others) await o.DisposeAsync();
        foreach (var n in _nodes) await n.DisposeAsync().AsTask().WaitAsync(Long);
    }
}
