using System.Security.Cryptography.X509Certificates;
using Datsync.Actors;
using Datsync.Actors.Remote;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync certs DIR`: the files load, chain to the CA, carry the names and usages TLS needs, and the
/// password file is private.</summary>
public sealed class CertsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-certs-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static bool Chains(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    private static HashSet<string> Usages(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>())
            .Select(o => o.Value!).ToHashSet();

    [Fact]
    public async Task The_files_load_and_chain_to_the_ca_and_the_output_says_how_to_use_them()
    {
        var dir = Path.Combine(_dir, "tls");
        var r = await DatsyncProcess.Run($"certs \"{dir}\" --host db.example.org --host 10.0.0.5");
        Assert.True(r.ExitCode == 0, r.Stderr);

        var password = File.ReadAllText(Path.Combine(dir, "password")).TrimEnd('\n');
        Assert.True(password.Length >= 20);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "password")));

        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "ca.crt"));
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        using var server = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "server.pfx"), password);
        using var client = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "client.pfx"), password);
        Assert.True(server.HasPrivateKey);
        Assert.True(client.HasPrivateKey);
        Assert.True(Chains(server, ca));
        Assert.True(Chains(client, ca));
        Assert.Contains(TlsOptions.ServerAuth, Usages(server));
        Assert.Contains(TlsOptions.ClientAuth, Usages(client));
        Assert.Null(TlsOptions.Check(client, null, System.Net.Security.SslPolicyErrors.None, [ca], false));

        foreach (var name in new[] { "localhost", "127.0.0.1", "db.example.org", "10.0.0.5" })
            Assert.True(server.MatchesHostname(name), $"server.pfx does not name {name}");
        Assert.False(server.MatchesHostname("elsewhere.example.org"));

        // a certificate of another run chains to its own CA, not to this one
        using var otherCa = DevCertificates.CreateCa("another CA", TimeSpan.FromDays(1));
        using var foreign = DevCertificates.Issue(otherCa, "datsync-client", [], [TlsOptions.ClientAuth], TimeSpan.FromDays(1));
        Assert.False(Chains(foreign, ca));

        Assert.Contains($"datsync serve --host db.example.org --tls-cert {dir}/server.pfx --tls-password-file {dir}/password --tls-client-ca {dir}/ca.crt", r.Stdout);
        Assert.Contains($"datsync replica --server db.example.org:4710 --tls-ca {dir}/ca.crt --tls-cert {dir}/client.pfx --tls-password-file {dir}/password", r.Stdout);

        // run again: it does not overwrite what is there
        var again = await DatsyncProcess.Run($"certs \"{dir}\"");
        Assert.Equal(1, again.ExitCode);
        var line = Assert.Single(again.StderrLines);
        Assert.StartsWith("datsync certs: ", line);
        Assert.Contains("exists already", line);
    }
}
