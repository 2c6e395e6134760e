using System.Diagnostics.Metrics;
using Datsync.Actors.Observability;

namespace Datsync.Cli.Output;

/// <summary>Listens to the Datsync meter and writes a <see cref="MetricsSummary"/> line to standard error every
/// interval (<c>datsync serve --metrics</c>) until disposed.</summary>
internal sealed class MetricsPrinter : IAsyncDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricsSummary _summary = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public MetricsPrinter(TimeSpan interval, TextWriter output)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DatsyncTelemetry.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => _summary.Add(i.Name, v));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => _summary.Add(i.Name, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => _summary.Add(i.Name, v));
        _listener.Start();
        _loop = Print(interval, output, _stop.Token);
    }

    private async Task Print(TimeSpan interval, TextWriter output, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                _listener.RecordObservableInstruments();
                output.WriteLine(_summary.Render(interval));
                output.Flush();
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _listener.Dispose();
        _stop.Dispose();
    }
}
