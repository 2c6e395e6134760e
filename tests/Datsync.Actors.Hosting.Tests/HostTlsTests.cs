using Akka.Actor;
using Datsync.Actors.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Datsync.Actors.Hosting.Tests.Hosts;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>TLS options bound from <c>IConfiguration</c>: a hosted master requiring client certificates, and a hosted
/// replica of it in another host that presents one.</summary>
public sealed class HostTlsTests
{
    [Fact]
    public async Task A_hosted_master_over_mutual_tls_serves_a_hosted_replica_with_a_client_certificate()
    {
        using var dir = new TempDir();
        var files = DevCertificates.Write(Path.Combine(dir.Path, "tls"));
        var masterOptions = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Datsync:Master:Tls:CertificatePath"] = files.ServerPfx,
            ["Datsync:Master:Tls:PasswordFile"] = files.PasswordFile,
            ["Datsync:Master:Tls:ClientCaPath"] = files.CaCertificate,
        }).Build().GetSection(DatsyncMasterOptions.SectionName).Get<DatsyncMasterOptions>()!;
        Assert.Equal(files.ServerPfx, masterOptions.Tls!.CertificatePath);
        Assert.True(masterOptions.Tls.ForServer().Mutual);

        var name = UniqueName();
        using var masterHost = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Listen"] = "127.0.0.1:0",
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Master:Hocon"] = "akka.loglevel = WARNING",
            ["Datsync:Master:Tls:CertificatePath"] = files.ServerPfx,
            ["Datsync:Master:Tls:PasswordFile"] = files.PasswordFile,
            ["Datsync:Master:Tls:ClientCaPath"] = files.CaCertificate,
        });
        await masterHost.StartAsync().WaitAsync(TestTimeout);
        var master = masterHost.Services.GetRequiredService<DatsyncMaster>();
        Assert.Equal("akka.ssl.tcp", ((ExtendedActorSystem)master.System).Provider.DefaultAddress.Protocol);
        var schema = await master.TransactAsync("[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]")
            .WaitAsync(TestTimeout);

        using var replicaHost = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "web-1",
            ["Datsync:Replica:Server"] = master.ListeningAt,
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:Hocon"] = "akka.loglevel = WARNING",
            ["Datsync:Replica:Tls:CaPath"] = files.CaCertificate,
            ["Datsync:Replica:Tls:CertificatePath"] = files.ClientPfx,
            ["Datsync:Replica:Tls:PasswordFile"] = files.PasswordFile,
        });
        await replicaHost.StartAsync().WaitAsync(TestTimeout);
        var replica = replicaHost.Services.GetRequiredService<IDatsyncConnection>();
        await replica.SyncAsync(schema.T).WaitAsync(TestTimeout);
        Assert.Equal(schema.T, replica.Status.BasisT);
        var added = await replica.TransactAsync("""[{:db/id "a" :person/name "A"}]""").WaitAsync(TestTimeout);
        Assert.Equal("A", replica.Db.Entity(added.Tempid("a"))![":person/name"]);

        await replicaHost.StopAsync().WaitAsync(TestTimeout);
        await masterHost.StopAsync().WaitAsync(TestTimeout);
    }
}
