using Datsync.Actors;
using Datsync.Actors.Remote;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cluster;

/// <summary>The cluster transport over TLS both ways: nodes with certificates of the cluster's CA form the cluster and
/// replicate; a node whose certificate another CA signed never becomes a member.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTlsTests(PostgresFixture pg) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-cluster-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Action<DatsyncMasterOptions> Tls(DevCertificateFiles files) => o => o.Cluster!.Tls = new TlsOptions
    {
        CertificatePath = files.ServerPfx, PasswordFile = files.PasswordFile, ClientCaPath = files.CaCertificate,
    };

    [Fact]
    public async Task Nodes_with_the_clusters_certificates_replicate_and_a_node_of_another_ca_never_joins()
    {
        var ours = DevCertificates.Write(Path.Combine(_dir, "ours"));
        var other = DevCertificates.Write(Path.Combine(_dir, "other"));
        await using var cluster = new ClusterNodes(await pg.CreateDatabaseAsync());
        var a = await cluster.StartAsync(configure: Tls(ours));
        var b = await cluster.StartAsync("gateway", configure: Tls(ours));
        Assert.StartsWith("akka.ssl.tcp://", Akka.Cluster.Cluster.Get(ClusterNodes.ClusterSystemOf(b)).SelfAddress.ToString());

        await a.TransactAsync("[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]").WaitAsync(ClusterNodes.Long);
        var r = await cluster.ReplicaAsync("r", cluster.Gateways(b));
        var w = await a.TransactAsync("[{:person/name \"Ivan\"}]").WaitAsync(ClusterNodes.Long);
        await r.SyncAsync(w.T).WaitAsync(ClusterNodes.Long);
        Assert.Contains(r.SyncedDb.Datoms(Datsync.Core.IndexType.Eavt), d => Equals(d.V, "Ivan"));

        // a node with a certificate of another CA: the members refuse its TLS handshake, it never joins
        var options = cluster.Options("gateway");
        Tls(other)(options);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await DatsyncNode.StartMasterAsync(options, giveUp.Token));
        Assert.True(refused is OperationCanceledException or Akka.Configuration.ConfigurationException or InvalidOperationException, refused.ToString());
        Assert.Equal(2, Akka.Cluster.Cluster.Get(ClusterNodes.ClusterSystemOf(a)).State.Members.Count);
    }
}
