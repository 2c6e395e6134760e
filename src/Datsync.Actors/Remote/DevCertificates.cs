using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Datsync.Actors.Remote;

/// <summary>The files <see cref="DevCertificates.Write"/> made.</summary>
internal sealed record DevCertificateFiles(string CaCertificate, string ServerPfx, string ClientPfx, string PasswordFile, IReadOnlyList<string> ServerNames);

/// <summary>
/// A development CA with a server and a client certificate signed by it, made with System.Security.Cryptography
/// alone (ECDSA P-256): enough to run a master over TLS with mutual authentication. The CA's private key is not kept,
/// so nothing else can be signed by it later; make a new set instead.
/// </summary>
internal static class DevCertificates
{
    public const string CaFile = "ca.crt";
    public const string ServerFile = "server.pfx";
    public const string ClientFile = "client.pfx";
    public const string PasswordFileName = "password";

    /// <summary>The names every server certificate carries besides the given hosts.</summary>
    public static readonly IReadOnlyList<string> DefaultNames = ["localhost", "127.0.0.1", "::1"];

    /// <summary>
    /// Writes <c>ca.crt</c> (PEM), <c>server.pfx</c> (subject alternative names: localhost, 127.0.0.1, ::1 and
    /// <paramref name="hosts"/>; server and client authentication), <c>client.pfx</c> (client authentication) and
    /// <c>password</c> (the password of both .pfx files, mode 0600 where the file system has modes) into
    /// <paramref name="directory"/>, which is created when missing.
    /// </summary>
    /// <exception cref="IOException">One of the files exists already and <paramref name="overwrite"/> is false.</exception>
    public static DevCertificateFiles Write(string directory, IEnumerable<string>? hosts = null, bool overwrite = false,
        TimeSpan? validFor = null)
    {
        Directory.CreateDirectory(directory);
        var files = new DevCertificateFiles(Path.Combine(directory, CaFile), Path.Combine(directory, ServerFile),
            Path.Combine(directory, ClientFile), Path.Combine(directory, PasswordFileName),
            DefaultNames.Concat(hosts ?? []).Select(h => h.Trim().Trim('[', ']')).Where(h => h.Length > 0)
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList());
        if (!overwrite)
            foreach (var f in new[] { files.CaCertificate, files.ServerPfx, files.ClientPfx, files.PasswordFile })
                if (File.Exists(f)) throw new IOException($"{f} exists already (remove it, or overwrite)");

        var lifetime = validFor ?? TimeSpan.FromDays(2 * 365);
        using var ca = CreateCa("Datsync development CA", lifetime + TimeSpan.FromDays(1));
        using var server = Issue(ca, "datsync-server", files.ServerNames, [TlsOptions.ServerAuth, TlsOptions.ClientAuth], lifetime);
        using var client = Issue(ca, "datsync-client", [], [TlsOptions.ClientAuth], lifetime);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        WritePrivate(files.PasswordFile, password + "\n");
        File.WriteAllText(files.CaCertificate, ca.ExportCertificatePem() + "\n");
        WritePrivate(files.ServerPfx, server.Export(X509ContentType.Pkcs12, password));
        WritePrivate(files.ClientPfx, client.Export(X509ContentType.Pkcs12, password));
        return files;
    }

    /// <summary>A self-signed CA certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string name, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-10), now + validFor);
    }

    /// <summary>A certificate for <paramref name="commonName"/> with the DNS and IP names <paramref name="names"/> and
    /// the extended key usages <paramref name="usages"/>, signed by <paramref name="ca"/>, with its private key.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string commonName, IEnumerable<string> names, IEnumerable<string> usages, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var eku = new OidCollection();
        foreach (var u in usages) eku.Add(new Oid(u));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(eku, false));
        var san = new SubjectAlternativeNameBuilder();
        var any = false;
        foreach (var n in names)
        {
            if (IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(n);
            any = true;
        }
        if (any) request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + validFor < ca.NotAfter ? now + validFor : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(ca, now.AddMinutes(-10), notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private static void WritePrivate(string path, string text) => WritePrivate(path, System.Text.Encoding.UTF8.GetBytes(text));

    private static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(path, options)) f.Write(bytes);
        // an existing file keeps its mode on FileMode.Create: set it
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
