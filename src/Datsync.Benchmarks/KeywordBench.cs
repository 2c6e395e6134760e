using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>
/// `keywords`: the cost of interning. Existing names through <see cref="Keyword.Intern(string)"/> and through the
/// reader's span lookup, a sizeable EDN transaction read with <see cref="EdnReader"/>, and fresh names (the insert
/// path). Each figure is the median of the samples, after a full GC before every sample.
/// </summary>
internal static class KeywordBench
{
    private const int PoolSize = 1024;
    private const int Lookups = 10_000_000;
    private const int TxEntities = 20_000;
    private const int FreshNames = 1_000_000;

    public static int Run(string[] args)
    {
        var samples = 7;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--samples" when i + 1 < args.Length:
                    samples = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--quick": samples = 3; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}\nusage: Datsync.Benchmarks keywords [--samples N] [--quick]");
                    return 2;
            }
        }

        // existing names: a pool of strings built once, interned once before timing
        var names = new string[PoolSize];
        for (var i = 0; i < PoolSize; i++) names[i] = (i % 4 == 0 ? "bench" : "bench.ns" + i % 7) + "/attr-" + i;
        var held = new Keyword[PoolSize];
        for (var i = 0; i < PoolSize; i++) held[i] = Keyword.Intern(names[i]);
        var chars = string.Concat(names);
        var offsets = new int[PoolSize + 1];
        for (var i = 0; i < PoolSize; i++) offsets[i + 1] = offsets[i] + names[i].Length;

        var tx = TransactionText();
        Console.Error.WriteLine($"[keywords] {samples} samples (+1 warmup) each; transaction text {tx.Length / 1024} KB, {TxEntities} entity maps");

        var rows = new List<(string Case, string What, double Ms, double Min, string Per)>();

        var (ms, min) = Measure(samples, () =>
        {
            long sum = 0;
            for (var i = 0; i < Lookups; i++) sum += Keyword.Intern(names[i & (PoolSize - 1)]).FullName.Length;
            return sum;
        });
        rows.Add(("intern-string", $"{Lookups / 1_000_000}M Keyword.Intern(string), existing names", ms, min, $"{ms * 1e6 / Lookups:F1} ns/op"));

        (ms, min) = Measure(samples, () =>
        {
            long sum = 0;
            var span = chars.AsSpan();
            for (var i = 0; i < Lookups; i++)
            {
                var j = i & (PoolSize - 1);
                sum += Keyword.InternChars(span[offsets[j]..offsets[j + 1]]).FullName.Length;
            }
            return sum;
        });
        rows.Add(("intern-chars", $"{Lookups / 1_000_000}M span lookups (the reader's path), existing names", ms, min, $"{ms * 1e6 / Lookups:F1} ns/op"));

        (ms, min) = Measure(samples, () => ((EdnSequence)EdnReader.Read(tx)!).Count);
        rows.Add(("read-tx", $"EdnReader.Read of a {TxEntities}-map transaction ({tx.Length / 1024} KB), its keywords not held between reads", ms, min, $"{tx.Length / 1048576.0 / (ms / 1000):F0} MB/s"));

        // as on a server, where the schema holds the attributes and the db holds keyword values
        var keep = EdnReader.Read(tx);
        (ms, min) = Measure(samples, () => ((EdnSequence)EdnReader.Read(tx)!).Count);
        GC.KeepAlive(keep);
        keep = null;
        rows.Add(("read-tx-held", $"the same, its keywords held elsewhere", ms, min, $"{tx.Length / 1048576.0 / (ms / 1000):F0} MB/s"));

        var round = 0;
        (ms, min) = Measure(samples, () =>
        {
            var r = round++;
            long sum = 0;
            for (var i = 0; i < FreshNames; i++) sum += Keyword.Intern("fresh" + r + "/k" + i).FullName.Length;
            return sum;
        });
        rows.Add(("intern-fresh", $"{FreshNames / 1_000_000}M Keyword.Intern(string), fresh names (dropped)", ms, min, $"{ms * 1e6 / FreshNames:F1} ns/op"));

        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        var beforeSweep = Keyword.InternedCount;
        Keyword.Sweep();
        var afterSweep = Keyword.InternedCount;
        GC.KeepAlive(held);

        Console.WriteLine();
        Console.WriteLine($"> {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; median of {samples}");
        Console.WriteLine();
        Console.WriteLine("| case | what | median ms | min ms | per op (median) |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (var (c, what, m, mn, per) in rows) Console.WriteLine($"| {c} | {what} | {m:F1} | {mn:F1} | {per} |");
        Console.WriteLine();
        Console.WriteLine($"intern table after {samples + 1} x {FreshNames:N0} fresh names and a full GC: {beforeSweep:N0} entries, " +
                          $"{afterSweep:N0} after a sweep ({PoolSize} of them held by the benchmark)");
        return 0;
    }

    private static (double Median, double Min) Measure(int samples, Func<long> body)
    {
        GC.Collect();
        body(); // warmup
        var ms = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var start = Stopwatch.GetTimestamp();
            body();
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return (Harness.Median(ms), ms.Min());
    }

    /// <summary>A transaction a client might send: entity maps with a handful of namespaced attributes.</summary>
    private static string TransactionText()
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < TxEntities; i++)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{{:db/id \"p{i}\" :person/id {i} :person/name \"name {i}\" :person/last-name \"last {i % 97}\" " +
                $":person/age {20 + i % 60} :person/salary {1000 + i * 7} :person/status :status/active :person/tags #{{:tag/a{i % 5} :tag/b}}}}\n");
        }
        return sb.Append(']').ToString();
    }
}
