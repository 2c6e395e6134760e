using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync transact --server HOST:PORT</c>: one transaction sent to a served master's server as
/// <see cref="TransactOnce"/>, from a short-lived client actor system (no replica, no bootstrap).</summary>
internal static class RemoteTransact
{
    public static async Task<int> Run(string server, Akka.Configuration.Config files, string txEdn, string clientId, string? token, TimeSpan timeout,
        bool verbose, TlsOptions? tls = null)
    {
        var (host, port) = Parse(server);
        var system = CliSupport.ClientSystem(files, verbose, host, tls);
        var tlsFailure = CliSupport.TlsFailure(tls, host, port, timeout);
        try
        {
            IActorRef serverRef;
            try
            {
                var resolving = system.ActorSelection(DatsyncRemote.ServerPath(system, server)).ResolveOne(timeout); // not Resolve: a TLS failure ends the wait
                if (await Task.WhenAny(resolving, tlsFailure) == tlsFailure) return Tls(tlsFailure.Result);
                serverRef = await resolving;
            }
            catch (Exception e) when (e is ActorNotFoundException or AskTimeoutException or TaskCanceledException)
            {
                if (tlsFailure.IsCompleted) return Tls(tlsFailure.Result);
                if (system.WhenTerminated.IsCompleted)
                {
                    // Akka.Remote stops a client whose side of the TLS handshake failed (the server's certificate)
                    await Task.WhenAny(tlsFailure, Task.Delay(timeout));
                    return Tls(tlsFailure.IsCompleted ? tlsFailure.Result : $"the client stopped: the TLS handshake with {server} failed");
                }
                return DbCommands.Fail($"{DatsyncErrors.Unavailable}: {await CliSupport.NoAnswer(server, host, port, timeout, tls)}",
                    CliSupport.Unreachable);
            }
            var message = Message(clientId, token, txEdn);
            if (TooBig(system, message) is { } tooBig) return DbCommands.Fail(tooBig, 1);
            object reply;
            try { reply = await Send(serverRef, message, LocalMaster.Timeout); }
            catch (AskTimeoutException)
            {
                return DbCommands.Fail($"{DatsyncErrors.Unavailable}: the server at {server} did not answer the transaction within " +
                                       $"{LocalMaster.Timeout.TotalSeconds}s; it may or may not have been committed", CliSupport.Unreachable);
            }
            var refused = reply is TxRejected r && (r.Category == DatsyncErrors.Refused || r.Category == DatsyncErrors.Unavailable);
            return DbCommands.Outcome(reply, refused ? CliSupport.Unreachable : 1);
        }
        finally
        {
            await CliSupport.Shutdown(system);
        }
    }

    /// <summary>The server actor at HOST:PORT, or null when none answered within <paramref name="timeout"/>.</summary>
    public static async Task<IActorRef?> Resolve(ActorSystem system, string server, TimeSpan timeout)
    {
        try { return await system.ActorSelection(DatsyncRemote.ServerPath(system, server)).ResolveOne(timeout); }
        catch (ActorNotFoundException) { return null; }
    }

    /// <summary>A <see cref="TransactOnce"/> with a fresh request id and channel key.</summary>
    public static TransactOnce Message(string clientId, string? token, string txEdn) =>
        new(clientId, token, Guid.NewGuid().ToString("n"), txEdn, ChannelKeys.New());

    /// <summary>Sends <paramref name="message"/> and returns the server's answer (<see cref="TxAccepted"/> or
    /// <see cref="TxRejected"/>); throws <see cref="AskTimeoutException"/> when none came in time (the transaction may
    /// or may not have been committed).</summary>
    public static async Task<object> Send(IActorRef serverRef, TransactOnce message, TimeSpan timeout)
    {
        // the answer comes under a key only the server learns (anyone else's message to the asker is ignored)
        var reply = await serverRef.Ask(message, timeout);
        return reply is FromSession f && ChannelKeys.Same(f.ChannelKey, message.ReplyKey)
            ? f.Message
            : new TxRejected("", DatsyncErrors.Unavailable, "the answer did not come from the server asked");
    }

    /// <summary>Why <paramref name="message"/> cannot go as one message (bigger than the transport's largest frame, so
    /// it would be dropped on the way), or null.</summary>
    public static string? TooBig(ActorSystem system, TransactOnce message)
    {
        const string frame = "akka.remote.dot-netty.tcp.maximum-frame-size";
        var max = system.Settings.Config.GetByteSize(frame) ?? 128_000;
        // the wire writes its strings as UTF-8 and little else: counted, not serialized a second time
        var bytes = System.Text.Encoding.UTF8.GetByteCount(message.TxEdn) + EnvelopeAllowance +
                    System.Text.Encoding.UTF8.GetByteCount(message.ClientId) + (message.Token?.Length ?? 0) * 3L;
        return bytes <= max
            ? null
            : $"the transaction takes {bytes:N0} bytes on the wire, more than the largest message the transport carries " +
              $"({frame} = {max:N0} bytes); nothing was sent: split it into smaller transactions, or raise {frame} on the " +
              "server and on this client (--config)";
    }

    /// <summary>What Akka.Remote and the wire serializer add around the text (recipient, sender, type names, ids).</summary>
    private const int EnvelopeAllowance = 1_024;

    private static int Tls(string why) => DbCommands.Fail($"{DatsyncErrors.Unavailable}: {why}", CliSupport.Unreachable);

    /// <summary>(host, port) of --server, or a one-line error.</summary>
    public static (string Host, int Port) Parse(string server)
    {
        try { return DatsyncRemote.ParseHostPort(server); }
        catch (FormatException e) { throw new CliException("--server: " + e.Message); }
    }
}
