using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;

namespace Datsync.Actors.Remote;

/// <summary>The transport guard's bounds and filter, for a server (<c>datsync.server</c>) or a client
/// (<c>datsync.client</c>).</summary>
/// <param name="MaxConnections">Inbound connections open at once; one past it is closed at once.</param>
/// <param name="MaxHandshakes">Inbound connections open at once that have not sent Akka's handshake yet.</param>
/// <param name="HandshakeTimeout">An inbound connection without a handshake for this long is closed.</param>
/// <param name="AllowedRecipients">Paths inbound messages may go to (with what is below them); empty: any.</param>
/// <param name="LogInterval">The guard logs what it refuses at most once per this interval (with counts).</param>
/// <param name="InboundOnlyFromPeers">An inbound connection's handshake must come from a system this one connected
/// to before (a client's server connecting back); others are closed.</param>
internal sealed record WireGuardSettings(int MaxConnections, int MaxHandshakes, TimeSpan HandshakeTimeout,
    IReadOnlyList<string> AllowedRecipients, TimeSpan LogInterval, bool InboundOnlyFromPeers = false)
{
    /// <summary>Reads the bounds of <paramref name="section"/> (<c>datsync.server</c> or <c>datsync.client</c>).</summary>
    public static WireGuardSettings From(Config config, string section)
    {
        var c = config.GetConfig(section) ?? Config.Empty;
        var s = new WireGuardSettings(
            c.GetInt("max-connections", 1024),
            c.GetInt("max-handshakes", 64),
            c.GetTimeSpan("handshake-timeout", TimeSpan.FromSeconds(5)),
            c.HasPath("allowed-recipients") ? c.GetStringList("allowed-recipients").ToList() : [],
            config.GetTimeSpan("datsync.wire.guard-log-interval", TimeSpan.FromSeconds(10)),
            c.GetBoolean("inbound-only-from-servers", false));
        if (s.MaxConnections < 1 || s.MaxHandshakes < 1 || s.HandshakeTimeout <= TimeSpan.Zero)
            throw new ConfigurationException($"{section}: max-connections, max-handshakes and handshake-timeout must be positive");
        return s;
    }
}

/// <summary>What the transport guard of an actor system did (counts since it started).</summary>
internal sealed class WireGuardStats
{
    internal long OpenNow, PendingNow, AcceptedTotal, RefusedTotal, TimedOutTotal, DroppedTotal, ClosedTotal;

    /// <summary>Inbound connections open now.</summary>
    public long Open => Interlocked.Read(ref OpenNow);

    /// <summary>Inbound connections open now that have not sent their handshake.</summary>
    public long Pending => Interlocked.Read(ref PendingNow);

    /// <summary>Inbound connections let through.</summary>
    public long Accepted => Interlocked.Read(ref AcceptedTotal);

    /// <summary>Inbound connections closed at once (past max-connections or max-handshakes).</summary>
    public long Refused => Interlocked.Read(ref RefusedTotal);

    /// <summary>Inbound connections closed for want of a handshake within handshake-timeout.</summary>
    public long TimedOut => Interlocked.Read(ref TimedOutTotal);

    /// <summary>Inbound messages dropped by the filter.</summary>
    public long Dropped => Interlocked.Read(ref DroppedTotal);

    /// <summary>Connections closed by the filter (not Akka's protocol, or a message before the handshake).</summary>
    public long Closed => Interlocked.Read(ref ClosedTotal);

    public override string ToString() =>
        $"open={Open} pending={Pending} accepted={Accepted} refused={Refused} timed-out={TimedOut} dropped={Dropped} closed={Closed}";
}

/// <summary>The transport guard of the actor systems Datsync creates (see <see cref="WireSecurity"/>).</summary>
internal static class WireGuard
{
    private static readonly ConditionalWeakTable<ActorSystem, WireGuardStats> Stats = new();

    /// <summary>The guard's counts in <paramref name="system"/>, or null when its transport has no guard.</summary>
    public static WireGuardStats? StatsOf(ActorSystem system) => Stats.TryGetValue(system, out var s) ? s : null;

    internal static WireGuardStats Register(ActorSystem system) => Stats.GetValue(system, _ => new WireGuardStats());
}

/// <summary>The guard of a server's transport (<c>akka.remote.adapters.datsync-guard</c>): bounds of
/// <c>datsync.server</c>.</summary>
internal sealed class WireGuardProvider : ITransportAdapterProvider
{
    public Transport Create(Transport wrappedTransport, ExtendedActorSystem system) =>
        new WireGuardTransport(wrappedTransport, system, WireGuardSettings.From(system.Settings.Config, "datsync.server"));
}

/// <summary>The guard of a client's transport (<c>akka.remote.adapters.datsync-client-guard</c>): bounds of
/// <c>datsync.client</c>.</summary>
internal sealed class ClientWireGuardProvider : ITransportAdapterProvider
{
    public Transport Create(Transport wrappedTransport, ExtendedActorSystem system) =>
        new WireGuardTransport(wrappedTransport, system, WireGuardSettings.From(system.Settings.Config, "datsync.client"));
}

/// <summary>
/// A transport adapter under Akka's protocol layer: it bounds inbound connections (open, and open without a handshake,
/// which are closed after a timeout) and passes to Akka only the inbound PDUs <see cref="PduFilter"/> lets through.
/// It keeps the wrapped transport's scheme, so addresses stay <c>akka.tcp://...</c>.
/// </summary>
internal sealed class WireGuardTransport : Transport
{
    private readonly Transport _wrapped;
    private readonly ExtendedActorSystem _system;

    public WireGuardTransport(Transport wrapped, ExtendedActorSystem system, WireGuardSettings settings)
    {
        _wrapped = wrapped;
        _system = system;
        Settings = settings;
        System = system;
        Config = wrapped.Config;
        SchemeIdentifier = wrapped.SchemeIdentifier;
        MaximumPayloadBytes = wrapped.MaximumPayloadBytes;
        Filter = new PduFilter(settings.AllowedRecipients);
        Stats = WireGuard.Register(system);
        Log = new GuardLog(Logging.GetLogger(system, typeof(WireGuardTransport)), settings.LogInterval);
    }

    public WireGuardSettings Settings { get; }
    public PduFilter Filter { get; }
    public WireGuardStats Stats { get; }
    internal GuardLog Log { get; }
    internal IScheduler Scheduler => _system.Scheduler;

    public override long MaximumPayloadBytes { get; protected set; }

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var (address, wrappedPromise) = await _wrapped.Listen().ConfigureAwait(false);
        var upper = new TaskCompletionSource<IAssociationEventListener>();
        _ = upper.Task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) wrappedPromise.TrySetResult(new InboundGate(this, t.Result));
            else if (t.Exception is { } e) wrappedPromise.TrySetException(e.InnerExceptions);
            else wrappedPromise.TrySetCanceled();
        }, TaskContinuationOptions.ExecuteSynchronously);
        return (address, upper);
    }

    public override bool IsResponsibleFor(Address remote) => _wrapped.IsResponsibleFor(remote);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _peers = new(StringComparer.Ordinal);

    /// <summary>True when this system connected to <paramref name="origin"/> (<c>system@host:port</c>) before.</summary>
    internal bool ConnectedTo(string? origin) => origin is not null && _peers.ContainsKey(origin);

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        // bounded: the systems a client connects to are the servers it is told of
        if (_peers.Count < 1024) _peers.TryAdd(PduFilter.AddressKey(remoteAddress.System, remoteAddress.Host, remoteAddress.Port), 0);
        var handle = await _wrapped.Associate(remoteAddress).ConfigureAwait(false);
        return new GuardedHandle(this, handle, inbound: false);
    }

    public override Task<bool> Shutdown() => _wrapped.Shutdown();

    public override Task<bool> ManagementCommand(object message) => _wrapped.ManagementCommand(message);

    /// <summary>Takes a slot for a new inbound connection, or says why there is none.</summary>
    internal string? TryOpen()
    {
        while (true)
        {
            var open = Interlocked.Read(ref Stats.OpenNow);
            if (open >= Settings.MaxConnections) return $"max-connections ({Settings.MaxConnections})";
            if (Interlocked.CompareExchange(ref Stats.OpenNow, open + 1, open) == open) break;
        }
        while (true)
        {
            var pending = Interlocked.Read(ref Stats.PendingNow);
            if (pending >= Settings.MaxHandshakes)
            {
                Interlocked.Decrement(ref Stats.OpenNow);
                return $"max-handshakes ({Settings.MaxHandshakes})";
            }
            if (Interlocked.CompareExchange(ref Stats.PendingNow, pending + 1, pending) == pending) return null;
        }
    }
}

/// <summary>Hands Akka the inbound connections within the bounds, closes the others at once.</summary>
internal sealed class InboundGate(WireGuardTransport guard, IAssociationEventListener upper) : IAssociationEventListener
{
    public void Notify(IAssociationEvent ev)
    {
        if (ev is not InboundAssociation inbound)
        {
            upper.Notify(ev);
            return;
        }
        if (guard.TryOpen() is { } full)
        {
            Interlocked.Increment(ref guard.Stats.RefusedTotal);
            guard.Log.Warn("refused", $"closed an inbound connection from {inbound.Association.RemoteAddress}: {full} reached");
            inbound.Association.Disassociate("the wire guard's bounds", guard.Log.Adapter);
            return;
        }
        Interlocked.Increment(ref guard.Stats.AcceptedTotal);
        var handle = new GuardedHandle(guard, inbound.Association, inbound: true);
        upper.Notify(new InboundAssociation(handle));
    }
}

/// <summary>A connection under the guard: inbound PDUs go through the filter; an inbound one holds its slots until it
/// closes, and its handshake slot until its handshake (or the timeout, which closes it).</summary>
internal sealed class GuardedHandle : AssociationHandle
{
    private readonly WireGuardTransport _guard;
    private readonly AssociationHandle _wrapped;
    private readonly bool _inbound;
    private readonly ICancelable? _timeout;
    private readonly object _gate = new();
    private bool _associated, _released;

    public GuardedHandle(WireGuardTransport guard, AssociationHandle wrapped, bool inbound)
        : base(wrapped.LocalAddress, wrapped.RemoteAddress)
    {
        _guard = guard;
        _wrapped = wrapped;
        _inbound = inbound;
        // an outbound connection is ours: its peer answers the handshake we send
        if (!inbound) _associated = true;
        else _timeout = guard.Scheduler.Advanced.ScheduleOnceCancelable(guard.Settings.HandshakeTimeout, OnTimeout);
        _ = ReadHandlerSource.Task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) _wrapped.ReadHandlerSource.TrySetResult(new FilteringListener(this, t.Result));
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    internal bool Associated
    {
        get { lock (_gate) return _associated; }
    }

    internal WireGuardTransport Guard => _guard;

    internal bool Inbound => _inbound;

    public override bool Write(Google.Protobuf.ByteString payload) => _wrapped.Write(payload);

    [Obsolete("Akka.Remote's; the guard's own closing goes through Close")]
    public override void Disassociate()
    {
        Release();
        _wrapped.Disassociate("closed through the wire guard", _guard.Log.Adapter);
    }

    internal void Close(string why)
    {
        Interlocked.Increment(ref _guard.Stats.ClosedTotal);
        _guard.Log.Warn("closed", $"closed a connection from {RemoteAddress}: {why}");
        Shut(why);
    }

    private void Shut(string why)
    {
        Release();
        _wrapped.Disassociate(why, _guard.Log.Adapter);
    }

    internal void MarkAssociated()
    {
        lock (_gate)
        {
            if (_associated) return;
            _associated = true;
            // the handshake slot goes back once, whichever of handshake and close comes first
            if (_inbound && !_released) Interlocked.Decrement(ref _guard.Stats.PendingNow);
        }
        _timeout?.Cancel();
    }

    internal void Release()
    {
        lock (_gate)
        {
            if (!_inbound || _released) return;
            _released = true;
            Interlocked.Decrement(ref _guard.Stats.OpenNow);
            if (!_associated) Interlocked.Decrement(ref _guard.Stats.PendingNow);
        }
        _timeout?.Cancel();
    }

    private void OnTimeout()
    {
        lock (_gate)
            if (_associated || _released) return;
        Interlocked.Increment(ref _guard.Stats.TimedOutTotal);
        _guard.Log.Warn("handshake-timeout", $"closed an inbound connection from {RemoteAddress}: no handshake within {_guard.Settings.HandshakeTimeout}");
        Shut("no handshake in time");
    }
}

/// <summary>Passes a connection's inbound PDUs through the filter.</summary>
internal sealed class FilteringListener(GuardedHandle handle, IHandleEventListener upper) : IHandleEventListener
{
    public void Notify(IHandleEvent ev)
    {
        switch (ev)
        {
            case InboundPayload p:
                var span = MemoryMarshal.TryGetArray(p.Payload.Memory, out var segment) ? segment.AsSpan() : p.Payload.Span;
                var verdict = handle.Guard.Filter.Inspect(span, handle.Associated);
                switch (verdict.Action)
                {
                    case PduAction.Associate when handle.Inbound && handle.Guard.Settings.InboundOnlyFromPeers && !handle.Guard.ConnectedTo(verdict.Origin):
                        handle.Close($"a handshake from {verdict.Origin ?? "no address"}, a system this one never connected to");
                        break;
                    case PduAction.Associate:
                        handle.MarkAssociated();
                        upper.Notify(ev);
                        break;
                    case PduAction.Pass:
                        upper.Notify(ev);
                        break;
                    case PduAction.Drop:
                        Interlocked.Increment(ref handle.Guard.Stats.DroppedTotal);
                        handle.Guard.Log.Warn("dropped", $"dropped a message from {handle.RemoteAddress}: {verdict.Reason}");
                        break;
                    default:
                        handle.Close(verdict.Reason);
                        break;
                }
                break;
            case Disassociated:
                handle.Release();
                upper.Notify(ev);
                break;
            default:
                upper.Notify(ev);
                break;
        }
    }
}

/// <summary>Warnings at most once per interval and kind, with the count of those not logged since.</summary>
internal sealed class GuardLog(ILoggingAdapter log, TimeSpan interval)
{
    public ILoggingAdapter Adapter => log;

    private readonly Dictionary<string, (DateTime At, long Suppressed)> _last = new(StringComparer.Ordinal);

    public void Warn(string kind, string message)
    {
        long suppressed;
        lock (_last)
        {
            var now = DateTime.UtcNow;
            if (_last.TryGetValue(kind, out var l) && now - l.At < interval)
            {
                _last[kind] = (l.At, l.Suppressed + 1);
                return;
            }
            suppressed = l.Suppressed;
            _last[kind] = (now, 0);
        }
        if (suppressed > 0) log.Warning("datsync wire guard: {0} (and {1} more of the kind since the last report)", message, suppressed);
        else log.Warning("datsync wire guard: {0}", message);
    }
}
