using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Datsync.Actors.Observability;

namespace Datsync.Actors.Tests.Observability;

/// <summary>One measurement of the Datsync meter: the instrument, the value and the tags.</summary>
public sealed record Measured(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var v) ? v?.ToString() : null;
}

/// <summary>Listens to the Datsync meter and keeps the measurements whose tag <c>master</c> or <c>client.id</c> is one
/// of the given values (other tests of the same process measure too).</summary>
public sealed class MeasurementLog : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();
    private readonly HashSet<string> _values;

    public MeasurementLog(params string[] tagValues)
    {
        _values = new HashSet<string>(tagValues, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DatsyncTelemetry.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Keep(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Keep(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Keep(i, v, tags));
        _listener.Start();
    }

    private void Keep(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dict = new Dictionary<string, object?>(tags.Length);
        var ours = false;
        foreach (var (k, v) in tags)
        {
            dict[k] = v;
            if (k is "master" or "client.id" && v is string s && _values.Contains(s)) ours = true;
        }
        if (ours) _measured.Enqueue(new Measured(instrument.Name, instrument.Unit, value, dict));
    }

    /// <summary>Asks the observable instruments (gauges) for their values now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public IReadOnlyList<Measured> Of(string instrument) => _measured.Where(m => m.Instrument == instrument).ToList();

    public double Sum(string instrument, Func<Measured, bool>? where = null) => Of(instrument).Where(where ?? (_ => true)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}

/// <summary>Listens to the Datsync activity source and keeps every activity that stopped.</summary>
public sealed class ActivityLog : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public ActivityLog()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == DatsyncTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped(string name, Func<Activity, bool>? where = null) =>
        _stopped.Where(a => a.OperationName == name && (where?.Invoke(a) ?? true)).ToList();

    public void Dispose() => _listener.Dispose();
}
