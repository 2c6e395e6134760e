using System.Diagnostics;

namespace Datsync.Benchmarks;

/// <summary>A prepared case: the timed body (returns its result) and the check run on the last result, untimed.</summary>
internal sealed record Prepared(Func<object> Run, Func<object, string> Check);

/// <summary>A benchmark case: its name and the untimed setup that prepares it.</summary>
internal sealed record BenchCase(string Name, Func<Prepared> Prepare);

/// <summary>The outcome of one case on one engine.</summary>
/// <remarks>AllocatedBytes: bytes allocated by the last sample (Datsync side only; 0 for DataScript).</remarks>
internal sealed record CaseResult(string Name, double MedianMs, double[] SamplesMs, string Check, long AllocatedBytes = 0);

/// <summary>How many runs: warmups are discarded, the median of the samples is reported.</summary>
internal sealed record RunSettings(int Warmup, int Samples);

/// <summary>The timing loop: warmup runs, then N samples, median reported. A full GC runs before each run, untimed.</summary>
internal static class Harness
{
    public static CaseResult Measure(string engine, BenchCase c, RunSettings s)
    {
        Progress(engine, $"{c.Name}: setup");
        var p = c.Prepare();
        Progress(engine, $"{c.Name}: {s.Warmup} warmup + {s.Samples} samples");
        object? last = null;
        var gcs = 0;
        for (var i = 0; i < s.Warmup; i++)
        {
            Collect();
            last = p.Run();
        }
        var samples = new double[s.Samples];
        long allocated = 0;
        for (var i = 0; i < s.Samples; i++)
        {
            last = null;
            Collect();
            var gen0 = GC.CollectionCount(0);
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            last = p.Run();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
            gcs = GC.CollectionCount(0) - gen0;
        }
        var check = p.Check(last!);
        var median = Median(samples);
        Progress(engine, $"{c.Name}: median {median:F1} ms (min {samples.Min():F1}, max {samples.Max():F1}), " +
                         $"{allocated / 1048576.0:F1} MB allocated and {gcs} gen0 GCs per run; {check}");
        return new CaseResult(c.Name, median, samples, check, allocated);
    }

    public static double Median(double[] xs)
    {
        var sorted = xs.OrderBy(x => x).ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    public static void Progress(string engine, string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] [{engine}] {message}");
}
