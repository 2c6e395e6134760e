using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Remote;
using Datsync.Actors.Master;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>Certificates made by <see cref="DevCertificates"/> into a temp directory: the project's CA, another CA's
/// set, and a self-signed client certificate, all with the same password file.</summary>
public sealed class TlsCertificates : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("datsync-tls-").FullName;
    internal DevCertificateFiles Files { get; }
    internal DevCertificateFiles Other { get; }
    public string SelfSignedPfx { get; }

    public TlsCertificates()
    {
        Files = DevCertificates.Write(Path.Combine(Dir, "ours"));
        Other = DevCertificates.Write(Path.Combine(Dir, "other"));
        var password = File.ReadAllText(Files.PasswordFile).Trim();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=datsync-client", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        SelfSignedPfx = Path.Combine(Dir, "self-signed.pfx");
        File.WriteAllBytes(SelfSignedPfx, self.Export(X509ContentType.Pkcs12, password));
    }

    public TlsOptions Server(bool mutual) => new()
    {
        CertificatePath = Files.ServerPfx, PasswordFile = Files.PasswordFile, ClientCaPath = mutual ? Files.CaCertificate : null,
    };

    /// <summary>A client trusting our CA, with <paramref name="pfx"/> as its certificate (none when null).</summary>
    public TlsOptions Client(string? pfx) => new()
    {
        CaPath = Files.CaCertificate, CertificatePath = pfx,
        PasswordFile = pfx is null ? null : pfx == Other.ClientPfx ? Other.PasswordFile : Files.PasswordFile,
    };

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

/// <summary>Akka.Remote over TLS on loopback: a replica bootstraps and follows a master; with a client CA the server
/// requires a client certificate signed by it and refuses every other client.</summary>
public sealed class TlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>, IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private const string Quick = """
        datsync.replica.retry-interval = 200ms
        datsync.replica.connection-timeout = 5s
        datsync.session.heartbeat-interval = 200ms
        akka.remote.dot-netty.tcp.connection-timeout = 5s
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    private readonly List<ActorSystem> _systems = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromMinutes(1)); // a shutdown that hangs fails the test
    }

    private MasterSystem Server(bool mutual)
    {
        var server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, Quick, certs.Server(mutual));
        _systems.Add(server.System);
        return server;
    }

    private ActorSystem Client(string name, TlsOptions? tls)
    {
        var s = DatsyncRemote.ClientSystem(name, overrides: Quick, tls: tls);
        _systems.Add(s);
        return s;
    }

    private static async Task<TxAccepted> Commit(MasterSystem server, string edn)
    {
        var reply = await server.Master.Transactor.Ask(new Transact(Guid.NewGuid().ToString("N"), (IReadOnlyList<object?>)EdnReader.Read(edn)!), Long);
        return reply as TxAccepted ?? throw new Xunit.Sdk.XunitException($"rejected: {reply}");
    }

    private static int Port(MasterSystem server) => ((ExtendedActorSystem)server.System).Provider.DefaultAddress.Port!.Value;

    /// <summary>Completes with the first association error the client system publishes (its transport could not
    /// associate with a peer).</summary>
    private static Task<AssociationErrorEvent> FirstAssociationError(ActorSystem system)
    {
        var done = new TaskCompletionSource<AssociationErrorEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(Props.Create(() => new Listener(done)));
        system.EventStream.Subscribe(listener, typeof(AssociationErrorEvent));
        return done.Task;
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(TaskCompletionSource<AssociationErrorEvent> done) => Receive<AssociationErrorEvent>(e => done.TrySetResult(e));
    }

    [Fact]
    public async Task A_replica_over_tls_bootstraps_and_receives_deltas()
    {
        var server = Server(mutual: false);
        Assert.Equal("akka.ssl.tcp", ((ExtendedActorSystem)server.System).Provider.DefaultAddress.Protocol);
        await Commit(server, Schema);
        await Commit(server, """[{:person/email "ivan@x" :person/name "Ivan"}]""");

        var replica = DatsyncReplica.Connect(Client("tls-client", certs.Client(null)), DatsyncRemote.ListeningAt(server.System), "c1");
        await replica.Ready.WaitAsync(Long);
        Assert.Equal(ConnectionState.Connected, replica.Status.Connection);
        Assert.Equal(2, replica.SyncedDb.BasisT);

        var t = (await Commit(server, """[{:person/email "petr@x" :person/name "Petr"}]""")).T;
        await replica.SyncAsync(t).WaitAsync(Long);
        var petr = replica.SyncedDb.Datoms(IndexType.Avet, Keyword.Intern(":person/email"), "petr@x").Single().E;
        Assert.Equal("Petr", replica.SyncedDb.Entity(petr)![":person/name"]);
        Assert.Null(await TlsProbe.ProbeAsync(certs.Client(null), "127.0.0.1", Port(server), Long, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task The_entry_points_with_tls_start_a_master_and_a_remote_replica_that_follows_it()
    {
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = "tls-node", Storage = new DatsyncStorageOptions { Kind = "memory" }, Listen = "127.0.0.1:0", Tls = certs.Server(mutual: true),
            Hocon = Quick,
        }).WaitAsync(Long);
        Assert.True(DatsyncRemote.UsesTls(master.System));
        var schema = await master.TransactAsync(Schema).WaitAsync(Long);
        var options = new DatsyncReplicaOptions
        {
            ClientId = "node-1", Server = master.ListeningAt, ServerSystemName = "tls-node", Tls = certs.Client(certs.Files.ClientPfx),
            Hocon = Quick,
        };
        Assert.StartsWith("akka.ssl.tcp://tls-node@127.0.0.1:", options.ServerPath());
        await using var replica = await DatsyncNode.ConnectReplicaAsync(options).WaitAsync(Long);
        Assert.True(replica.SyncedDb.BasisT >= schema.T);
        var anna = await replica.TransactAsync("""[{:db/id "a" :person/email "anna@x" :person/name "Anna"}]""").WaitAsync(Long);
        Assert.Equal("Anna", (await master.SyncAsync(anna.T).WaitAsync(Long)).Entity(anna.Tempids["a"])![":person/name"]);
    }

    [Fact]
    public async Task A_plain_client_does_not_reach_a_tls_server()
    {
        var server = Server(mutual: false);
        var client = Client("plain-client", null);
        var error = FirstAssociationError(client);
        var replica = DatsyncReplica.Connect(client, DatsyncRemote.ListeningAt(server.System), "plain");
        await error.WaitAsync(Long);
        Assert.False(replica.Ready.IsCompleted);
        Assert.NotEqual(ConnectionState.Connected, replica.Status.Connection);
    }

    [Fact]
    public async Task With_mutual_tls_a_client_with_a_certificate_of_the_ca_replicates()
    {
        var server = Server(mutual: true);
        await Commit(server, Schema);
        var replica = DatsyncReplica.Connect(Client("mtls-client", certs.Client(certs.Files.ClientPfx)), DatsyncRemote.ListeningAt(server.System), "c2");
        await replica.Ready.WaitAsync(Long);
        var t = (await Commit(server, """[{:person/email "anna@x" :person/name "Anna"}]""")).T;
        await replica.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(ConnectionState.Connected, replica.Status.Connection);
        Assert.Null(await TlsProbe.ProbeAsync(certs.Client(certs.Files.ClientPfx), "127.0.0.1", Port(server), Long, TimeSpan.FromMilliseconds(500)));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("self-signed")]
    [InlineData("other CA")]
    public async Task With_mutual_tls_a_client_without_a_certificate_of_the_ca_is_refused(string which)
    {
        var server = Server(mutual: true);
        await Commit(server, Schema);
        var pfx = which switch { "none" => null, "self-signed" => certs.SelfSignedPfx, _ => certs.Other.ClientPfx };
        var options = certs.Client(pfx);
        var client = Client("refused-client", options);
        var error = FirstAssociationError(client);
        var replica = DatsyncReplica.Connect(client, DatsyncRemote.ListeningAt(server.System), "intruder");

        // the transport could not associate (the handshake failed, or timed out on a closed connection); when the
        // client's side of the handshake fails, Akka.Remote stops the client's actor system
        await Task.WhenAny(error, client.WhenTerminated).WaitAsync(Long);
        Assert.False(replica.Ready.IsCompletedSuccessfully);
        Assert.NotEqual(ConnectionState.Connected, replica.Status.Connection);
        Assert.Equal(0, replica.SyncedDb.BasisT);

        var why = await TlsProbe.ProbeAsync(options, "127.0.0.1", Port(server), Long);
        Assert.NotNull(why);
        Assert.Contains("refused the TLS connection", why);
        Assert.Contains(pfx is null ? "none was given" : "does not accept the client certificate", why);
    }

    [Fact]
    public async Task A_client_trusting_another_ca_refuses_the_server()
    {
        // the server shows the other CA's certificate (one no other test serves: no TLS session of another test resumes)
        var server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, Quick,
            new TlsOptions { CertificatePath = certs.Other.ServerPfx, PasswordFile = certs.Other.PasswordFile });
        _systems.Add(server.System);
        var options = certs.Client(null);
        var client = Client("distrusting-client", options);
        var replica = DatsyncReplica.Connect(client, DatsyncRemote.ListeningAt(server.System), "wary");
        // the client refuses the server's certificate: its side of the handshake fails, and Akka.Remote stops the
        // client's actor system (its replica never bootstrapped)
        await client.WhenTerminated.WaitAsync(Long);
        var stopped = await Assert.ThrowsAsync<InvalidOperationException>(() => replica.Ready);
        Assert.Contains("stopped before it was bootstrapped", stopped.Message);
        Assert.NotEqual(ConnectionState.Connected, replica.Status.Connection);
        var why = await TlsProbe.ProbeAsync(options, "127.0.0.1", Port(server), Long);
        Assert.NotNull(why);
        Assert.Contains("is not signed by a trusted CA", why);
    }

    [Fact]
    public void Tls_files_that_cannot_be_used_give_one_line_errors()
    {
        var missing = new TlsOptions { CertificatePath = Path.Combine(certs.Dir, "nope.pfx"), PasswordFile = certs.Files.PasswordFile }.ForServer();
        Assert.Contains("does not exist", Assert.Throws<TlsSetupException>(() => missing.ToSslSetup()).Message);

        var wrongFile = Path.Combine(certs.Dir, "wrong-password");
        File.WriteAllText(wrongFile, "not-the-password\n");
        var wrong = new TlsOptions { CertificatePath = certs.Files.ServerPfx, PasswordFile = wrongFile }.ForServer();
        Assert.Contains("wrong password", Assert.Throws<TlsSetupException>(() => wrong.ToSslSetup()).Message);

        var keyless = Path.Combine(certs.Dir, "keyless.pfx");
        using (var ca = X509CertificateLoader.LoadCertificateFromFile(certs.Files.CaCertificate))
            File.WriteAllBytes(keyless, ca.Export(X509ContentType.Pkcs12, "pw"));
        const string variable = "DATSYNC_TLS_TEST_PASSWORD";
        Environment.SetEnvironmentVariable(variable, "pw");
        var noKey = new TlsOptions { CertificatePath = keyless, PasswordEnvironmentVariable = variable }.ForServer();
        Assert.Contains("no private key", Assert.Throws<TlsSetupException>(() => noKey.ToSslSetup()).Message);

        var unset = new TlsOptions { CertificatePath = certs.Files.ServerPfx, PasswordEnvironmentVariable = "DATSYNC_TLS_TEST_UNSET" }.ForServer();
        Assert.Contains("is not set", Assert.Throws<TlsSetupException>(() => unset.ToSslSetup()).Message);

        var clientWithoutCa = new TlsOptions { CertificatePath = certs.Files.ClientPfx, PasswordFile = certs.Files.PasswordFile };
        Assert.Contains("needs the CA", Assert.Throws<TlsSetupException>(() => clientWithoutCa.ToSslSetup()).Message);

        foreach (var e in new[] { missing, wrong, noKey, unset, clientWithoutCa })
            Assert.DoesNotContain('\n', Record.Exception(() => e.ToSslSetup())!.Message);
    }
}
