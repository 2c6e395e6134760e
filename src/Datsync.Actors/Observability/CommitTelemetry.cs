using System.Diagnostics;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Observability;

/// <summary>What the transactor of one master measures and traces (tag <c>master</c>): commits, rejections, journal
/// writes, commit durations and the <c>datsync.commit</c> activities. Each call does nothing when nobody listens.</summary>
internal sealed class CommitTelemetry(string master)
{
    private readonly KeyValuePair<string, object?> _master = DatsyncTelemetry.Tag(DatsyncTelemetry.MasterTag, master);

    /// <summary>When a request arrived, for <c>datsync.commit.duration</c> (0 when not measured).</summary>
    public long Received() => DatsyncTelemetry.StartTiming(DatsyncTelemetry.CommitDuration);

    /// <summary>The <c>datsync.commit</c> activity of a request, a child of its traceparent.</summary>
    public Activity? StartCommit(Transact request)
    {
        if (!DatsyncTelemetry.Source.HasListeners()) return null;
        var activity = DatsyncTelemetry.StartDetached("datsync.commit", ActivityKind.Internal, request.TraceParent ?? "",
            DatsyncTelemetry.MasterTag, master);
        activity?.SetTag("datsync.request_id", request.RequestId);
        return activity;
    }

    /// <summary>A journal write of <paramref name="transactions"/> transactions.</summary>
    public void Write(int transactions)
    {
        if (DatsyncTelemetry.JournalBatchSize.Enabled) DatsyncTelemetry.JournalBatchSize.Record(transactions, _master);
    }

    /// <summary>A request's write was confirmed as t: its duration recorded and its activity stopped. Returns the
    /// activity's traceparent, for the delta.</summary>
    public string? Committed(Activity? trace, long received, long t)
    {
        if (received != 0 && DatsyncTelemetry.CommitDuration.Enabled)
            DatsyncTelemetry.CommitDuration.Record(DatsyncTelemetry.ElapsedMs(received), _master);
        if (trace is null) return null;
        trace.SetTag("datsync.t", t);
        DatsyncTelemetry.StopDetached(trace);
        return trace.IdFormat == ActivityIdFormat.W3C ? trace.Id : null;
    }

    public void CommittedCount(int count)
    {
        if (count > 0 && DatsyncTelemetry.Committed.Enabled) DatsyncTelemetry.Committed.Add(count, _master);
    }

    /// <summary>A request answered without a commit of its own: a rejection is counted, and its activity stopped.</summary>
    public void Answered(Activity? trace, TxRejected? rejection)
    {
        if (rejection is not null) Rejected(rejection.Category);
        DatsyncTelemetry.StopDetached(trace, rejection?.Describe());
    }

    public void Rejected(Keyword category)
    {
        if (DatsyncTelemetry.Rejected.Enabled)
            DatsyncTelemetry.Rejected.Add(1, _master, DatsyncTelemetry.Tag(DatsyncTelemetry.CategoryTag, category.FullName));
    }
}
