using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Datsync.Actors.Protocol;

namespace Datsync.Actors.Observability;

/// <summary>What one client session measures and traces (tag <c>client.id</c>): deltas and bootstrap bytes sent, the
/// session being live (<c>datsync.sessions.connected</c>), and the <c>datsync.transact</c> activity of a transaction
/// that came without a trace context of its own. Each call does nothing when nobody listens.</summary>
internal sealed class SessionTelemetry(string clientId)
{
    private static readonly ConcurrentDictionary<SessionTelemetry, byte> Live = new();

    /// <summary>The live sessions, by client (<c>datsync.sessions.connected</c>).</summary>
    internal static IEnumerable<Measurement<int>> ObserveLive()
    {
        foreach (var g in Live.Keys.GroupBy(s => s._clientId, StringComparer.Ordinal))
            yield return new Measurement<int>(g.Count(), DatsyncTelemetry.Tag(DatsyncTelemetry.ClientTag, g.Key));
    }

    private readonly string _clientId = clientId;
    private readonly KeyValuePair<string, object?> _client = DatsyncTelemetry.Tag(DatsyncTelemetry.ClientTag, clientId);
    private readonly Dictionary<string, Activity> _transacts = new();

    public void Started() => Live.TryAdd(this, 0);

    public void Stopped()
    {
        Live.TryRemove(this, out _);
        foreach (var a in _transacts.Values) DatsyncTelemetry.StopDetached(a, "the session stopped");
        _transacts.Clear();
    }

    /// <summary>Deltas sent to the replica: a <see cref="Datsync.Core.TxDelta"/>, a <see cref="TxDeltaBatch"/> or a
    /// range's.</summary>
    public void DeltasSent(int count)
    {
        if (count > 0 && DatsyncTelemetry.DeltasSent.Enabled) DatsyncTelemetry.DeltasSent.Add(count, _client);
    }

    public void DeltasSent(object deltas) => DeltasSent(deltas is TxDeltaBatch b ? b.Deltas.Count : 1);

    public void BootstrapSent(int bytes)
    {
        if (DatsyncTelemetry.BootstrapBytes.Enabled) DatsyncTelemetry.BootstrapBytes.Add(bytes, _client);
    }

    /// <summary>The traceparent for the transactor's request <paramref name="requestId"/>: the replica's
    /// (<paramref name="submitted"/>), when it sent a valid one (the write was started and is traced there); else that
    /// of a <c>datsync.transact</c> activity started here, ended with the request's outcome (<see cref="Answered"/>).
    /// </summary>
    public string? TraceParentOf(string requestId, string? submitted)
    {
        if (DatsyncTelemetry.CheckedTraceParent(submitted) is { } theirs) return theirs;
        if (!DatsyncTelemetry.Source.HasListeners() || _transacts.ContainsKey(requestId)) return null;
        var (activity, traceParent) = DatsyncTelemetry.StartTransact(DatsyncTelemetry.ClientTag, _clientId);
        if (activity is not null) _transacts[requestId] = activity;
        return traceParent;
    }

    public void Answered(string requestId, object outcome)
    {
        if (_transacts.Count == 0 || !_transacts.Remove(requestId, out var activity)) return;
        DatsyncTelemetry.StopDetached(activity, (outcome as TxRejected)?.Describe());
    }
}
