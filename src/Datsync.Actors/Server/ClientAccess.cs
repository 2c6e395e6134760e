using System.Security.Cryptography;
using System.Text;
using Akka.Configuration;
using Datsync.Actors.Protocol;

namespace Datsync.Actors.Server;

/// <summary>
/// Which clients may connect (<c>datsync.server.clients</c>: client id = token). With no entry, any client may (the
/// embedded default); with entries, a handshake must name a listed client id with its token.
/// </summary>
public sealed class ClientAccess
{
    private readonly IReadOnlyDictionary<string, byte[]> _tokens;

    private ClientAccess(IReadOnlyDictionary<string, byte[]> tokens) => _tokens = tokens;

    /// <summary>Any client id, no token.</summary>
    public static ClientAccess Open { get; } = new(new Dictionary<string, byte[]>());

    public bool IsOpen => _tokens.Count == 0;

    public static ClientAccess Of(IEnumerable<KeyValuePair<string, string>> clients) =>
        new(clients.ToDictionary(c => c.Key, c => Encoding.UTF8.GetBytes(c.Value), StringComparer.Ordinal));

    public static ClientAccess From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig("datsync.server.clients");
        if (c is null || c.IsEmpty) return Open;
        return Of(c.AsEnumerable().Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.GetString())));
    }

    /// <summary>Why the handshake is refused, or null when the client may connect.</summary>
    public string? Refusal(Connect connect)
    {
        if (IsOpen) return null;
        if (!_tokens.TryGetValue(connect.ClientId, out var expected))
            return $"client \"{connect.ClientId}\" is not one this server knows (datsync.server.clients)";
        if (connect.Token is null) return $"client \"{connect.ClientId}\" must give its token";
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(connect.Token))
            ? null
            : $"wrong token for client \"{connect.ClientId}\"";
    }
}
