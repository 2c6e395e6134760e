using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Datsync.Actors.Cluster;
using Datsync.Actors.Remote;
using Datsync.Actors.Storage;
using Datsync.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using static Datsync.Actors.Hosting.Tests.Hosts;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>A master on Akka.Cluster in a .NET host: bound from <c>Datsync:Master:Cluster</c> by <c>AddDatsync</c>, or a
/// node in the application's own Akka.Hosting actor system (<c>WithDatsyncClusterNode</c>). Each a single-node cluster on
/// SQLite (transactor and gateway), on loopback, port 0.</summary>
public sealed class ClusterHostingTests
{
    private const string Ivan = """[{:db/id "ivan" :person/email "ivan@example.org" :person/name "Ivan"}]""";

    [Fact]
    public async Task A_master_bound_from_Datsync_Master_Cluster_starts_a_cluster_node_whose_gateway_serves_a_replica_the_hosts_writes()
    {
        using var dir = new TempDir();
        var name = UniqueName();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Storage:Kind"] = "sqlite",
            ["Datsync:Master:Storage:DataDirectory"] = dir.Path,
            ["Datsync:Master:Storage:SqliteFileName"] = "cluster.db",
            ["Datsync:Master:Listen"] = "127.0.0.1:0",
            ["Datsync:Master:Cluster:Listen"] = "127.0.0.1:0",
            ["Datsync:Master:Cluster:Roles:0"] = "transactor",
            ["Datsync:Master:Cluster:Roles:1"] = "gateway",
            ["Datsync:Master:Cluster:StableAfter"] = "00:00:07",
        });
        await host.StartAsync().WaitAsync(TestTimeout);
        var master = host.Services.GetRequiredService<DatsyncMaster>();

        // the options reached a cluster node: its own system on Akka.Cluster, with the bound roles and stable-after
        var cluster = master.Node.ClusterSystem;
        Assert.NotNull(cluster);
        Assert.Equal("datsync-cluster", cluster.Name);
        var config = cluster.Settings.Config;
        Assert.Equal(["gateway", "transactor"], config.GetStringList("akka.cluster.roles").Order());
        Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal("cluster", config.GetString("akka.actor.serialization-settings.datsync-wire.accept"));
        Assert.Contains(Akka.Cluster.Cluster.Get(cluster).SelfRoles, r => r == "transactor");
        Assert.Equal(name, master.System.Name); // the gateway's server, in a system of its own
        Assert.NotNull(master.ListeningAt);
        Assert.True(File.Exists(Path.Combine(dir.Path, "cluster.db")));

        var connection = host.Services.GetRequiredService<IDatsyncConnection>(); // the node's master
        await connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        var added = await connection.TransactAsync(Ivan).WaitAsync(TestTimeout);
        var ivan = added.Tempid("ivan");

        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "cluster-replica",
            Server = master.ListeningAt,
            ServerSystemName = name,
        }).WaitAsync(TestTimeout);
        var seen = await replica.SyncAsync(added.T).WaitAsync(TestTimeout);
        Assert.Equal("Ivan", seen.Entity(ivan)![":person/name"]);

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestTimeout);
        Assert.Equal(HealthStatus.Healthy, health.Entries["datsync-master"].Status);
        Assert.Equal(added.T, health.Entries["datsync-master"].Data["t"]);

        await host.StopAsync().WaitAsync(TestTimeout);
        await cluster.WhenTerminated.WaitAsync(TestTimeout); // both systems end with the host
        await master.System.WhenTerminated.WaitAsync(TestTimeout);
    }

    private static IHost AkkaHost(DatsyncMasterOptions options, string[] roles, string systemName = "datsync-cluster")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(systemName, (akka, _) => akka
                .WithRemoting("127.0.0.1", 0)
                .WithClustering(new ClusterOptions { Roles = roles })
                .WithDatsyncClusterNode(options))
            .AddDatsyncClusterConnection()
            .AddHealthChecks().AddDatsyncClusterNode();
        return builder.Build();
    }

    private static DatsyncMasterOptions SqliteNode(TempDir dir, string name) => new()
    {
        Name = name,
        Storage = { Kind = "sqlite", DataDirectory = dir.Path, SqliteFileName = "hosted-cluster.db" },
        Listen = "127.0.0.1:0",
    };

    [Fact]
    public async Task A_node_in_the_applications_Akka_Hosting_system_transacts_through_DI_and_its_gateway_serves_a_replica_the_same_value()
    {
        using var dir = new TempDir();
        var name = UniqueName();
        using var host = AkkaHost(SqliteNode(dir, name), ["transactor", "gateway"], systemName: "shop"); // any name
        await host.StartAsync().WaitAsync(TestTimeout);

        // the application's system is the node: WithClustering's roles, Datsync's wire over the application's HOCON
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("shop", system.Name);
        var config = system.Settings.Config;
        Assert.Equal(["gateway", "transactor"], config.GetStringList("akka.cluster.roles").Order());
        Assert.Equal("cluster", config.GetString("akka.actor.serialization-settings.datsync-wire.accept"));
        Assert.StartsWith("Datsync.Actors.Remote.JsonClosedToWire", config.GetString("akka.actor.serializers.json"));
        Assert.Equal("sqlite", StorageOptions.FromConfig(config).Kind);
        await system.ActorSelection($"/user/{ClusterRuntime.ManagerName}/{ClusterRuntime.SingletonName}") // the singleton transactor is here
            .ResolveOne(TestTimeout).WaitAsync(TestTimeout);

        var connection = host.Services.GetRequiredService<IDatsyncConnection>();
        await connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        var added = await connection.TransactAsync(Ivan).WaitAsync(TestTimeout);
        var ivan = added.Tempid("ivan");
        Assert.Equal("Ivan", connection.Db.Entity(ivan)![":person/name"]);

        var master = host.Services.GetRequiredService<DatsyncMaster>();
        Assert.Same(master, ((ClusterNodeConnection)connection).Master);
        Assert.Equal(name, master.System.Name); // the gateway's own system
        Assert.NotEqual(system, master.System);
        Assert.NotNull(master.ListeningAt);
        Assert.NotEqual(DatsyncRemote.ListeningAt(system), master.ListeningAt); // replicas never reach the cluster's port

        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "akka-hosting-replica",
            Server = master.ListeningAt,
            ServerSystemName = name,
        }).WaitAsync(TestTimeout);
        var seen = await replica.SyncAsync(added.T).WaitAsync(TestTimeout);
        Assert.Equal("Ivan", seen.Entity(ivan)![":person/name"]);

        // a write through the replica reaches the DI connection too
        var renamed = await replica.TransactAsync("""[{:person/email "ivan@example.org" :person/name "Ivan the Second"}]""").WaitAsync(TestTimeout);
        var after = await connection.SyncAsync(renamed.T).WaitAsync(TestTimeout);
        Assert.Equal("Ivan the Second", after.Entity(ivan)![":person/name"]);

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestTimeout);
        Assert.Equal(HealthStatus.Healthy, health.Entries["datsync-master"].Status);
        Assert.Equal(renamed.T, health.Entries["datsync-master"].Data["t"]);

        await host.StopAsync().WaitAsync(TestTimeout);
        await system.WhenTerminated.WaitAsync(TestTimeout);
        await master.System.WhenTerminated.WaitAsync(TestTimeout); // the gateway's system ends with the node
    }

    [Fact]
    public async Task A_transactor_only_node_in_an_Akka_Hosting_system_transacts_through_DI_without_a_server_and_stops_with_the_host()
    {
        using var dir = new TempDir();
        using var host = AkkaHost(SqliteNode(dir, UniqueName()), ["transactor"]);
        await host.StartAsync().WaitAsync(TestTimeout);
        var connection = host.Services.GetRequiredService<IDatsyncConnection>();
        await connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        var added = await connection.TransactAsync(Ivan).WaitAsync(TestTimeout);
        Assert.Equal("Ivan", connection.Db.Entity(added.Tempid("ivan"))![":person/name"]);
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Same(system, master.System); // no gateway: no system of its own
        Assert.Null(master.Node.ClusterSystem);
        await host.StopAsync().WaitAsync(TestTimeout);
        await system.WhenTerminated.WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Disconnected, connection.Status.Connection); // stopped in the coordinated shutdown
    }

    [Fact]
    public async Task A_node_whose_Akka_Hosting_system_has_no_Datsync_role_does_not_start_and_its_connection_says_why()
    {
        using var dir = new TempDir();
        using var host = AkkaHost(SqliteNode(dir, UniqueName()), ["web"]);
        var failed = await Assert.ThrowsAsync<Akka.Configuration.ConfigurationException>(() => host.StartAsync().WaitAsync(TestTimeout));
        Assert.Contains("akka.cluster.roles", failed.Message); // the host's start fails with the reason
        var connection = host.Services.GetRequiredService<IDatsyncConnection>();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => connection.TransactAsync("[]"));
        Assert.Contains("akka.cluster.roles", e.Message);
        Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<DatsyncMaster>());
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestTimeout);
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["datsync-master"].Status);
        Assert.Contains("akka.cluster.roles", health.Entries["datsync-master"].Description);
        await host.StopAsync().WaitAsync(TestTimeout);
        await host.Services.GetRequiredService<ActorSystem>().WhenTerminated.WaitAsync(TestTimeout);
    }

    [Fact]
    public void The_cluster_transport_seeds_roles_and_TLS_belong_to_WithRemoting_and_WithClustering()
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "datsync-cluster");
        foreach (var cluster in new[]
                 {
                     new DatsyncClusterOptions { Listen = "127.0.0.1:0" },
                     new DatsyncClusterOptions { SeedNodes = ["127.0.0.1:9000"] },
                     new DatsyncClusterOptions { Roles = ["gateway"] },
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => builder.WithDatsyncClusterNode(new DatsyncMasterOptions { Cluster = cluster }));
            Assert.Contains("WithClustering", e.Message);
        }
        builder.WithDatsyncClusterNode(new DatsyncMasterOptions
        {
            Storage = { Kind = "memory" },
            Cluster = new DatsyncClusterOptions { StableAfter = TimeSpan.FromSeconds(3) },
        });
        var config = builder.Configuration.Value;
        Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.False(config.HasPath("akka.cluster.seed-nodes")); // nor does the node's HOCON set them
        Assert.False(config.HasPath("akka.remote.dot-netty.tcp.hostname"));

        var services = new ServiceCollection();
        services.AddDatsyncClusterConnection();
        Assert.Throws<InvalidOperationException>(() => services.AddDatsyncClusterConnection()); // one connection a host
    }
}
