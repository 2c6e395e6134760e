using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;

namespace Datsync.Actors.Cluster;

/// <summary>
/// Starts one node of a master on Akka.Cluster (<see cref="DatsyncMasterOptions.Cluster"/>).
/// <para>The node's actor system (<c>datsync.cluster.system-name</c>, on the cluster transport, which only the nodes
/// reach) joins the cluster. On a <c>transactor</c> node it runs a <see cref="ClusterSingletonManager"/> of the
/// <see cref="MasterSingletonActor"/> (role transactor: the oldest such node runs the transactor); on every node the
/// singleton's proxy, the node's log listener and its <see cref="NodeMasterActor"/> (the node's copy of the master).</para>
/// <para>A <c>gateway</c> node runs, in an actor system of its own named <see cref="DatsyncMasterOptions.Name"/>, the
/// server replicas connect to (on <see cref="DatsyncMasterOptions.Listen"/>), exactly as a master in one process does
/// (the same transport guard, client list, tokens, TLS and scopes), its sessions fed by the node's master. The two systems
/// end together: a node the split brain resolver downs stops its server too, and its replicas connect to another
/// gateway.</para>
/// <para>Why one session per connection, on the node the replica reached (rather than Cluster Sharding by client id):
/// a session holds only what its replica's stream needs (its t, its bootstrap, recent outcomes), all of which the
/// replica's next handshake rebuilds on any node, and the transactor alone decides what a request id committed. Sharding
/// would put a session on a node the replica is not connected to, one more hop for every delta, and move it when nodes
/// change, for no state worth keeping.</para>
/// </summary>
internal static class ClusterRuntime
{
    /// <summary>The name of the singleton manager (<c>/user/datsync-master</c>), on every transactor node.</summary>
    public const string ManagerName = "datsync-master";

    /// <summary>The singleton's name under its manager.</summary>
    public const string SingletonName = "transactor";

    /// <summary>The name of every node's master (<c>/user/datsync-node</c>).</summary>
    public const string NodeMasterName = "datsync-node";

    /// <summary>
    /// Starts a node's actors in <paramref name="system"/>, an actor system on Akka.Cluster (made by
    /// <see cref="Start"/>, or the host's, configured with Akka.Cluster.Hosting) whose configuration holds the storage's
    /// HOCON and reads the cluster's wire (<see cref="ClusterSettings.ToConfig"/>): on a transactor node the singleton's
    /// manager, on every node the singleton's proxy, the node's log listener and its master. The node's master, for its
    /// server and its connection.
    /// </summary>
    public static MasterHandle StartNode(ActorSystem system, ClusterSettings settings)
    {
        DatsyncConfig.Install(system);
        var config = system.Settings.Config;
        var masterSettings = MasterSettings.From(config);
        // one set of scopes per node: its server's, and its transactor's while the singleton runs here (the cluster's
        // transactor replaces them on every node)
        var scopes = masterSettings.Scopes is { } s ? new ScopesInForce(s) : null;
        masterSettings = masterSettings with { InForce = scopes };
        var sessions = SessionSettings.From(config);
        if (settings.IsTransactor)
            system.ActorOf(ClusterSingletonManager.Props(MasterSingletonActor.Props(masterSettings, sessions, settings), PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(ClusterRoles.Transactor).WithSingletonName(SingletonName)), ManagerName);
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/" + ManagerName,
            ClusterSingletonProxySettings.Create(system).WithRole(ClusterRoles.Transactor).WithSingletonName(SingletonName)), ManagerName + "-proxy");
        var health = new MasterHealth(ReplicaSettings.ReportBufferOf(config));
        var listener = system.ActorOf(TxListenerActor.Props(masterSettings), "datsync-node-log");
        var node = system.ActorOf(NodeMasterActor.Props(proxy, listener, ReplicaSettings.From(config), settings, health, scopes), NodeMasterName);
        return new MasterHandle(node, listener) { Health = health, Scopes = scopes, ClusterNode = node };
    }

    /// <summary>A gateway's server, in an actor system of its own named <see cref="DatsyncMasterOptions.Name"/> (on
    /// Akka.Remote at <see cref="DatsyncMasterOptions.Listen"/> when set, TLS with <see cref="DatsyncMasterOptions.Tls"/>),
    /// configured by <paramref name="top"/> as a master's server is (client list, scopes, session settings), its
    /// sessions fed by the node's <paramref name="master"/>.</summary>
    public static MasterSystem StartGateway(MasterHandle master, DatsyncMasterOptions options, Config top, Akka.Actor.Setup.Setup? setup)
    {
        if (options.Listen is { } listen)
        {
            var (host, port) = DatsyncRemote.ParseHostPort(listen, anyPort: true);
            top = DatsyncRemote.RemoteConfig(host, port).WithFallback(top); // Listen is the gateway's address
        }
        var serverTls = options.Tls is { IsEnabled: true } tls ? tls.ForServer() : null;
        var config = (serverTls?.ToConfig() ?? Config.Empty).WithFallback(top)
            .WithFallback(WireSecurity.ForServer(options.ServerName)).WithFallback(DatsyncConfig.Default);
        var edge = DatsyncRemote.CreateSystem(options.Name, config, serverTls, setup);
        try
        {
            var server = MasterRuntime.StartServer(edge, master, SessionSettings.From(config), ClientAccess.From(config), options.ServerName);
            master.ClusterNode?.Tell(new NodeMasterActor.GatewayServer(server)); // the cluster's scope replacements rescope its clients
            return new MasterSystem(edge, master, server, config);
        }
        catch
        {
            edge.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>Starts a node from <paramref name="options"/>: its actor system on the cluster transport (joining the
    /// seeds, or forming a cluster when there are none), <see cref="StartNode"/>, and on a gateway the server's system.</summary>
    /// <exception cref="ConfigurationException">Bad cluster settings, or plain TCP on a non-loopback cluster address.</exception>
    /// <exception cref="TlsSetupException">A TLS file cannot be used.</exception>
    public static MasterSystem Start(DatsyncMasterOptions options, Config? beneath, Akka.Actor.Setup.Setup? setup)
    {
        var top = beneath is null ? options.ToConfig() : options.ToConfig().WithFallback(beneath);
        var settings = ClusterSettings.From(top);
        var clusterTls = options.Cluster?.Tls is { IsEnabled: true } t ? t.ForServer() : null;
        if (clusterTls is not null && string.IsNullOrWhiteSpace(clusterTls.ClientCaPath))
            throw new TlsSetupException("the cluster transport's TLS goes both ways: give the CA that signed every node's certificate (ClientCaPath, --cluster-ca)");
        settings.RequireSafeTransport(clusterTls is not null);
        var storage = options.SelectStorage(beneath);
        // the cluster transport's address, roles and seeds are datsync.cluster's, over whatever else the configuration says
        // of Akka.Remote (a file's akka.remote address is the gateway's, not the cluster's)
        var config = (clusterTls?.ToConfig() ?? Config.Empty).WithFallback(settings.TransportConfig(clusterTls is not null)).WithFallback(top)
            .WithFallback(settings.DowningConfig()).WithFallback(ClusterSettings.WireConfig)
            .WithFallback(storage.ToConfig()).WithFallback(DatsyncConfig.Default);
        var system = DatsyncRemote.CreateSystem(settings.SystemName, config, clusterTls, setup);
        ActorSystem? edge = null;
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            if (settings.Seeds.Count == 0) cluster.Join(cluster.SelfAddress); // the first node: a cluster of its own
            var handle = StartNode(system, settings);
            if (!settings.IsGateway)
                return new MasterSystem(system, handle, ActorRefs.Nobody, system.Settings.Config);

            var gateway = StartGateway(handle, options, top, setup);
            edge = gateway.System;
            // one node, two systems: they end together (a downed node's replicas go to another gateway)
            var edgeSystem = edge;
            system.RegisterOnTermination(() => _ = edgeSystem.Terminate());
            edge.RegisterOnTermination(() => _ = system.Terminate());
            return gateway with { ClusterSystem = system };
        }
        catch
        {
            edge?.Terminate().Wait(TimeSpan.FromSeconds(10));
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }
}
