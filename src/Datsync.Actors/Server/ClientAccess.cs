using System.Security.Cryptography;
using System.Text;
using Akka.Configuration;
using Datsync.Actors.Protocol;

namespace Datsync.Actors.Server;

/// <summary>
/// Which clients may connect (<c>datsync.server.clients</c>: client id = the hash of its token, see
/// <see cref="TokenHash"/>). With no entry, any client may (the embedded default); with entries, a handshake must name
/// a listed client id with the token its hash verifies.
/// </summary>
/// <remarks>A token that verified once is remembered per client (its SHA-256, compared in fixed time), so a replica
/// that connects again does not pay PBKDF2 again; a different token is verified in full.</remarks>
internal sealed class ClientAccess
{
    /// <summary>The HOCON path of the list.</summary>
    public const string ConfigPath = "datsync.server.clients";

    private readonly IReadOnlyDictionary<string, Entry> _clients;

    private ClientAccess(IReadOnlyDictionary<string, Entry> clients) => _clients = clients;

    /// <summary>Any client id, no token.</summary>
    public static ClientAccess Open { get; } = new(new Dictionary<string, Entry>());

    public bool IsOpen => _clients.Count == 0;

    /// <summary>The client ids listed.</summary>
    public IReadOnlyCollection<string> ClientIds => _clients.Keys.ToList();

    /// <summary>The stored credential of <paramref name="clientId"/>, or null when it is not listed.</summary>
    public TokenHash? CredentialOf(string clientId) => _clients.TryGetValue(clientId, out var e) ? e.Hash : null;

    /// <summary>Whether <paramref name="other"/> admits <paramref name="clientId"/> with the same stored credential as
    /// this access does (both open counts as the same; a client of an open access is not the same as a listed one).</summary>
    public bool SameCredential(string clientId, ClientAccess other)
    {
        if (IsOpen || other.IsOpen) return IsOpen && other.IsOpen;
        var mine = CredentialOf(clientId);
        return mine is not null && mine.SameAs(other.CredentialOf(clientId));
    }

    /// <summary>Whether both list the same clients with the same credentials.</summary>
    public bool SameAs(ClientAccess other) =>
        _clients.Count == other._clients.Count && _clients.Keys.All(id => SameCredential(id, other));

    /// <summary>Client ids with their tokens, hashed here (for code and tests; a deployment lists hashes).</summary>
    public static ClientAccess Of(IEnumerable<KeyValuePair<string, string>> tokens) =>
        new(tokens.ToDictionary(c => c.Key, c => new Entry(TokenHash.Create(c.Value)), StringComparer.Ordinal));

    /// <summary>Client ids with their stored hashes (<see cref="TokenHash"/> form).</summary>
    /// <exception cref="ConfigurationException">A value is a plain token or a malformed hash (the message names the
    /// client id, never the value).</exception>
    public static ClientAccess OfHashes(IEnumerable<KeyValuePair<string, string>> hashes) =>
        new(hashes.ToDictionary(c => c.Key, c => new Entry(Read(c.Key, c.Value)), StringComparer.Ordinal));

    /// <summary>The list at <c>datsync.server.clients</c> of <paramref name="config"/> (over the library defaults).</summary>
    /// <exception cref="ConfigurationException">A value is not a string, is a plain token, or is a malformed hash.</exception>
    public static ClientAccess From(Config config)
    {
        var c = config.WithFallback(DatsyncConfig.Default).GetConfig(ConfigPath);
        if (c is null || c.IsEmpty) return Open;
        return OfHashes(c.AsEnumerable().Select(kv => new KeyValuePair<string, string>(kv.Key, StringOf(kv.Key, kv.Value))));
    }

    private static string StringOf(string clientId, Akka.Configuration.Hocon.HoconValue value)
    {
        if (!value.IsString())
            throw new ConfigurationException(
                $"{ConfigPath}.\"{clientId}\" must be a token hash in quotes; print one with `datsync token hash TOKEN --client-id {clientId}`");
        return value.GetString();
    }

    private static TokenHash Read(string clientId, string value)
    {
        if (!TokenHash.LooksHashed(value))
            throw new ConfigurationException(
                $"{ConfigPath}.\"{clientId}\" holds a plain token, not its hash: replace the line with the one " +
                $"`datsync token hash TOKEN --client-id {clientId}` prints (or `datsync token new --client-id {clientId}` for a new token)");
        if (!TokenHash.TryParse(value, out var hash, out var error))
            throw new ConfigurationException($"{ConfigPath}.\"{clientId}\": {error}; print a new line with `datsync token hash TOKEN --client-id {clientId}`");
        return hash!;
    }

    /// <summary>Takes over the tokens <paramref name="previous"/> verified for clients whose credential is unchanged
    /// (so a reload does not make every replica pay PBKDF2 again).</summary>
    public void RememberVerifiedFrom(ClientAccess previous)
    {
        foreach (var (id, entry) in _clients)
            if (previous._clients.TryGetValue(id, out var old) && old.Hash.SameAs(entry.Hash) && old.Verified is { } v)
                entry.Verified = v;
    }

    /// <summary>Why the handshake is refused, or null when the client may connect.</summary>
    public string? Refusal(Connect connect)
    {
        if (IsOpen) return null;
        if (connect.ClientId is null) return "a handshake must name its client id";
        if (!_clients.TryGetValue(connect.ClientId, out var entry))
            return $"client \"{connect.ClientId}\" is not one this server knows ({ConfigPath})";
        if (connect.Token is null) return $"client \"{connect.ClientId}\" must give its token";
        return entry.Admits(connect.Token) ? null : $"wrong token for client \"{connect.ClientId}\"";
    }

    /// <summary>One listed client: its stored hash and the SHA-256 of the last token that verified against it.</summary>
    private sealed class Entry(TokenHash hash)
    {
        private byte[]? _verified;

        public TokenHash Hash { get; } = hash;

        public byte[]? Verified
        {
            get => Volatile.Read(ref _verified);
            set => Volatile.Write(ref _verified, value);
        }

        public bool Admits(string token)
        {
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
            if (Verified is { } known && CryptographicOperations.FixedTimeEquals(known, digest)) return true;
            if (!Hash.Verify(token)) return false;
            Verified = digest;
            return true;
        }
    }
}
