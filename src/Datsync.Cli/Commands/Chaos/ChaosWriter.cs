using System.Collections.Concurrent;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;
using Datsync.Core;

namespace Datsync.Cli.Commands.Chaos;

internal enum ChaosOutcomeKind { Acknowledged, Rejected, InDoubt }

/// <summary>What became of one marker transaction: acknowledged at <see cref="T"/>, rejected with a category, or in
/// doubt (no answer: it may or may not have been committed).</summary>
internal sealed record ChaosOutcome(string Marker, string Writer, ChaosOutcomeKind Kind, long? T = null, string? Category = null, string? Detail = null)
{
    /// <summary>The line a replica process prints for it: <c>ack M T</c>, <c>rejected M CATEGORY TEXT</c>,
    /// <c>doubt M TEXT</c>.</summary>
    public string ToLine() => Kind switch
    {
        ChaosOutcomeKind.Acknowledged => FormattableString.Invariant($"ack {Marker} {T}"),
        ChaosOutcomeKind.Rejected => $"rejected {Marker} {Category} {OneLine(Detail)}",
        _ => $"doubt {Marker} {OneLine(Detail)}",
    };

    public static ChaosOutcome? Parse(string line, string writer)
    {
        var w = line.Split(' ', 4);
        if (w.Length < 2) return null;
        return w[0] switch
        {
            "ack" when w.Length >= 3 && long.TryParse(w[2], out var t) => new ChaosOutcome(w[1], writer, ChaosOutcomeKind.Acknowledged, t),
            "rejected" when w.Length >= 3 => new ChaosOutcome(w[1], writer, ChaosOutcomeKind.Rejected, Category: w[2], Detail: w.Length > 3 ? w[3] : null),
            "doubt" => new ChaosOutcome(w[1], writer, ChaosOutcomeKind.InDoubt, Detail: string.Join(' ', w.Skip(2))),
            _ => null,
        };
    }

    private static string OneLine(string? s) => (s ?? "").ReplaceLineEndings(" ");
}

/// <summary>
/// The chaos writers' transactions: each creates a fresh entity whose <c>:chaos/op</c> (a string attribute, not
/// unique) holds a marker no other transaction uses, so one committed twice shows as two entities with one marker.
/// The same writer runs in <c>datsync chaos</c> (through the master) and in its replica processes.
/// </summary>
internal static class ChaosWriter
{
    public static readonly Keyword Op = Keyword.Intern(":chaos/op");

    /// <summary>The marker attribute, and the attributes the hostile inputs aim at (a ref, a double, a string).</summary>
    public const string Schema = """
        [{:db/ident :chaos/op :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :chaos/next :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/isComponent true}
         {:db/ident :chaos/x :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
         {:db/ident :chaos/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>Marker of a writer's <paramref name="n"/>th transaction in its <paramref name="generation"/>th process.</summary>
    public static string Marker(string run, string writer, int generation, long n) =>
        FormattableString.Invariant($"{run}-{writer}.{generation}-{n:D6}");

    public static string Tx(string marker) => $"[{{:db/id \"c\" :chaos/op {EdnPrinter.Print(marker)}}}]";

    /// <summary>Runs one writer, one transaction at a time, until <paramref name="stop"/>: tells
    /// <paramref name="submitting"/> each marker before it goes, then <paramref name="done"/> its outcome.</summary>
    public static async Task Run(string writer, Func<long, string> markerOf, Func<string, Task<DemoTxOutcome>> submit,
        Action<string> submitting, Action<ChaosOutcome> done, CancellationToken stop)
    {
        for (long n = 1; !stop.IsCancellationRequested; n++)
        {
            var marker = markerOf(n);
            submitting(marker);
            ChaosOutcome outcome;
            try
            {
                var r = await submit(Tx(marker));
                outcome = r.T is { } t
                    ? new ChaosOutcome(marker, writer, ChaosOutcomeKind.Acknowledged, t)
                    : new ChaosOutcome(marker, writer, ChaosOutcomeKind.Rejected, Category: r.Category?.ToString(), Detail: r.Message);
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
            {
                outcome = new ChaosOutcome(marker, writer, ChaosOutcomeKind.InDoubt, Detail: $"no answer ({e.GetType().Name})");
            }
            done(outcome);
            // after a failure, a pause: a writer facing a server that is down does not spin
            if (outcome.Kind != ChaosOutcomeKind.Acknowledged)
            {
                try { await Task.Delay(250, stop); }
                catch (OperationCanceledException) { }
            }
        }
    }
}

/// <summary>Every marker submitted in a chaos run and its outcome (from any thread).</summary>
internal sealed class ChaosLedger
{
    private readonly ConcurrentDictionary<string, (string Writer, ChaosOutcome? Outcome)> _markers = new();
    private long _acked, _rejected, _doubt;

    public long Acknowledged => Interlocked.Read(ref _acked);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long InDoubt => Interlocked.Read(ref _doubt);

    public void Submitting(string marker, string writer) => _markers.TryAdd(marker, (writer, null));

    public void Record(ChaosOutcome o)
    {
        _markers[o.Marker] = (o.Writer, o);
        if (o.Kind == ChaosOutcomeKind.Acknowledged) Interlocked.Increment(ref _acked);
        else if (o.Kind == ChaosOutcomeKind.Rejected) Interlocked.Increment(ref _rejected);
        else Interlocked.Increment(ref _doubt);
    }

    /// <summary>Every marker's outcome; one submitted without an answer is in doubt (its process was killed, or the
    /// run ended first).</summary>
    public IReadOnlyList<ChaosOutcome> Outcomes() =>
        _markers.Select(kv => kv.Value.Outcome ?? new ChaosOutcome(kv.Key, kv.Value.Writer, ChaosOutcomeKind.InDoubt,
                Detail: "no answer (its writer's process was killed, or the run ended first)"))
            .OrderBy(o => o.Marker, StringComparer.Ordinal).ToList();
}
