using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Datsync.Actors.Server;

/// <summary>
/// A client token as the server stores it (<c>datsync.server.clients</c>): a salted PBKDF2-HMAC-SHA256 hash, written as
/// the self-describing <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base64). Pure: no actor, no I/O
/// beyond the random salt.
/// </summary>
internal sealed class TokenHash
{
    /// <summary>The scheme that starts the stored form.</summary>
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>
    /// Iterations of new hashes. Tokens from <c>datsync token new</c> are 256 random bits: no iteration count adds to
    /// that, and a stolen hash of one cannot be searched. The count is for hand-made tokens (a word, a phrase), to make
    /// each guess against a stolen config cost about 100,000 HMAC-SHA256 computations (tens of milliseconds). It stays
    /// well below the 600,000 suggested for passwords because the server verifies on its handshake path: a replica
    /// pays it once per token (a verified token is remembered, see <see cref="ClientAccess"/>), but every handshake
    /// with a wrong token pays it again.
    /// </summary>
    public const int DefaultIterations = 100_000;

    /// <summary>Fewest iterations a stored hash may name (a hand-edited count below it is refused, not trusted).</summary>
    public const int MinIterations = 10_000;

    /// <summary>Most iterations a stored hash may name (more would make a handshake slow enough to stall the server).</summary>
    public const int MaxIterations = 10_000_000;

    /// <summary>Bytes of random salt in a new hash (at least 16 when read).</summary>
    public const int SaltBytes = 16;

    /// <summary>Bytes of the derived hash (SHA-256's output).</summary>
    public const int HashBytes = 32;

    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private TokenHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public int Iterations { get; }

    /// <summary>A hash of <paramref name="token"/> with a fresh random salt.</summary>
    public static TokenHash Create(string token, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (iterations is < MinIterations or > MaxIterations)
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"between {MinIterations} and {MaxIterations}");
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new TokenHash(iterations, salt, Derive(token, salt, iterations));
    }

    /// <summary>Whether <paramref name="token"/> is the token this hashes (the comparison takes the same time
    /// wherever the hashes differ).</summary>
    public bool Verify(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return CryptographicOperations.FixedTimeEquals(Derive(token, _salt, Iterations), _hash);
    }

    /// <summary>Whether two hashes are the same stored credential (same count, salt and hash; fixed time).</summary>
    public bool SameAs(TokenHash? other) =>
        other is not null && other.Iterations == Iterations
        && CryptographicOperations.FixedTimeEquals(other._salt, _salt) && CryptographicOperations.FixedTimeEquals(other._hash, _hash);

    /// <summary>The stored form, <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>.</summary>
    public override string ToString() =>
        string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(_salt), Convert.ToBase64String(_hash));

    /// <summary>Whether <paramref name="text"/> claims to be a stored hash (starts with the scheme and a <c>$</c>),
    /// well formed or not; anything else is a plain token.</summary>
    public static bool LooksHashed(string text) => text.StartsWith(Scheme + "$", StringComparison.Ordinal);

    /// <summary>Reads the stored form.</summary>
    /// <returns>False with the reason when <paramref name="text"/> is not a well-formed hash.</returns>
    public static bool TryParse(string text, out TokenHash? hash, out string? error)
    {
        hash = null;
        error = Check(text, out var iterations, out var salt, out var digest);
        if (error is not null) return false;
        hash = new TokenHash(iterations, salt!, digest!);
        return true;
    }

    /// <exception cref="FormatException">Not a well-formed hash.</exception>
    public static TokenHash Parse(string text) =>
        TryParse(text, out var hash, out var error) ? hash! : throw new FormatException(error);

    private static string? Check(string text, out int iterations, out byte[]? salt, out byte[]? hash)
    {
        iterations = 0;
        salt = hash = null;
        if (!LooksHashed(text)) return $"not a token hash (it does not start with {Scheme}$)";
        var parts = text.Split('$');
        if (parts.Length != 4) return $"a token hash has four parts separated by $ ({Scheme}$ITERATIONS$SALT$HASH), this one has {parts.Length}";
        if (parts[1].Length is 0 or > 9 || !parts[1].All(char.IsAsciiDigit)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < MinIterations or > MaxIterations)
            return $"the iteration count of a token hash must be a number from {MinIterations} to {MaxIterations}";
        salt = FromBase64(parts[2]);
        if (salt is null || salt.Length < SaltBytes) return $"the salt of a token hash must be at least {SaltBytes} bytes in base64";
        hash = FromBase64(parts[3]);
        if (hash is null || hash.Length != HashBytes) return $"the hash of a token hash must be {HashBytes} bytes in base64";
        return null;
    }

    private static byte[]? FromBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var n) && n > 0 ? buffer[..n] : null;
    }

    private static byte[] Derive(string token, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(token), salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    /// <summary>A fresh token: 32 random bytes in base64url (no padding), 43 characters.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The line of <c>datsync.server.clients</c> that admits <paramref name="clientId"/> with the token
    /// <paramref name="hash"/> hashes: <c>"ID" = "pbkdf2-sha256$..."</c>.</summary>
    public static string ConfigLine(string clientId, TokenHash hash) => Quote(clientId) + " = " + Quote(hash.ToString());

    /// <summary>The config line for <paramref name="clientId"/> with a new hash of <paramref name="token"/>.</summary>
    public static string ConfigLine(string clientId, string token) => ConfigLine(clientId, Create(token));

    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
