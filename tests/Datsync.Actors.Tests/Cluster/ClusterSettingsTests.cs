using Akka.Configuration;
using Datsync.Actors.Cluster;
using Datsync.Actors.Remote;

namespace Datsync.Actors.Tests.Cluster;

/// <summary>What <c>datsync.cluster</c> says, and the refusals of what it must not say.</summary>
public class ClusterSettingsTests
{
    private static ClusterSettings Read(string hocon) => ClusterSettings.From(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void The_defaults_make_a_node_with_both_roles_that_forms_its_own_cluster_on_loopback()
    {
        var s = Read("");
        Assert.True(s.IsTransactor);
        Assert.True(s.IsGateway);
        Assert.Empty(s.Seeds);
        Assert.Equal("127.0.0.1", s.Host);
        Assert.Equal("keep-majority", s.Strategy);
        Assert.Equal(TimeSpan.FromSeconds(20), s.StableAfter);
        s.RequireSafeTransport(mutualTls: false); // loopback: nothing leaves the machine
    }

    [Fact]
    public void Roles_seeds_and_adapters_become_akka_clusters_own_settings()
    {
        var s = Read("""
            datsync.cluster { roles = [Gateway], seed-nodes = ["10.0.0.1:4054", "[::1]:4054"], listen = "10.0.0.2:4054",
              applied-adapters = [trttl], split-brain-resolver.stable-after = 3s }
            """);
        Assert.False(s.IsTransactor);
        Assert.True(s.IsGateway);
        var c = s.ToConfig(tls: false);
        Assert.Equal(["gateway"], c.GetStringList("akka.cluster.roles"));
        Assert.Equal(["akka.trttl.tcp://datsync-cluster@10.0.0.1:4054", "akka.trttl.tcp://datsync-cluster@[::1]:4054"],
            c.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("cluster", c.GetString("akka.actor.provider"));
        Assert.Equal(TimeSpan.FromSeconds(3), c.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal("Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster", c.GetString("akka.cluster.downing-provider-class"));
        Assert.True(c.GetBoolean("akka.cluster.run-coordinated-shutdown-when-down"));
        Assert.Equal(TimeSpan.FromSeconds(1), c.GetTimeSpan("akka.cluster.down-removal-margin"));
        Assert.Equal("cluster", c.GetString("akka.actor.serialization-settings.datsync-wire.accept"));
        Assert.Equal(4054, c.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("akka.ssl.tcp://datsync-cluster@10.0.0.1:4054", Read("datsync.cluster.seed-nodes = [\"10.0.0.1:4054\"]").ToConfig(tls: true)
            .GetStringList("akka.cluster.seed-nodes").Single());
    }

    [Theory]
    [InlineData("datsync.cluster.roles = [transactor, web]", "'web' is not a role")]
    [InlineData("datsync.cluster.roles = []", "datsync.cluster.roles is empty")]
    [InlineData("datsync.cluster.listen = \"nohost\"", "datsync.cluster.listen")]
    [InlineData("datsync.cluster.seed-nodes = [\"h:0\"]", "datsync.cluster.seed-nodes")]
    [InlineData("datsync.cluster.resend-after = 0s", "datsync.cluster.resend-after must be positive")]
    public void A_setting_that_cannot_be_used_is_refused_naming_it(string hocon, string named)
    {
        var e = Assert.Throws<ConfigurationException>(() => Read(hocon));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void A_cluster_transport_off_loopback_needs_tls_both_ways_or_an_explicit_yes()
    {
        var open = Read("datsync.cluster.listen = \"0.0.0.0:4054\"");
        var e = Assert.Throws<ConfigurationException>(() => open.RequireSafeTransport(mutualTls: false));
        Assert.Contains("0.0.0.0:4054", e.Message);
        Assert.Contains("allow-plain-transport", e.Message);
        open.RequireSafeTransport(mutualTls: true);
        Read("datsync.cluster { listen = \"0.0.0.0:4054\", allow-plain-transport = on }").RequireSafeTransport(mutualTls: false);
    }

    [Fact]
    public void A_replica_takes_a_list_of_gateways()
    {
        Assert.Equal(["a:1", "[::1]:2", "c:3"], DatsyncRemote.ParseServers(" a:1, [::1]:2 ,c:3"));
        Assert.Throws<FormatException>(() => DatsyncRemote.ParseServers(" , "));
        Assert.Contains("b", Assert.Throws<FormatException>(() => DatsyncRemote.ParseServers("a:1,b")).Message);
        Assert.Throws<FormatException>(() => DatsyncRemote.ParseServers(string.Join(",", Enumerable.Range(1, 65).Select(i => $"h:{i}"))));
    }
}
