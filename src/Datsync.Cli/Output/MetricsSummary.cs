using System.Globalization;

namespace Datsync.Cli.Output;

/// <summary>
/// What <c>datsync serve --metrics</c> prints: the measurements of the Datsync meter, added as they come, summed up in
/// one line per interval. Counters are totals since the start (committed with its growth over the interval); the
/// gauge of live sessions is the sum of the values observed since the last line; commit times (p50, p99) and journal
/// batch sizes (average) are those of the interval. Thread-safe; no clock or timer of its own.
/// </summary>
internal sealed class MetricsSummary
{
    private readonly Lock _lock = new();
    private long _committed, _committedAtLastLine, _rejected, _deltasSent, _bootstrapBytes;
    private double? _sessions;
    private readonly List<double> _commitMs = new();
    private long _batches, _batchedTransactions;

    /// <summary>One measurement of instrument <paramref name="instrument"/> (others than the summed ones are ignored).</summary>
    public void Add(string instrument, double value)
    {
        lock (_lock)
        {
            switch (instrument)
            {
                case "datsync.transactions.committed": _committed += (long)value; break;
                case "datsync.transactions.rejected": _rejected += (long)value; break;
                case "datsync.deltas.sent": _deltasSent += (long)value; break;
                case "datsync.bootstrap.bytes": _bootstrapBytes += (long)value; break;
                case "datsync.sessions.connected": _sessions = (_sessions ?? 0) + value; break;
                case "datsync.commit.duration": _commitMs.Add(value); break;
                case "datsync.journal.batch_size":
                    _batches++;
                    _batchedTransactions += (long)value;
                    break;
            }
        }
    }

    /// <summary>The line for the interval that ends now, e.g. <c>metrics: committed 1,203 (+240/5s) rejected 3 sessions 4
    /// deltas-sent 4,812 bootstrap 1.2 MB commit p50 1.2 ms p99 8.0 ms journal-batch avg 3.1</c>; starts the next
    /// interval.</summary>
    public string Render(TimeSpan interval)
    {
        lock (_lock)
        {
            var c = CultureInfo.InvariantCulture;
            var line = new System.Text.StringBuilder("metrics: ");
            line.Append(c, $"committed {_committed:N0} (+{_committed - _committedAtLastLine:N0}/{Seconds(interval)}s)");
            line.Append(c, $" rejected {_rejected:N0}");
            line.Append(c, $" sessions {_sessions ?? 0:N0}");
            line.Append(c, $" deltas-sent {_deltasSent:N0}");
            if (_bootstrapBytes > 0) line.Append(" bootstrap ").Append(Bytes(_bootstrapBytes));
            if (_commitMs.Count > 0)
            {
                _commitMs.Sort();
                line.Append(c, $" commit p50 {Percentile(_commitMs, 0.50):F1} ms p99 {Percentile(_commitMs, 0.99):F1} ms");
            }
            else line.Append(" commit -");
            line.Append(_batches > 0 ? string.Format(c, " journal-batch avg {0:F1}", (double)_batchedTransactions / _batches) : " journal-batch -");
            _committedAtLastLine = _committed;
            _sessions = null;
            _commitMs.Clear();
            _batches = _batchedTransactions = 0;
            return line.ToString();
        }
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(List<double> sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static string Seconds(TimeSpan interval) =>
        interval.TotalSeconds.ToString(interval.TotalSeconds % 1 == 0 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MB"),
    };
}
