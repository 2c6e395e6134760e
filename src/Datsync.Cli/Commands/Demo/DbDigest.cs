using System.Security.Cryptography;
using System.Text;
using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Cli.Commands.Demo;

/// <summary>A database value summed up to compare it with another one in a different process: its basis t, its
/// number of current datoms and a SHA-256 of every datom's entity, attribute and value in EAVT order.</summary>
internal sealed record DbDigest(long T, int Datoms, string Sha256)
{
    public static DbDigest Of(Db db)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var count = 0;
        foreach (var line in Lines(db))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            count++;
        }
        return new DbDigest(db.BasisT, count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The lines the digest hashes, one per datom in EAVT order: <c>E A VALUE</c> (the value as EDN).</summary>
    public static IEnumerable<string> Lines(Db db)
    {
        var line = new StringBuilder();
        foreach (var d in db.Datoms(IndexType.Eavt))
            yield return line.Clear().Append(d.E).Append(' ').Append(d.A).Append(' ').Append(EdnPrinter.Print(d.V)).ToString();
    }

    /// <summary>The line a replica process prints: <c>digest t=T datoms=N sha256=H</c>.</summary>
    public string ToLine() => $"digest t={T} datoms={Datoms} sha256={Sha256}";

    public static DbDigest? TryParse(string line)
    {
        var f = DemoReplicaProcess.Fields(line, "digest");
        return f is not null && long.TryParse(f.GetValueOrDefault("t"), out var t) && int.TryParse(f.GetValueOrDefault("datoms"), out var n)
               && f.TryGetValue("sha256", out var h)
            ? new DbDigest(t, n, h)
            : null;
    }

    /// <summary>The first datom (E A V) where two values differ, or null when they hold the same datoms.</summary>
    public static string? FirstDifference(Db master, Db replica)
    {
        using var m = master.Datoms(IndexType.Eavt).GetEnumerator();
        using var r = replica.Datoms(IndexType.Eavt).GetEnumerator();
        while (true)
        {
            var hasM = m.MoveNext();
            var hasR = r.MoveNext();
            if (!hasM && !hasR) return null;
            if (hasM && hasR && m.Current.SameFact(r.Current)) continue;
            return (hasM ? $"master has {Show(master, m.Current)}" : "master has no more datoms") + ", " +
                   (hasR ? $"replica has {Show(replica, r.Current)}" : "replica has no more datoms");
        }
    }

    private static string Show(Db db, Datom d) => $"[{d.E} {db.Ident(d.A)?.ToString() ?? d.A.ToString()} {EdnPrinter.Print(d.V)}]";
}
