using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Datsync.Actors;

/// <summary>
/// TLS for Akka.Remote (DotNetty), with optional mutual TLS, as plain properties that bind from an
/// <c>IConfiguration</c> section (e.g. <c>Datsync:Master:Tls</c>). The certificate is a PKCS#12 (.pfx) file; its
/// password comes from an environment variable or a file, never from a flag or HOCON.
/// </summary>
/// <remarks>
/// <para>On a server: <see cref="CertificatePath"/> is the server's certificate; with <see cref="ClientCaPath"/> the
/// server <em>requires</em> every client to present a certificate signed by that CA (mutual TLS), otherwise it asks
/// for none.</para>
/// <para>On a client: <see cref="CaPath"/> is the CA that must have signed the server's certificate (checked against
/// that CA only, never the system store) and, with <see cref="CheckHostname"/>, the certificate must name the host
/// the client connects to; <see cref="CertificatePath"/>, when set, is the client's own certificate, presented to a
/// server that requires one.</para>
/// <para>Peers are checked with <see cref="X509Chain"/> in <see cref="X509ChainTrustMode.CustomRootTrust"/> against
/// <see cref="CaPath"/> and <see cref="ClientCaPath"/> together, without revocation lookups (private CAs publish
/// none).</para>
/// </remarks>
public sealed class TlsOptions
{
    /// <summary>The HOCON that turns TLS on for the DotNetty transport (the certificate comes from
    /// <see cref="ToSslSetup"/>, never from HOCON).</summary>
    internal const string EnableHocon = "akka.remote.dot-netty.tcp.enable-ssl = on";

    /// <summary>This system's own certificate with its private key: a PKCS#12 (.pfx) file. Required on a server; on a
    /// client, needed for mutual TLS.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Name of the environment variable holding the password of <see cref="CertificatePath"/>.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>A file holding the password of <see cref="CertificatePath"/> (its first line; a trailing newline is
    /// not part of it).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Server: the CA (PEM or DER, a PEM file may hold several) that must have signed client certificates;
    /// set, the server requires a client certificate (mutual TLS).</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>Client: the CA (PEM or DER, a PEM file may hold several) that must have signed the server's
    /// certificate.</summary>
    public string? CaPath { get; set; }

    /// <summary>Client: the server's certificate must name the host connected to (a DNS or IP subject alternative
    /// name). Default on.</summary>
    public bool CheckHostname { get; set; } = true;

    /// <summary>True when any file is set: the system speaks TLS.</summary>
    public bool IsEnabled =>
        !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CaPath) || !string.IsNullOrWhiteSpace(ClientCaPath);

    /// <summary>True when this system asks its peers for a certificate and presents its own (a server with
    /// <see cref="ClientCaPath"/>, or a client with <see cref="CertificatePath"/>).</summary>
    internal bool Mutual => !string.IsNullOrWhiteSpace(ClientCaPath) || (!string.IsNullOrWhiteSpace(CertificatePath) && !IsServerSide);

    /// <summary>Set by <see cref="ForServer"/>: the options describe a server (which needs a certificate).</summary>
    internal bool IsServerSide { get; private set; }

    /// <summary>These options as a server's: <see cref="CertificatePath"/> required.</summary>
    internal TlsOptions ForServer()
    {
        var copy = (TlsOptions)MemberwiseClone();
        copy.IsServerSide = true;
        return copy;
    }

    /// <summary>The HOCON TLS needs (<see cref="EnableHocon"/>), or empty when TLS is off.</summary>
    internal Config ToConfig() => ConfigurationFactory.ParseString(IsEnabled ? EnableHocon : "");

    /// <summary>
    /// Loads the files and builds the DotNetty setup: this system's certificate, mutual authentication as
    /// <see cref="Mutual"/> says, and a validator that accepts a peer only when its certificate chains to
    /// <see cref="CaPath"/> or <see cref="ClientCaPath"/> (and, checking a server, names the host).
    /// </summary>
    /// <exception cref="TlsSetupException">A file is missing or unreadable, the password is wrong or missing, the
    /// certificate has no private key, or a client has no CA to check the server with; one line.</exception>
    internal DotNettySslSetup ToSslSetup()
    {
        if (!IsEnabled) throw new TlsSetupException("TLS is not configured (no certificate and no CA)");
        if (IsServerSide && string.IsNullOrWhiteSpace(CertificatePath))
            throw new TlsSetupException("a TLS server needs its certificate (a .pfx file with the private key)");
        if (!IsServerSide && string.IsNullOrWhiteSpace(CaPath))
            throw new TlsSetupException("a TLS client needs the CA that signed the server's certificate, to check it");
        // a client without a certificate of its own presents none (mutual off), but its transport listens too: it gets
        // a throwaway self-signed one, so a server connecting back (after a lost association) finds a TLS endpoint
        var own = string.IsNullOrWhiteSpace(CertificatePath) ? Ephemeral() : LoadCertificate(CertificatePath, ReadPassword());
        var roots = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(CaPath)) roots.AddRange(LoadCa(CaPath));
        if (!string.IsNullOrWhiteSpace(ClientCaPath)) roots.AddRange(LoadCa(ClientCaPath));
        // Akka.Remote stops an actor system whose outbound TLS handshake fails. A server connects out only to reach a
        // client whose association was lost, at the address that client gave: a server that authenticates no client
        // by certificate accepts whatever that client's transport shows; a server with a client CA checks it as inbound.
        var validator = Validator(roots, CheckHostname && !IsServerSide, IsServerSide && !Mutual, null);
        return new DotNettySslSetup(own, suppressValidation: false, requireMutualAuthentication: Mutual,
            validateCertificateHostname: false, customValidator: validator);
    }

    /// <summary>A throwaway self-signed certificate with its key, for a client's listening side.</summary>
    private static X509Certificate2 Ephemeral()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=datsync-client (throwaway)", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(ServerAuth), new Oid(ClientAuth) }, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(30));
    }

    /// <summary>An actor system setup: <paramref name="config"/> (with TLS turned on when enabled) and the DotNetty
    /// setup of <see cref="ToSslSetup"/>.</summary>
    internal ActorSystemSetup ToActorSystemSetup(Config config) =>
        BootstrapSetup.Create().WithConfig(ToConfig().WithFallback(config)).And(ToSslSetup());

    /// <summary>The password: from <see cref="PasswordEnvironmentVariable"/> or <see cref="PasswordFile"/>, or null
    /// when neither is set (a .pfx without password).</summary>
    internal string? ReadPassword()
    {
        var env = string.IsNullOrWhiteSpace(PasswordEnvironmentVariable) ? null : PasswordEnvironmentVariable;
        var file = string.IsNullOrWhiteSpace(PasswordFile) ? null : PasswordFile;
        if (env is not null && file is not null)
            throw new TlsSetupException("the certificate password comes from an environment variable or a file, not both");
        if (env is not null)
            return Environment.GetEnvironmentVariable(env) ?? throw new TlsSetupException($"the environment variable {env} (the certificate password) is not set");
        if (file is null) return null;
        try
        {
            var text = File.ReadAllText(file);
            var end = text.IndexOfAny(['\r', '\n']);
            return end < 0 ? text : text[..end];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsSetupException($"cannot read the password file {file}: {e.Message}");
        }
    }

    /// <summary>A .pfx with its private key.</summary>
    internal static X509Certificate2 LoadCertificate(string path, string? password)
    {
        if (!File.Exists(path)) throw new TlsSetupException($"the certificate file {path} does not exist");
        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new TlsSetupException(password is null
                ? $"cannot read the certificate {path}: it needs a password, or it is not a PKCS#12 (.pfx) file ({OneLine(e)})"
                : $"cannot read the certificate {path}: wrong password, or not a PKCS#12 (.pfx) file ({OneLine(e)})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsSetupException($"cannot read the certificate {path}: {e.Message}");
        }
        if (!cert.HasPrivateKey)
        {
            cert.Dispose();
            throw new TlsSetupException($"the certificate {path} has no private key (a .pfx with the key is needed)");
        }
        return cert;
    }

    /// <summary>The certificates of a CA file: PEM (one or more) or DER.</summary>
    internal static X509Certificate2Collection LoadCa(string path)
    {
        if (!File.Exists(path)) throw new TlsSetupException($"the CA certificate file {path} does not exist");
        var all = new X509Certificate2Collection();
        try
        {
            var bytes = File.ReadAllBytes(path);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)) all.ImportFromPem(text);
            else all.Add(X509CertificateLoader.LoadCertificate(bytes));
        }
        catch (CryptographicException e)
        {
            throw new TlsSetupException($"the CA file {path} holds no certificate (PEM or DER expected): {OneLine(e)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsSetupException($"cannot read the CA file {path}: {e.Message}");
        }
        if (all.Count == 0) throw new TlsSetupException($"the CA file {path} holds no certificate (PEM or DER expected)");
        return all;
    }

    /// <summary>
    /// A DotNetty validator: the peer's certificate must be there, must chain (with the intermediates it sent) to one
    /// of <paramref name="roots"/> and nothing else, must be valid now and, if it lists extended key usages, be meant
    /// for TLS; when <paramref name="checkHostname"/>, a server's certificate must name the host connected to. With
    /// <paramref name="acceptAnyOutbound"/>, a peer this system connected to (Akka.Remote names it by its actor
    /// address, <c>ssl.tcp://...</c>) is accepted as it is. <paramref name="rejected"/> hears why a peer was refused.
    /// </summary>
    internal static CertificateValidationCallback Validator(X509Certificate2Collection roots, bool checkHostname, bool acceptAnyOutbound,
        Action<string>? rejected) =>
        (cert, presented, peer, errors, log) =>
        {
            var outbound = peer?.Contains("://", StringComparison.Ordinal) == true;
            if (outbound && acceptAnyOutbound) return true;
            var why = Check(cert, presented, errors, roots, checkHostname && outbound);
            if (why is null) return true;
            log?.Warning("TLS: refused {0}: {1}", peer, why);
            rejected?.Invoke(why);
            return false;
        };

    /// <summary>Why <paramref name="cert"/> is not acceptable, or null.</summary>
    internal static string? Check(X509Certificate2? cert, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection roots, bool checkHostname)
    {
        if (cert is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "no certificate was presented";
        if (checkHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the certificate ({cert.Subject}) does not name the host connected to";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(cert.RawDataMemory.Span))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (!chain.Build(cert))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return $"the certificate ({cert.Subject}, issued by {cert.Issuer}) is not signed by a trusted CA ({status})";
        }
        foreach (var ext in cert.Extensions.OfType<X509EnhancedKeyUsageExtension>())
        {
            var usages = ext.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
            if (!usages.Contains(ServerAuth) && !usages.Contains(ClientAuth))
                return $"the certificate ({cert.Subject}) is not meant for TLS (no server or client authentication usage)";
        }
        return null;
    }

    internal const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    internal const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}

/// <summary>TLS cannot be set up: a file is missing or unreadable, a password is wrong, a certificate has no
/// private key. The message is one line.</summary>
public sealed class TlsSetupException(string message) : Exception(message);
