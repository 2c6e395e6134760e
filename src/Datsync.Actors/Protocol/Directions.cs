using System.Security.Cryptography;

namespace Datsync.Actors.Protocol;

// Which way a message of the protocol may cross between actor systems. The wire deserializer of a system takes only
// the direction it serves (akka.actor.serialization-settings.datsync-wire.accept): a master's system reads what
// clients send (IToServer), a client's system what servers send (IToReplica). Everything else the master's actors
// exchange (Transact, GetDb, SubscribeLog, LogAck, TxRange, ...) is internal: no peer can put it on the wire.

/// <summary>A message a client (a replica, <c>datsync transact --server</c>) sends to a server in another process.</summary>
internal interface IToServer : IDatsyncMessage;

/// <summary>What a replica asks of its session; it travels inside a <see cref="ToSession"/> that carries the
/// replica's channel key.</summary>
internal interface ISessionRequest : IToServer;

/// <summary>A message a server sends to a client in another process.</summary>
internal interface IToReplica : IDatsyncMessage;

/// <summary>A replica's request to its session, under the channel key the replica gave in its handshake. A session
/// acts on it only when the key and the sender are those of the replica whose handshake it took.</summary>
internal sealed record ToSession(string ChannelKey, ISessionRequest Request) : IToServer;

/// <summary>A session's message to a replica in another process, under the replica's channel key: the replica acts
/// only on messages that carry its key (a peer that never saw its handshake cannot forge one).</summary>
internal sealed record FromSession(string ChannelKey, object Message) : IToReplica;

/// <summary>Channel keys: 128 random bits, compared in fixed time.</summary>
internal static class ChannelKeys
{
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public static bool Same(string? a, string? b)
    {
        if (a is null || b is null || a.Length != b.Length) return false;
        // compared as they are in memory: no copy per message
        return CryptographicOperations.FixedTimeEquals(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan()));
    }
}
