using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.TestKit;

/// <summary>
/// Sits between one replica and the server, injecting faults. The replica is started with the shim as its server;
/// messages from the replica go to the server actor (a <see cref="Connect"/>) or to whichever server-side actor last
/// sent the shim something (the session), and everything else goes to the replica — always with the shim as sender,
/// so the session only ever knows the shim (and ends when the shim stops, which it does when its replica stops). For
/// each message a seeded <see cref="Random"/> decides (<see cref="Faults"/>): drop, duplicate, delay through the
/// scheduler, reorder, or pass. Held messages (<see cref="Hold"/>) are kept in order and delivered in order, without
/// faults.
/// </summary>
internal sealed class FaultShim : UntypedActor, IWithUnboundedStash, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;
    private long _timerKeys;
    public IStash Stash { get; set; } = null!;

    /// <summary>Which replica the shim serves (messages whose sender is this ref travel towards the server).</summary>
    public sealed record SetReplica(IActorRef Replica);

    /// <summary>New fault rates from now on (<see cref="Faults.None"/> lets the end state converge quickly); the
    /// seed is not taken: the shim's random sequence goes on.</summary>
    public sealed record SetFaults(Faults Faults);

    /// <summary>Holds back the messages (either direction) that match <paramref name="Predicate"/> until a Hold with
    /// a null predicate releases them, in the order they came (faults do not apply to held messages).</summary>
    public sealed record Hold(Func<object, bool>? Predicate);

    /// <summary>Drops every message (either direction) that matches <paramref name="Predicate"/>; null stops.</summary>
    public sealed record DropWhere(Func<object, bool>? Predicate);

    /// <summary>Answered with a <see cref="HeldUpTo"/> once the shim holds deltas up to t (at once when it does).</summary>
    public sealed record AwaitHeld(long T);

    /// <summary>The answer to <see cref="AwaitHeld"/>: the greatest t among the deltas held now.</summary>
    public sealed record HeldUpTo(long T);

    /// <summary>Asks for a <see cref="Stats"/>.</summary>
    public sealed record GetStats
    {
        public static readonly GetStats Instance = new();
    }

    /// <summary>What went through: the handshakes answered and bootstrap chunks the replica was sent (faults aside),
    /// and how many messages were dropped, duplicated, delayed, reordered and are held now.</summary>
    internal sealed record Stats(IReadOnlyList<Connected> Connected, int Chunks, int MaxChunkCount, int Deltas,
        int Dropped, int Duplicated, int Delayed, int Held, int DeltasDuringBootstrap, int Reordered = 0);

    /// <summary>The deltas of the master's log a session sends its replica: what <see cref="ReplicaLink.Hold"/>
    /// holds.</summary>
    public static bool IsDelta(object message) => message is TxDelta or TxDeltaBatch or TxRangeResult;

    private sealed record Delayed(object Message, IActorRef Target);

    private sealed record FlushReordered
    {
        public static readonly FlushReordered Instance = new();
    }

    private readonly IActorRef _server;
    private readonly Random _random;
    private Faults _faults;
    private IActorRef? _replica;
    private IActorRef? _session;
    private readonly List<Connected> _connected = new();
    private Func<object, bool>? _hold, _drop;
    private readonly List<(object Message, IActorRef Target)> _held = new();
    private (object Message, IActorRef Target)? _reordered;
    private readonly List<(long T, IActorRef Asker)> _heldWaiters = new();
    private int _chunks, _maxChunkCount, _deltas, _dropped, _duplicated, _delayed, _reorderedCount, _deltasDuringBootstrap;
    private bool _bootstrapping; // a bootstrap was announced and its last chunk not yet seen

    public FaultShim(IActorRef server, Faults faults, IActorRef? replica)
    {
        _server = server;
        _faults = faults.Validated();
        _random = new Random(faults.Seed);
        if (replica is not null) Serve(replica);
    }

    public static Props Props(IActorRef server, Faults faults, IActorRef? replica = null) =>
        Akka.Actor.Props.Create(() => new FaultShim(server, faults, replica));

    private void Serve(IActorRef replica)
    {
        _replica = replica;
        Context.Watch(replica);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SetReplica r:
                Serve(r.Replica);
                Stash.UnstashAll();
                return;
            case Terminated t when t.ActorRef.Equals(_replica):
                Context.Stop(Self); // the session sees its replica go
                return;
            case SetFaults f:
                _faults = f.Faults.Validated();
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
            case AwaitHeld a:
                _heldWaiters.Add((a.T, Sender));
                AnswerHeldWaiters();
                return;
            case GetStats:
                Sender.Tell(new Stats(_connected.ToList(), _chunks, _maxChunkCount, _deltas, _dropped, _duplicated, _delayed, _held.Count,
                    _deltasDuringBootstrap, _reorderedCount));
                return;
            case Delayed d:
                if (_hold?.Invoke(What(d.Message)) == true) HoldBack(d.Message, d.Target); // it came due while held
                else d.Target.Tell(d.Message, Self);
                return;
            case FlushReordered:
                Flush();
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
        var what = What(message);
        if (_drop?.Invoke(what) == true)
        {
            _dropped++;
            return;
        }
        if (_hold?.Invoke(what) == true)
        {
            HoldBack(message, target);
            return;
        }
        Deliver(message, target);
    }

    /// <summary>What predicates see: the request a replica's message carries (it travels under the channel key).</summary>
    private static object What(object message) => message is ToSession request ? request.Request : message;

    private void HoldBack(object message, IActorRef target)
    {
        _held.Add((message, target));
        AnswerHeldWaiters();
    }

    private void AnswerHeldWaiters()
    {
        if (_heldWaiters.Count == 0) return;
        var upTo = _held.Select(h => LastT(h.Message)).DefaultIfEmpty(-1).Max();
        foreach (var w in _heldWaiters.Where(w => upTo >= w.T).ToList())
        {
            w.Asker.Tell(new HeldUpTo(upTo));
            _heldWaiters.Remove(w);
        }
    }

    private static long LastT(object message) => message switch
    {
        TxDelta d => d.T,
        TxDeltaBatch b => b.LastT,
        TxRangeResult r => r.Deltas.Count > 0 ? r.Deltas.Max(d => d.T) : -1,
        _ => -1,
    };

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
            case TxDelta:
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
        var f = _faults;
        if (roll < f.Drop)
        {
            _dropped++;
            return;
        }
        if (roll < f.Drop + f.Duplicate)
        {
            _duplicated++;
            Pass(message, target);
            Later(message, target); // the copy comes later, perhaps after what follows
            return;
        }
        if (roll < f.Drop + f.Duplicate + f.Delay)
        {
            _delayed++;
            Later(message, target);
            return;
        }
        if (roll < f.Drop + f.Duplicate + f.Delay + f.Reorder && _reordered is null)
        {
            _reorderedCount++;
            _reordered = (message, target); // after the next message that passes
            Timers.StartSingleTimer(FlushReordered.Instance, FlushReordered.Instance, TimeSpan.FromMilliseconds(f.MaxDelayMs));
            return;
        }
        Pass(message, target);
    }

    /// <summary>Delivers, then the message held back to come after it, if any.</summary>
    private void Pass(object message, IActorRef target)
    {
        target.Tell(message, Self);
        Flush();
    }

    private void Flush()
    {
        if (_reordered is not { } r) return;
        _reordered = null;
        Timers.Cancel(FlushReordered.Instance);
        if (_hold?.Invoke(What(r.Message)) == true) HoldBack(r.Message, r.Target); // a hold began since
        else r.Target.Tell(r.Message, Self);
    }

    private void Later(object message, IActorRef target) =>
        Timers.StartSingleTimer(++_timerKeys, new Delayed(message, target), TimeSpan.FromMilliseconds(_random.Next(1, _faults.MaxDelayMs + 1)));
}
