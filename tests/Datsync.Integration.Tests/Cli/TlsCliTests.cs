using Datsync.Actors;
using Datsync.Integration.Tests.Remote;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync serve` over TLS and the clients that connect to it (or cannot), as child processes.</summary>
public sealed class TlsCliTests(TlsCertificates certs) : IClassFixture<TlsCertificates>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-tls-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private const string Schema = "[{:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]";

    private string Ca => $"--tls-ca \"{certs.Files.CaCertificate}\"";

    private string ClientCert(string pfx, string password) => $"--tls-cert \"{pfx}\" --tls-password-file \"{password}\"";

    private string OurClient => ClientCert(certs.Files.ClientPfx, certs.Files.PasswordFile);

    private Task<ServeProcess> ServeMutual() => ServeProcess.Start(
        $"--db \"{_dir}/\" --port 0 --tls-cert \"{certs.Files.ServerPfx}\" --tls-password-file \"{certs.Files.PasswordFile}\" " +
        $"--tls-client-ca \"{certs.Files.CaCertificate}\"");

    private static void AssertOneLine(DatsyncProcess.Result r, string verb, string contains)
    {
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}, stderr: {r.Stderr}");
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"datsync {verb}: ", line);
        Assert.Contains(contains, line);
    }

    [Fact]
    public async Task Over_mutual_tls_a_client_with_the_cas_certificate_transacts_and_replicates_and_the_others_get_one_line()
    {
        using var server = await ServeMutual();
        var tx = await DatsyncProcess.Run($"transact --server {server.HostPort} {Ca} {OurClient} -", Schema);
        Assert.True(tx.ExitCode == 0, tx.Stderr);
        Assert.StartsWith("{:t 1 ", tx.Stdout);
        var added = await DatsyncProcess.Run($"transact --server {server.HostPort} {Ca} {OurClient} -", "[{:k/id 7}]");
        Assert.True(added.ExitCode == 0, added.Stderr);

        var replica = await DatsyncProcess.Run($"replica --server {server.HostPort} {Ca} {OurClient} --until-t 2 --dump");
        Assert.True(replica.ExitCode == 0, replica.Stderr);
        Assert.Contains(":k/id 7]", replica.Stdout);

        // no certificate, a self-signed one, one of another CA: refused, one line each
        AssertOneLine(await DatsyncProcess.Run($"replica --server {server.HostPort} {Ca} --until-t 1"), "replica",
            "refused the TLS connection: it requires a client certificate, and none was given");
        AssertOneLine(await DatsyncProcess.Run($"replica --server {server.HostPort} {Ca} {ClientCert(certs.SelfSignedPfx, certs.Files.PasswordFile)} --until-t 1"),
            "replica", "does not accept the client certificate");
        AssertOneLine(await DatsyncProcess.Run($"transact --server {server.HostPort} {Ca} {ClientCert(certs.Other.ClientPfx, certs.Other.PasswordFile)} -", "[{:k/id 8}]"),
            "transact", "does not accept the client certificate");
        // a client in the clear hears nothing, and is told the server wants TLS
        AssertOneLine(await DatsyncProcess.Run($"transact --server {server.HostPort} --timeout 3 -", "[{:k/id 10}]"),
            "transact", "it serves TLS (give --tls-ca");
        // a client that trusts another CA refuses the server
        AssertOneLine(await DatsyncProcess.Run($"transact --server {server.HostPort} --tls-ca \"{certs.Other.CaCertificate}\" {OurClient} -", "[{:k/id 9}]"),
            "transact", "is not signed by a trusted CA");
    }

    [Fact]
    public async Task Serve_on_a_network_address_without_tls_refuses_to_start_unless_insecure()
    {
        var refused = await DatsyncProcess.Run($"serve --db \"{_dir}/\" --host 0.0.0.0 --port 0");
        AssertOneLine(refused, "serve", "--insecure");
        Assert.Contains("without TLS", refused.Stderr);
        Assert.Equal("", refused.Stdout);

        using var insecure = await ServeProcess.Start($"--db \"{_dir}/\" --host 0.0.0.0 --port 0 --insecure");
        Assert.StartsWith("0.0.0.0:", insecure.HostPort);
        Assert.Equal(0, await insecure.Terminate());
    }

    [Fact]
    public async Task Tls_files_that_cannot_be_used_are_one_line_before_anything_starts()
    {
        var wrong = Path.Combine(_dir, "wrong-password");
        await File.WriteAllTextAsync(wrong, "nope\n");
        var badPassword = await DatsyncProcess.Run($"serve --db \"{_dir}/\" --port 0 --tls-cert \"{certs.Files.ServerPfx}\" --tls-password-file \"{wrong}\"");
        Assert.Equal(1, badPassword.ExitCode);
        Assert.Contains("wrong password", Assert.Single(badPassword.StderrLines));

        var missing = await DatsyncProcess.Run($"replica --server 127.0.0.1:1 {Ca} --tls-cert \"{_dir}/missing.pfx\" --tls-password-file \"{certs.Files.PasswordFile}\"");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist", Assert.Single(missing.StderrLines));

        var noCa = await DatsyncProcess.Run($"transact --server 127.0.0.1:1 {OurClient} -", "[]");
        Assert.Equal(1, noCa.ExitCode);
        Assert.Contains("--tls-ca", Assert.Single(noCa.StderrLines));
    }
}
