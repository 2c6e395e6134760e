using Akka.Actor;
using Akka.Hosting;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>TLS options bound from <c>IConfiguration</c>: a hosted master requiring client certificates, and a hosted
/// replica of it in another host that presents one.</summary>
public sealed class HostTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static IHost Build(IDictionary<string, string?> settings, bool master)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddDatsync(builder.Configuration);
        builder.Services.AddAkka(master ? "datsync" : "web", (akka, sp) =>
        {
            akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend);
            if (master)
            {
                akka.AddHocon(DatsyncRemote.RemoteConfig("127.0.0.1", 0), HoconAddMode.Prepend);
                akka.WithDatsyncMaster(sp.GetRequiredService<IOptions<DatsyncMasterOptions>>().Value);
            }
            else akka.WithDatsyncReplica(sp.GetRequiredService<IOptions<DatsyncReplicaOptions>>().Value);
        });
        return builder.Build();
    }

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

        using var masterHost = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Master:Tls:CertificatePath"] = files.ServerPfx,
            ["Datsync:Master:Tls:PasswordFile"] = files.PasswordFile,
            ["Datsync:Master:Tls:ClientCaPath"] = files.CaCertificate,
        }, master: true);
        await masterHost.StartAsync().WaitAsync(Timeout);
        var masterSystem = masterHost.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("akka.ssl.tcp", ((ExtendedActorSystem)masterSystem).Provider.DefaultAddress.Protocol);
        var transactor = await ActorRegistry.For(masterSystem).GetAsync<DatsyncMasterKey>().WaitAsync(Timeout);
        var schema = await transactor.Ask(new Transact("schema", (IReadOnlyList<object?>)EdnReader.Read(
            "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]")!), Timeout);
        Assert.IsType<TxAccepted>(schema);

        using var replicaHost = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "web-1",
            ["Datsync:Replica:Server"] = DatsyncRemote.ListeningAt(masterSystem),
            ["Datsync:Replica:Tls:CaPath"] = files.CaCertificate,
            ["Datsync:Replica:Tls:CertificatePath"] = files.ClientPfx,
            ["Datsync:Replica:Tls:PasswordFile"] = files.PasswordFile,
        }, master: false);
        await replicaHost.StartAsync().WaitAsync(Timeout);
        var replica = await replicaHost.Services.GetRequiredService<DatsyncReplicaProvider>().GetReadyAsync().WaitAsync(Timeout);
        Assert.Equal(1, replica.Status.BasisT);
        var added = await replica.TransactAsync("""[{:db/id "a" :person/name "A"}]""").WaitAsync(Timeout);
        Assert.Equal("A", replica.Db.Entity(added.Tempids["a"])![":person/name"]);

        await replicaHost.StopAsync().WaitAsync(Timeout);
        await masterHost.StopAsync().WaitAsync(Timeout);
    }
}
