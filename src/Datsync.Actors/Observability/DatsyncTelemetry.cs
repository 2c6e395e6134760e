using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Actors.Observability;

/// <summary>
/// The library's metrics (<see cref="MeterName"/>) and traces (<see cref="ActivitySourceName"/>), for
/// <c>System.Diagnostics.Metrics</c> listeners and OpenTelemetry (<c>AddMeter("Datsync")</c>,
/// <c>AddSource("Datsync")</c>). Master-side measurements carry the tag <c>master</c> (the master's persistence id),
/// session- and replica-side ones <c>client.id</c>. Nothing is measured or traced while nobody listens.
/// </summary>
public static class DatsyncTelemetry
{
    /// <summary>The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "Datsync";

    /// <summary>The name of the library's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "Datsync";

    internal const string MasterTag = "master";
    internal const string ClientTag = "client.id";
    internal const string CategoryTag = "category";

    /// <summary>The most characters of a traceparent taken from the wire (<see cref="Remote.WireBounds.MaxTraceParent"/>).</summary>
    internal const int MaxTraceParent = Remote.WireBounds.MaxTraceParent;

    internal static readonly Meter Meter = new(MeterName);
    internal static readonly ActivitySource Source = new(ActivitySourceName);

    internal static readonly Counter<long> Committed = Meter.CreateCounter<long>("datsync.transactions.committed", "{transaction}",
        "Transactions the master committed");
    internal static readonly Counter<long> Rejected = Meter.CreateCounter<long>("datsync.transactions.rejected", "{transaction}",
        "Transactions the master rejected, by category");
    internal static readonly Histogram<int> JournalBatchSize = Meter.CreateHistogram<int>("datsync.journal.batch_size", "{transaction}",
        "Transactions per journal write");
    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("datsync.commit.duration", "ms",
        "From the transactor receiving a request to the journal confirming its write");
    internal static readonly Counter<long> DeltasSent = Meter.CreateCounter<long>("datsync.deltas.sent", "{delta}",
        "Deltas a session sent to its replica");
    internal static readonly Counter<long> BootstrapBytes = Meter.CreateCounter<long>("datsync.bootstrap.bytes", "By",
        "Bytes of bootstrap chunks a session sent");
    internal static readonly ObservableGauge<int> SessionsConnected = Meter.CreateObservableGauge("datsync.sessions.connected",
        SessionTelemetry.ObserveLive, "{session}", "Live client sessions, by client");
    internal static readonly Histogram<double> ReplicaApplyDuration = Meter.CreateHistogram<double>("datsync.replica.apply.duration", "ms",
        "Time a replica takes to apply a batch of deltas");

    private static readonly ConcurrentDictionary<ReplicaShared, byte> Replicas = new();

    internal static readonly ObservableGauge<long> ReplicaLag = Meter.CreateObservableGauge("datsync.replica.lag", ObserveLag, "{transaction}",
        "Transactions a running replica is behind the master's t it last heard of");

    private static IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var r in Replicas.Keys)
            yield return new Measurement<long>(r.Status.Lag, new KeyValuePair<string, object?>(ClientTag, r.ClientId));
    }

    /// <summary>A replica that publishes its status is measured (<c>datsync.replica.lag</c>) until it stops.</summary>
    internal static bool ReplicaRunning(ReplicaShared replica)
    {
        Replicas.TryAdd(replica, 0);
        return true;
    }

    internal static void ReplicaStopped(ReplicaShared replica) => Replicas.TryRemove(replica, out _);

    // ------------------------------------------------------------------ traces

    /// <summary>
    /// Starts the <c>datsync.transact</c> activity of a write its caller starts now (the current activity, if any, is its
    /// parent), without making it the current one of the caller, and returns it with the traceparent to put on the
    /// message. When nobody listens: no activity, and the current activity's traceparent (or null). With
    /// <paramref name="until"/>, the activity stops when that task completes (an error status when it faults).
    /// </summary>
    internal static (Activity? Activity, string? TraceParent) StartTransact(string tag, string value, Task? until = null)
    {
        if (!Source.HasListeners()) return (null, Activity.Current is { IdFormat: ActivityIdFormat.W3C } c ? c.Id : null);
        var activity = StartDetached("datsync.transact", ActivityKind.Producer, default, tag, value);
        if (activity is null) return (null, null);
        if (until is not null) StopWhen(activity, until);
        return (activity, activity.IdFormat == ActivityIdFormat.W3C ? activity.Id : null);
    }

    /// <summary>Stops <paramref name="activity"/> when <paramref name="task"/> completes: with an error status when it
    /// faults, or when its result is a <see cref="Protocol.TxRejected"/>.</summary>
    internal static void StopWhen(Activity? activity, Task task)
    {
        if (activity is null) return;
        task.ContinueWith(static (t, state) => StopDetached((Activity)state!,
                t.Exception?.InnerException?.Message ?? (t is Task<object> { Status: TaskStatus.RanToCompletion, Result: Protocol.TxRejected r } ? r.Describe() : null)),
            activity, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>An activity started under <paramref name="parentTraceParent"/> when it is a valid traceparent (a root when
    /// it is not; under the current activity when it is null), not made current.</summary>
    internal static Activity? StartDetached(string name, ActivityKind kind, string? parentTraceParent, string tag, string value,
        DateTimeOffset startTime = default)
    {
        if (!Source.HasListeners()) return null;
        var previous = Activity.Current;
        if (parentTraceParent is not null) Activity.Current = null; // no parent but the one given
        var activity = TryParent(parentTraceParent, out var parent)
            ? Source.StartActivity(name, kind, parent, startTime: startTime)
            : Source.StartActivity(name, kind, parentContext: default, startTime: startTime);
        activity?.SetTag(tag, value);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Stops an activity without touching the caller's current one; an error status with
    /// <paramref name="error"/>.</summary>
    internal static void StopDetached(Activity? activity, string? error = null, DateTime endTime = default)
    {
        if (activity is null) return;
        var previous = Activity.Current;
        if (error is not null) activity.SetStatus(ActivityStatusCode.Error, error);
        if (endTime != default) activity.SetEndTime(endTime);
        activity.Stop();
        Activity.Current = previous;
    }

    /// <summary>A traceparent from another process, or null when it is over <see cref="MaxTraceParent"/> characters or not
    /// a valid W3C traceparent (untrusted input: ignored, never an error).</summary>
    internal static string? CheckedTraceParent(string? traceParent) =>
        traceParent is { Length: > 0 and <= MaxTraceParent } && ActivityContext.TryParse(traceParent, null, out _) ? traceParent : null;

    private static bool TryParent(string? traceParent, out ActivityContext parent)
    {
        parent = default;
        return traceParent is { Length: > 0 and <= MaxTraceParent } && ActivityContext.TryParse(traceParent, null, isRemote: true, out parent);
    }

    // ------------------------------------------------------------------ measurements

    internal static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    /// <summary>A timestamp for a duration, or 0 when neither the histogram nor the activity source is listened to.</summary>
    internal static long StartTiming(Histogram<double> histogram) =>
        histogram.Enabled || Source.HasListeners() ? Stopwatch.GetTimestamp() : 0;

    internal static double ElapsedMs(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    /// <summary>
    /// Applies <paramref name="deltas"/> to a replica's state, measuring the time it takes
    /// (<c>datsync.replica.apply.duration</c>) and tracing a <c>datsync.replica.apply</c> activity for every applied
    /// delta that carries its commit's trace context.
    /// </summary>
    internal static DeltaStep Apply(string clientId, ReplicaState state, IReadOnlyList<TxDelta> deltas)
    {
        var tracing = Source.HasListeners();
        if (!ReplicaApplyDuration.Enabled && !tracing) return state.Offer(deltas);
        var startedAt = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var step = state.Offer(deltas);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (step.Applied.Count == 0) return step;
        if (ReplicaApplyDuration.Enabled) ReplicaApplyDuration.Record(elapsed.TotalMilliseconds, Tag(ClientTag, clientId));
        if (tracing)
            foreach (var a in step.Applied)
            {
                if (a.Delta.TraceParent is not { } parent) continue;
                var activity = StartDetached("datsync.replica.apply", ActivityKind.Consumer, parent, ClientTag, clientId, startedAt);
                if (activity is null) continue;
                activity.SetTag("datsync.t", a.Delta.T);
                StopDetached(activity, endTime: (startedAt + elapsed).UtcDateTime);
            }
        return step;
    }
}
