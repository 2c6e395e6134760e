using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Remote;

/// <summary>The README's "Across machines" example, kept working: a master and a replica in two actor systems over
/// Akka.Remote with TLS and a client token, on loopback here (the README's addresses, token and files are this test's
/// own).</summary>
[Collection(DefaultMasterName.Name)]
public sealed class RemoteExampleTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_remote_example_does_what_it_says()
    {
        using var dir = new SqliteFile();
        var dataDir = dir.Directory;
        var listen = "127.0.0.1:0";
        var token = TokenHash.NewToken();
        var tokenHash = TokenHash.Create(token).ToString();
        var (serverPfx, passwordFile, caCrt) = (certs.Files.ServerPfx, certs.Files.PasswordFile, certs.Files.CaCertificate);
        var run = Task.Run(async () =>
        {
            // README: Across machines (begin)
            // on the server: a master on a SQLite file that replicas reach over Akka.Remote with TLS; it admits the
            // client web-1 by the hash of its token (`datsync token new --client-id web-1` prints both)
            await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
            {
                Listen = listen,
                Storage = { DataDirectory = dataDir },
                Clients = { ["web-1"] = tokenHash },
                Tls = new TlsOptions { CertificatePath = serverPfx, PasswordFile = passwordFile },
            });
            var server = master.ListeningAt!;

            // on a client machine: a replica of it, which checks the server's certificate against the CA
            await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
            {
                ClientId = "web-1", Token = token, Server = server,
                Tls = new TlsOptions { CaPath = caCrt },
            });
            await replica.TransactAsync([Tx.Attribute(":page/path", "string", unique: "identity")]);
            TxResult page = await replica.TransactAsync([Tx.Entity("p", (":page/path", "/index.html"))]);
            Db here = replica.Db;                          // the replica's own value: reads make no round trip
            // README: Across machines (end)

            Assert.Equal("/index.html", here.Entity(page.Tempid("p"))!.Get<string>(":page/path"));
            Assert.Equal(EmbeddedExampleTests.Listing(here), EmbeddedExampleTests.Listing(await master.SyncAsync(page.T)));
            Assert.True(Actors.Remote.DatsyncRemote.UsesTls(master.System));

            // a wrong token is refused, with the category a caller can tell
            var refused = await Assert.ThrowsAsync<TxRejectedException>(() => DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
            {
                ClientId = "web-1", Token = "not-the-token", Server = server, Tls = new TlsOptions { CaPath = caCrt },
            }).WaitAsync(Long));
            Assert.Equal(DatsyncErrors.Refused, refused.Category);
        });
        await run.WaitAsync(Long * 2);
    }

    [Fact]
    public void The_readme_shows_exactly_the_code_this_test_runs() =>
        ReadmeBlocks.AssertShows("## Across machines (Akka.Remote)", ["tests", "Datsync.Integration.Tests", "Remote", "RemoteExampleTests.cs"],
            "Across machines", "listen", "dataDir", "tokenHash", "token", "server", "serverPfx", "passwordFile", "caCrt");
}
