using System.Globalization;
using System.Text.Json;
using Datsync.Core;

namespace Datsync.Core.Tests.Differential;

/// <summary>
/// Oracle workloads (shared/oracle/gen.py) with the outcomes DataScript 1.8.1 gave, stored under Data/difftest by
/// make_corpus.py: every transaction must succeed or fail as it did there and the final states must agree, compared
/// by :node/key as difftest.py does (including its tolerance for retractions DataScript ignores).
/// </summary>
public class DifferentialTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Data", "difftest");

    public static TheoryData<string> Seeds() => SeedsIn(Dir);

    /// <summary>The workloads of a corpus folder, by name (<c>seed-N</c>).</summary>
    internal static TheoryData<string> SeedsIn(string dir)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(dir, "seed-*.edn").Order()) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Fact]
    public void The_corpus_is_present()
    {
        Assert.True(Seeds().Count >= 100, $"expected at least 100 workloads in {Dir}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Workload_agrees_with_DataScript(string seed)
    {
        var txs = (IReadOnlyList<object?>)EdnReader.Read(File.ReadAllText(Path.Combine(Dir, seed + ".edn")))!;
        using var ds = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, seed + ".ds.json")));
        Replay(seed, txs, ds.RootElement);
    }

    /// <summary>Runs the transactions from an empty db, asserting each outcome and the final state against DataScript's
    /// (<c>results</c> and <c>state</c> of ds_run.js's output); returns the final db.</summary>
    internal static Db Replay(string seed, IReadOnlyList<object?> txs, JsonElement ds)
    {
        var results = ds.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(txs.Count - 1, results.Count);

        var db = Db.Empty.Transact((IReadOnlyList<object?>)txs[0]!).DbAfter;
        for (var i = 1; i < txs.Count; i++)
        {
            var forms = (IReadOnlyList<object?>)txs[i]!;
            var expected = results[i - 1];
            var dsOk = expected.GetProperty("ok").GetBoolean();
            string? error = null;
            try { db = db.Transact(forms).DbAfter; }
            catch (TxRejectedException e) { error = e.Describe(); }
            if ((error is null) == dsOk) continue;
            // Datomic rejects a lookup ref that finds nothing; DataScript ignores such a retraction
            if (error is not null && dsOk && expected.GetProperty("n").GetInt32() <= 1 && forms.All(IsRetraction)) continue;
            Assert.Fail($"{seed}: tx {i} {(error is null ? "succeeded" : "failed: " + error)} here but {(dsOk ? "succeeded" : "failed")} in DataScript: {EdnPrinter.Print(forms)}");
        }

        var expectedState = ds.GetProperty("state").EnumerateArray()
            .Select(x => Canon(x[0].GetString()!, x[1].GetString()!, JsonValue(x[2]))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedState, State(db));
        return db;
    }

    private static bool IsRetraction(object? form) =>
        form is IReadOnlyList<object?> { Count: > 0 } l && l[0] is Keyword k && (k.Name == "retract" || k.Name == "retractEntity");

    private static object JsonValue(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => v.GetDouble(),
        _ => throw new InvalidOperationException($"unexpected JSON value {v}"),
    };

    private static string Canon(string key, string attr, object v) => v switch
    {
        string s => $"{key}|{attr}|s:{s}",
        bool b => $"{key}|{attr}|b:{b}",
        double d => $"{key}|{attr}|n:{Math.Round(d, 9).ToString("R", CultureInfo.InvariantCulture)}",
        long l => $"{key}|{attr}|n:{((double)l).ToString("R", CultureInfo.InvariantCulture)}",
        _ => throw new InvalidOperationException($"unexpected value {v}"),
    };

    /// <summary>The user datoms keyed by :node/key, refs replaced by the key of their target.</summary>
    private static List<string> State(Db db)
    {
        var keyAttr = db.Schema[Keyword.Intern(":node/key")]!.Id;
        var keyOf = db.Datoms(IndexType.Aevt, keyAttr).ToDictionary(d => d.E, d => (string)d.V);
        var rows = new List<string>();
        foreach (var d in db.Datoms(IndexType.Eavt))
        {
            var a = db.Schema[d.A];
            if (a is null || a.Ident.Namespace != "node") continue;
            var key = keyOf.GetValueOrDefault(d.E, "#nokey");
            var v = a.IsRef ? keyOf.GetValueOrDefault((long)d.V, "#nokey") : d.V;
            rows.Add(Canon(key, a.Ident.FullName, v));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
