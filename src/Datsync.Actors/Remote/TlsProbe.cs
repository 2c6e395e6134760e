using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Datsync.Actors.Remote;

/// <summary>
/// One TLS handshake with a server, with a client's <see cref="TlsOptions"/>, to say in one line why a client cannot
/// connect: Akka.Remote only retries a failed association, and its log says little. The probe opens a TCP connection,
/// does the handshake (checking the server's certificate as the client's actor system does), then waits a moment for
/// the server to refuse the client's certificate (with TLS 1.3 the server decides after the client's handshake is
/// done), and closes.
/// </summary>
internal static class TlsProbe
{
    /// <summary>Why a client with <paramref name="options"/> cannot speak TLS with the server at host:port, or null
    /// when the handshake went through (or no server answered at all: that is for the caller's timeout to report).</summary>
    /// <param name="options">The client's TLS options.</param>
    /// <param name="host">The server's host.</param>
    /// <param name="port">The server's port.</param>
    /// <param name="timeout">How long the connection and the handshake may take.</param>
    /// <param name="settle">How long to wait after the handshake for the server to refuse the client's certificate.</param>
    /// <param name="cancel">Cancels the probe.</param>
    public static async Task<string?> ProbeAsync(TlsOptions options, string host, int port, TimeSpan timeout, TimeSpan? settle = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var own = options.Mutual && !string.IsNullOrWhiteSpace(options.CertificatePath)
            ? TlsOptions.LoadCertificate(options.CertificatePath, options.ReadPassword())
            : null;
        var roots = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(options.CaPath)) roots.AddRange(TlsOptions.LoadCa(options.CaPath));
        if (!string.IsNullOrWhiteSpace(options.ClientCaPath)) roots.AddRange(TlsOptions.LoadCa(options.ClientCaPath));
        var endpoint = $"{host}:{port}";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        using var tcp = new TcpClient();
        try { await tcp.ConnectAsync(host.Trim('[', ']'), port, cts.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is SocketException or OperationCanceledException) { return null; }

        string? serverRefused = null;
        await using var tls = new SslStream(tcp.GetStream(), false,
            (_, cert, chain, errors) =>
            {
                serverRefused = TlsOptions.Check(cert as X509Certificate2 ?? (cert is null ? null : new X509Certificate2(cert)), chain, errors,
                    roots, options.CheckHostname);
                return serverRefused is null;
            },
            own is null ? null : (_, _, _, _, _) => own);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host.Trim('[', ']'),
                ClientCertificates = own is null ? null : new X509CertificateCollection { own },
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { return null; }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            if (serverRefused is not null) return $"the server's certificate at {endpoint} is not accepted: {serverRefused}";
            return $"the TLS handshake with {endpoint} failed ({OneLine(e)}): does the server serve TLS, and accept this client?";
        }

        // the server may refuse the client's certificate right after the handshake (TLS 1.3): an alert, or a close
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        wait.CancelAfter(settle ?? TimeSpan.FromSeconds(2));
        try
        {
            var read = await tls.ReadAsync(new byte[1], wait.Token).ConfigureAwait(false);
            return read == 0 ? Refused(endpoint, own) : null;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { return null; } // still open: accepted
        catch (Exception e) when (e is AuthenticationException or IOException) { return Refused(endpoint, own); }
    }

    /// <summary>True when the server at host:port completes a TLS handshake (its certificate taken as it is, nothing
    /// else sent): a client in the clear that gets no answer learns that the server wants TLS.</summary>
    public static async Task<bool> SpeaksTlsAsync(string host, int port, TimeSpan timeout, CancellationToken cancel = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(host.Trim('[', ']'), port, cts.Token).ConfigureAwait(false);
            await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host.Trim('[', ']'), CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string Refused(string endpoint, X509Certificate2? own) =>
        own is null
            ? $"the server at {endpoint} refused the TLS connection: it requires a client certificate, and none was given"
            : $"the server at {endpoint} refused the TLS connection: it does not accept the client certificate ({own.Subject}, issued by {own.Issuer})";

    private static string OneLine(Exception e) => (e.InnerException ?? e).Message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}
