using Akka.Actor;
using Datsync.Actors.Protocol;

namespace Datsync.Actors.Tests.Replication;

/// <summary>How often the shim drops, duplicates or delays a message (each a probability per message; the rest pass).
/// A delayed message arrives 1..<paramref name="MaxDelayMs"/> ms later, so delays also reorder.</summary>
public sealed record FaultRates(double Drop, double Duplicate, double Delay, int MaxDelayMs = 50)
{
    public static readonly FaultRates None = new(0, 0, 0);
    public static readonly FaultRates Default = new(0.1, 0.1, 0.2);
}

/// <summary>
/// Sits between one replica and the server, injecting faults. The replica is started with the shim as its server;
/// messages from the replica go to the server actor (a <see cref="Connect"/>) or to whichever server-side actor last
/// sent the shim something (the session), and everything else goes to the replica — always with the shim as sender,
/// so the session only ever knows the shim. For each message a seeded <see cref="Random"/> decides: drop, duplicate,
/// delay through the scheduler, or pass.
/// </summary>
public sealed class FaultShim : UntypedActor, IWithUnboundedStash, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;
    private long _timerKeys;
    public IStash Stash { get; set; } = null!;

    /// <summary>Which replica the shim serves (messages whose sender is this ref travel towards the server).</summary>
    public sealed record SetReplica(IActorRef Replica);

    /// <summary>New fault rates from now on (<see cref="FaultRates.None"/> lets the end state converge quickly).</summary>
    public sealed record SetRates(FaultRates Rates);

    /// <summary>Holds back the messages (either direction) that match <paramref name="Predicate"/> until a Hold with
    /// a null predicate releases them, in the order they came (faults do not apply to held messages).</summary>
    public sealed record Hold(Func<object, bool>? Predicate);

    /// <summary>Drops every message (either direction) that matches <paramref name="Predicate"/>; null stops.</summary>
    public sealed record DropWhere(Func<object, bool>? Predicate);

    /// <summary>Asks for a <see cref="Stats"/>.</summary>
    public sealed record GetStats
    {
        public static readonly GetStats Instance = new();
    }

    /// <summary>What went through: the handshakes answered and bootstrap chunks the replica was sent (faults aside),
    /// and how many messages were dropped, duplicated, delayed and are held now.</summary>
    internal sealed record Stats(IReadOnlyList<Connected> Connected, int Chunks, int MaxChunkCount, int Deltas,
        int Dropped, int Duplicated, int Delayed, int Held, int DeltasDuringBootstrap);

    private sealed record Delayed(object Message, IActorRef Target);

    private readonly IActorRef _server;
    private readonly Random _random;
    private FaultRates _rates;
    private IActorRef? _replica;
    private IActorRef? _session;
    private readonly List<Connected> _connected = new();
    private Func<object, bool>? _hold, _drop;
    private readonly List<(object, IActorRef)> _held = new();
    private int _chunks, _maxChunkCount, _deltas, _dropped, _duplicated, _delayed, _deltasDuringBootstrap;
    private bool _bootstrapping; // a bootstrap was announced and its last chunk not yet seen

    public FaultShim(IActorRef server, int seed, FaultRates rates, IActorRef? replica)
    {
        _server = server;
        _random = new Random(seed);
        _rates = rates;
        _replica = replica;
    }

    public static Props Props(IActorRef server, int seed, FaultRates rates, IActorRef? replica = null) =>
        Akka.Actor.Props.Create(() => new FaultShim(server, seed, rates, replica));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SetReplica r:
                _replica = r.Replica;
                Stash.UnstashAll();
                return;
            case SetRates r:
                _rates = r.Rates;
                return;
            case Hold h:
                _hold = h.Predicate;
                if (_hold is null)
                {
                    foreach (var (m, t) in _held) t.Tell(m, Self);
                    _held.Clear();
                }
                return;
            case DropWhere d:
                _drop = d.Predicate;
                return;
            case GetStats:
                Sender.Tell(new Stats(_connected.ToList(), _chunks, _maxChunkCount, _deltas, _dropped, _duplicated, _delayed, _held.Count, _deltasDuringBootstrap));
                return;
            case Delayed d:
                d.Target.Tell(d.Message, Self);
                return;
        }

        if (_replica is null)
        {
            Stash.Stash(); // the replica's first handshake may come before the shim knows it
            return;
        }
        IActorRef? target;
        if (Sender.Equals(_replica))
            target = message is Connect ? _server : _session ?? _server;
        else
        {
            if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters)) _session = Sender;
            target = _replica;
            message = WireForm.Of(message); // as if it crossed the wire: replicas apply the datoms themselves
            Observe(message);
        }
        if (target is null) return; // nothing to deliver to yet
        // predicates see what a replica's request carries (it travels under the channel key)
        var what = message is ToSession request ? request.Request : message;
        if (_drop?.Invoke(what) == true)
        {
            _dropped++;
            return;
        }
        if (_hold?.Invoke(what) == true)
        {
            _held.Add((message, target));
            return;
        }
        Deliver(message, target);
    }

    private void Observe(object message)
    {
        switch (message)
        {
            case Connected c:
                _connected.Add(c);
                _bootstrapping = c.BootstrapChunks > 0;
                break;
            case BootstrapChunk b:
                _chunks++;
                _maxChunkCount = Math.Max(_maxChunkCount, b.Count);
                if (b.IsLast) _bootstrapping = false;
                break;
            case Core.TxDelta:
                _deltas++;
                if (_bootstrapping) _deltasDuringBootstrap++;
                break;
            case TxDeltaBatch b:
                _deltas += b.Deltas.Count;
                if (_bootstrapping) _deltasDuringBootstrap += b.Deltas.Count;
                break;
        }
    }

    private void Deliver(object message, IActorRef target)
    {
        var roll = _random.NextDouble();
        if (roll < _rates.Drop)
        {
            _dropped++;
            return;
        }
        if (roll < _rates.Drop + _rates.Duplicate)
        {
            _duplicated++;
            target.Tell(message, Self);
            Later(message, target); // the copy comes later, perhaps after what follows
            return;
        }
        if (roll < _rates.Drop + _rates.Duplicate + _rates.Delay)
        {
            _delayed++;
            Later(message, target);
            return;
        }
        target.Tell(message, Self);
    }

    private void Later(object message, IActorRef target) =>
        Timers.StartSingleTimer(++_timerKeys, new Delayed(message, target), TimeSpan.FromMilliseconds(_random.Next(1, _rates.MaxDelayMs + 1)));
}
