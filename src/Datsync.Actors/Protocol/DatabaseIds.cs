using System.Security.Cryptography;

namespace Datsync.Actors.Protocol;

/// <summary>
/// A master database's id: a random 128-bit id written as 32 lowercase hex characters, made when the database is
/// created and never changed (journaled with its first transaction and kept in every snapshot). A replica's handshake
/// names the database its value came from, and a session resumes it from its t only when that is the master's
/// database: a replica never resumes against a master it was not synced from.
/// </summary>
internal static class DatabaseIds
{
    /// <summary>Characters of an id.</summary>
    public const int Length = 32;

    /// <summary>A fresh id.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    /// <summary>The id <paramref name="id"/> names, or null when it is none: null, or anything but 32 hex characters
    /// (what a peer sends is checked before it is kept or compared; an id it mangles counts as no id). Upper-case hex
    /// reads as its lower-case form.</summary>
    public static string? Checked(string? id)
    {
        if (id is null || id.Length != Length) return null;
        foreach (var c in id)
            if (!char.IsAsciiHexDigit(c)) return null;
        return id.ToLowerInvariant();
    }
}
