namespace Datsync.Core;

/// <summary>How a replica catches up with the master: which deltas it asks for again, and how long it waits before it
/// sends another handshake.</summary>
internal static class CatchUp
{
    /// <summary>The deltas to ask for: the range before the held deltas (at most <paramref name="atOnce"/> of it), or,
    /// when the replica is <paramref name="stalled"/> (its basis did not move and no delta came for a whole interval)
    /// while the master is ahead, the deltas after the basis (the last ones may have been lost); null when there is
    /// nothing to ask.</summary>
    public static (long FromT, long ToT)? Wanted((long FromT, long ToT)? missing, long basisT, long headT, bool stalled, int atOnce)
    {
        // a bounded range at a time: the log's own stream goes on meanwhile, and what a range misses is asked next
        if (missing is { } m) return (m.FromT, Math.Min(m.ToT, m.FromT + atOnce - 1));
        if (stalled && headT > basisT) return (basisT + 1, Math.Min(headT, basisT + atOnce));
        return null;
    }

    /// <summary>The wait before the next handshake when one went unanswered: twice the last, up to the connection
    /// timeout (and never below the retry interval).</summary>
    public static TimeSpan NextConnectDelay(TimeSpan last, TimeSpan retryInterval, TimeSpan connectionTimeout) =>
        TimeSpan.FromTicks(Math.Min(last.Ticks * 2, Math.Max(retryInterval.Ticks, connectionTimeout.Ticks)));
}
