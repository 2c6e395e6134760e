using System.Globalization;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;
using Datsync.Core;

namespace Datsync.Cli.Commands.Chaos;

/// <summary>A replica's digest at the end of a chaos run, or why it has none.</summary>
internal sealed record ChaosReplicaDigest(string Name, DbDigest? Digest, string? Problem = null);

/// <summary>What one hostile input did: whether it was rejected as it should (exit code ≠ 0, one line on standard
/// error), and whether the server was still up and answering afterwards.</summary>
internal sealed record ChaosHostileResult(string Name, bool Rejected, bool ServerSurvived, string What);

/// <summary>The checks at the end of <c>datsync chaos</c>, as pure functions of what was recorded and what the master
/// and the replicas hold.</summary>
internal static class ChaosVerdict
{
    /// <summary>Every <c>:chaos/op</c> marker of this run (those starting with <paramref name="prefix"/>) in
    /// <paramref name="db"/>, with the t of each entity that holds it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<long>> MarkersIn(Db db, string prefix)
    {
        var markers = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        foreach (var d in db.Datoms(IndexType.Aevt, ChaosWriter.Op))
        {
            if (d.V is not string m || !m.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (!markers.TryGetValue(m, out var ts)) markers[m] = ts = [];
            ts.Add(d.T);
        }
        return markers.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<long>)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>A rejection that says the transaction was not committed: the transactor's own (<c>:db.error/...</c>).
    /// The server's and the replica's <c>:datsync.error/...</c> (unavailable, busy, refused) are not checked.</summary>
    public static bool DefinitelyNotCommitted(string? category) =>
        category is not null && category.TrimStart(':').StartsWith("db.error/", StringComparison.Ordinal);

    /// <summary>Up to <paramref name="max"/> datom lines (<see cref="DbDigest.Lines"/>) in one and not the other:
    /// <c>only in the master: E A V</c> / <c>only in the replica: E A V</c>.</summary>
    public static IReadOnlyList<string> Differences(IEnumerable<string> master, IEnumerable<string> replica, int max)
    {
        var m = master.ToHashSet(StringComparer.Ordinal);
        var r = replica.ToHashSet(StringComparer.Ordinal);
        return m.Where(x => !r.Contains(x)).Select(x => "only in the master: " + x)
            .Concat(r.Where(x => !m.Contains(x)).Select(x => "only in the replica: " + x))
            .Take(max).ToList();
    }

    /// <summary>
    /// What is wrong, one line each; none: the run passes. Every acknowledged marker is in the master exactly once (at
    /// the t it was acknowledged with); no marker is there twice; a marker the transactor rejected is not there; every
    /// marker there was submitted by a writer; every replica equals the master at the master's t; every hostile input
    /// was rejected and left the server up; no process exited on its own (<paramref name="crashes"/>).
    /// </summary>
    public static IReadOnlyList<string> Violations(IReadOnlyList<ChaosOutcome> outcomes,
        IReadOnlyDictionary<string, IReadOnlyList<long>> masterMarkers, DbDigest master, IReadOnlyList<ChaosReplicaDigest> replicas,
        IReadOnlyList<ChaosHostileResult> hostile, IReadOnlyList<string>? crashes = null)
    {
        var violations = new List<string>();
        string Ts(IReadOnlyList<long> ts) => string.Join(", ", ts.Select(t => t.ToString(CultureInfo.InvariantCulture)));

        var known = new Dictionary<string, ChaosOutcome>(StringComparer.Ordinal);
        foreach (var o in outcomes)
            if (!known.TryAdd(o.Marker, o)) violations.Add($"marker {o.Marker} was submitted twice (by {known[o.Marker].Writer} and {o.Writer})");

        foreach (var o in outcomes)
        {
            var ts = masterMarkers.TryGetValue(o.Marker, out var found) ? found : [];
            switch (o.Kind)
            {
                case ChaosOutcomeKind.Acknowledged when ts.Count == 0:
                    violations.Add($"acknowledged marker {o.Marker} (via {o.Writer}, t={o.T}) is not in the master");
                    break;
                case ChaosOutcomeKind.Acknowledged when ts.Count > 1:
                    violations.Add($"acknowledged marker {o.Marker} (via {o.Writer}, t={o.T}) is in the master {ts.Count} times (t={Ts(ts)})");
                    break;
                case ChaosOutcomeKind.Acknowledged when ts[0] != o.T:
                    violations.Add($"acknowledged marker {o.Marker} (via {o.Writer}) was acknowledged at t={o.T} but the master has it at t={ts[0]}");
                    break;
                case ChaosOutcomeKind.Acknowledged when o.T > master.T:
                    violations.Add($"acknowledged marker {o.Marker} (via {o.Writer}) has t={o.T}, past the master's t={master.T}");
                    break;
                case ChaosOutcomeKind.Rejected when ts.Count > 0 && DefinitelyNotCommitted(o.Category):
                    violations.Add($"rejected marker {o.Marker} (via {o.Writer}, {o.Category}) is in the master (t={Ts(ts)})");
                    break;
                case not ChaosOutcomeKind.Acknowledged when ts.Count > 1:
                    violations.Add($"{(o.Kind == ChaosOutcomeKind.InDoubt ? "in-doubt" : "rejected")} marker {o.Marker} (via {o.Writer}) is in the master {ts.Count} times (t={Ts(ts)})");
                    break;
            }
        }

        foreach (var (marker, ts) in masterMarkers.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (!known.ContainsKey(marker))
                violations.Add($"marker {marker} is in the master (t={Ts(ts)}) but no writer submitted it");

        foreach (var r in replicas)
        {
            if (r.Digest is not { } d) violations.Add($"replica {r.Name} gave no digest: {r.Problem ?? "no reason"}");
            else if (d.T != master.T) violations.Add($"replica {r.Name} is at t={d.T}, the master at t={master.T}");
            else if (d.Datoms != master.Datoms) violations.Add($"replica {r.Name} holds {d.Datoms:N0} datoms at t={d.T}, the master {master.Datoms:N0}");
            else if (d.Sha256 != master.Sha256) violations.Add($"replica {r.Name} holds other datoms than the master at t={d.T} (sha256 {d.Sha256[..16]}, the master {master.Sha256[..16]})");
        }

        foreach (var h in hostile)
        {
            if (!h.Rejected) violations.Add($"hostile input {h.Name} was not rejected as it should: {h.What}");
            if (!h.ServerSurvived) violations.Add($"hostile input {h.Name} took the server down: {h.What}");
        }
        foreach (var c in crashes ?? []) violations.Add(c);
        return violations;
    }
}
