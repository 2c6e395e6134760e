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
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 4s
        akka.cluster.failure-detector.threshold = 12
        akka.cluster.split-brain-resolver.down-all-when-unstable = off
        akka.cluster.singleton.hand-over-retry-interval = 500ms
        akka.cluster.singleton-proxy.singleton-identification-interval = 500ms
        akka.remote.retry-gate-closed-for = 500ms
        datsync.cluster.mirror-connection-timeout = 3s
        datsync.cluster.resend-after = 1s
        datsync.cluster.lock-retry = 250ms
        """;

    private readonly List<DatsyncMaster> _nodes = new();
    // the gateways' server name, the cluster's own: a master of another test in this process keeps the default one
    private readonly string _name = "cluster-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IAsyncDisposable> _others = new();

    public IReadOnlyList<DatsyncMaster> Nodes => _nodes;

    /// <summary>host:port of the first node's cluster transport (the seed of the others).</summary>
    public string? Seed { get; private set; }

    /// <summary>Starts a node with <paramref name="roles"/> and waits until it holds the master's value.</summary>
    public async Task<DatsyncMaster> StartAsync(string roles = "transactor,gateway", string hocon = "", Action<DatsyncMasterOptions>? configure = null)
    {
        var options = Options(roles, hocon);
        configure?.Invoke(options);
        var node = await DatsyncNode.StartMasterAsync(options).WaitAsync(Long);
        _nodes.Add(node);
        Seed ??= ClusterAddressOf(node);
        // every node sees every node up (the membership converged), as before any fault a test makes
        await Waits.Until(() => _nodes.All(n =>
            {
                var state = Akka.Cluster.Cluster.Get(ClusterSystemOf(n)).State;
                return state.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == _nodes.Count && state.Unreachable.Count == 0;
            }), Long, () => $"{_nodes.Count} nodes up on every node");
        return node;
    }

    public DatsyncMasterOptions Options(string roles, string hocon = "") => new()
    {
        Name = _name,
        Storage = { Kind = "postgres", PostgresConnectionString = connectionString },
        Listen = "127.0.0.1:0",
        Cluster = new DatsyncClusterOptions
        {
            Listen = "127.0.0.1:0",
            SeedNodes = Seed is null ? [] : [Seed],
            Roles = roles.Split(',').ToList(),
            StableAfter = TimeSpan.FromSeconds(2),
        },
        Hocon = hocon + "\n" + Quick + (Environment.GetEnvironmentVariable("DATSYNC_CLUSTER_TEST_LOG") is { Length: > 0 } level
            ? $"\nakka.loglevel = {level}\nakka.stdout-loglevel = {level}" : ""),
    };

    /// <summary>HOCON of a node that can be stopped as if its process died (no leaving, no hand-over) and cut off from the
    /// others (the cluster transport behind Akka.Remote's throttler).</summary>
    public const string Killable = """
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        datsync.cluster.applied-adapters = [trttl]
        """;

    /// <summary>The node's actor system on Akka.Cluster.</summary>
    public static Akka.Actor.ActorSystem ClusterSystemOf(DatsyncMaster node) => node.Node.ClusterSystem ?? node.System;

    /// <summary>Stops <paramref name="node"/> as if its process died: started with <see cref="Killable"/>, its systems
    /// terminate without leaving the cluster; the others find it unreachable and the split brain resolver downs it.</summary>
    public static async Task KillAsync(DatsyncMaster node)
    {
        await ClusterSystemOf(node).Terminate().WaitAsync(Long);
        await node.System.WhenTerminated.WaitAsync(Long);
    }

    /// <summary>Cuts every link between <paramref name="side"/> and <paramref name="others"/>, both ways (nodes started
    /// with <see cref="Killable"/>).</summary>
    public static async Task PartitionAsync(DatsyncMaster side, params DatsyncMaster[] others)
    {
        // every link cut at once: a link left open a moment longer would carry one side's view of the other (the split
        // brain resolver then takes the nodes it reaches indirectly for unstable, and downs them too)
        static Task Cut(DatsyncMaster from, DatsyncMaster to)
        {
            var system = (Akka.Actor.ExtendedActorSystem)ClusterSystemOf(from);
            var transport = ((Akka.Remote.RemoteActorRefProvider)system.Provider).Transport;
            var target = Akka.Cluster.Cluster.Get(ClusterSystemOf(to)).SelfAddress;
            return transport.ManagementCommand(new Akka.Remote.Transport.SetThrottle(target, Akka.Remote.Transport.ThrottleTransportAdapter.Direction.Both,
                Akka.Remote.Transport.Blackhole.Instance));
        }
        await Task.WhenAll(others.SelectMany(o => new[] { Cut(side, o), Cut(o, side) })).WaitAsync(Long);
    }

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
            ServerSystemName = _name,
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
