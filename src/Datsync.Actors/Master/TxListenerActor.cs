using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// Consumes the master log and hands each transaction's delta to its subscribers, strictly in t order with no gap and
/// no duplicate. Recent deltas are pushed from memory as soon as they are durable; older ones are read back from the
/// journal. A subscriber that leaves more than its buffer unacknowledged is dropped with <see cref="ResumeFrom"/>, so
/// it never holds memory or slows the others. A catch-up whose journal read fails or times out is tried again after
/// <see cref="MasterSettings.CatchUpRetry"/>: no subscriber is left catching up for ever.
/// </summary>
internal sealed class TxListenerActor : ReceiveActor, IWithTimers
{
    private sealed class Subscriber(long sentT, bool batched)
    {
        public readonly bool Batched = batched; // gets the deltas ready together as one TxDeltaBatch
        public long SentT = sentT;   // the last t sent to it
        public long AckedT = sentT;  // the last t it acknowledged
        public bool CatchingUp;      // a journal read for it is under way
        public long CatchUp;         // the id of that read (a late answer of an older one is ignored)
    }

    public ITimerScheduler Timers { get; set; } = null!;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _catchUps;

    private readonly MasterSettings _settings;
    private readonly Remote.DroppedMessages _drops;
    private readonly RecentDeltas _recent;
    private readonly Dictionary<IActorRef, Subscriber> _subscribers = new();
    private KeyValuePair<IActorRef, Subscriber>[]? _subscriberArray; // _subscribers as an array, rebuilt after a change
    private long _headT = -1; // unknown until the transactor has recovered
    private readonly List<(IActorRef who, object what)> _waiting = new();

    public TxListenerActor(MasterSettings settings)
    {
        _settings = settings;
        _recent = new RecentDeltas(settings.RecentInMemory);
        _drops = new Remote.DroppedMessages(_log);
        Receive<LogHead>(h =>
        {
            _headT = h.T;
            _recent.Clear();
            foreach (var (who, what) in _waiting) Self.Tell(what, who);
            _waiting.Clear();
        });
        Receive<CommittedBatch>(OnCommitted);
        // only actors of this process (sessions, an embedding application) read the log
        Receive<object>(m => _drops.FromAnotherProcess(m, Sender), m => { });
        Receive<SubscribeLog>(s => WhenHeadKnown(s, () => Subscribe(Sender, s.AfterT, s.Batched)));
        Receive<UnsubscribeLog>(_ => Remove(Sender));
        Receive<LogAck>(a =>
        {
            if (_subscribers.TryGetValue(Sender, out var sub) && a.T > sub.AckedT) sub.AckedT = Math.Min(a.T, sub.SentT);
            if (sub is not null) Pump(Sender, sub);
        });
        Receive<TxRange>(r => WhenHeadKnown(r, () => Range(Sender, r)));
        Receive<CaughtUp>(c =>
        {
            if (!_subscribers.TryGetValue(c.Subscriber, out var sub) || sub.CatchUp != c.Id || !sub.CatchingUp) return;
            var next = new List<TxDelta>(c.Deltas.Count);
            foreach (var d in c.Deltas)
            {
                if (d.T != sub.SentT + 1 + next.Count) continue;
                next.Add(d);
            }
            Send(c.Subscriber, sub, next);
            sub.CatchingUp = false;
            // a catch-up that filled the buffer waits for the subscriber's acknowledgement; dropping it now would only
            // make it resubscribe from the same t and read the same deltas back again, over and over
            if (sub.SentT - sub.AckedT < _settings.SubscriberBuffer) Pump(c.Subscriber, sub);
        });
        Receive<CatchUpFailed>(f =>
        {
            if (!_subscribers.TryGetValue(f.Subscriber, out var sub) || sub.CatchUp != f.Id || !sub.CatchingUp) return;
            _log.Warning(f.Cause, "reading t={0}.. from the journal for {1} failed; trying again in {2}", sub.SentT + 1,
                f.Subscriber.Path, _settings.CatchUpRetry);
            sub.CatchingUp = false;
            Timers.StartSingleTimer(("catch-up", f.Subscriber), new RetryCatchUp(f.Subscriber), _settings.CatchUpRetry);
        });
        Receive<RetryCatchUp>(r =>
        {
            if (_subscribers.TryGetValue(r.Subscriber, out var sub)) Pump(r.Subscriber, sub);
        });
        Receive<Terminated>(t => Remove(t.ActorRef));
        Receive<FailForTest>(_ => throw new InvalidOperationException("a failure for a test"));
        Receive<HeadAfterRestart>(h =>
        {
            if (h.T > _headT) _headT = h.T; // a commit that came first already moved it
            foreach (var (who, what) in _waiting) Self.Tell(what, who);
            _waiting.Clear();
        });
    }

    /// <summary>
    /// Supervision: the listener is restarted on a failure (its parent's default). What it held in memory is gone, so
    /// it tells every subscriber to resume from the last t it acknowledged (a session subscribes again once its replica
    /// has caught up, and the deltas after come from memory or the journal), and hands the head it knew to the next
    /// instance; requests waiting for the head are kept.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        Context.GetLogger().Error(reason, "the log listener failed on a {0}; restarting, its {1} subscriber(s) resume from what they acknowledged",
            message?.GetType().Name ?? "message", _subscribers.Count);
        foreach (var (who, sub) in _subscribers) who.Tell(new ResumeFrom(sub.AckedT));
        if (_headT >= 0) Self.Tell(new HeadAfterRestart(_headT));
        foreach (var (who, what) in _waiting) Self.Tell(what, who);
        base.PreRestart(reason, message);
    }

    private sealed record HeadAfterRestart(long T);

    public static Props Props(MasterSettings settings) => Akka.Actor.Props.Create(() => new TxListenerActor(settings));

    private void WhenHeadKnown(object message, Action act)
    {
        if (_headT < 0) _waiting.Add((Sender, message));
        else act();
    }

    private long OldestInMemory => _recent.Count > 0 ? _recent.FirstT : _headT + 1;

    private void OnCommitted(CommittedBatch batch)
    {
        foreach (var c in batch.Transactions)
        {
            _headT = c.T;
            var delta = TxDelta.From(c.DbAfter, c.T, c.TxData, c.RequestId, c.Tempids);
            _recent.Add(c.TraceParent is null ? delta : delta with { TraceParent = c.TraceParent });
        }
        // Pump may drop a subscriber: walk a snapshot of them
        _subscriberArray ??= _subscribers.ToArray();
        foreach (var (who, sub) in _subscriberArray) Pump(who, sub);
    }

    private void Subscribe(IActorRef who, long afterT, bool batched)
    {
        if (afterT < 0) afterT = 0;
        if (!_subscribers.ContainsKey(who)) Context.Watch(who);
        var sub = new Subscriber(Math.Min(afterT, _headT), batched);
        _subscribers[who] = sub;
        _subscriberArray = null;
        Pump(who, sub);
    }

    private void Remove(IActorRef who)
    {
        if (!_subscribers.Remove(who)) return;
        _subscriberArray = null;
        Context.Unwatch(who);
    }

    /// <summary>Sends the subscriber what it lacks, from memory or through a journal read, within its buffer.</summary>
    private void Pump(IActorRef who, Subscriber sub)
    {
        if (sub.CatchingUp || sub.SentT >= _headT) return;
        if (sub.SentT - sub.AckedT >= _settings.SubscriberBuffer)
        {
            // past its buffer: drop it rather than hold memory for it or slow the others
            who.Tell(new ResumeFrom(sub.AckedT));
            Remove(who);
            return;
        }
        if (sub.SentT + 1 < OldestInMemory)
        {
            sub.CatchingUp = true;
            var id = sub.CatchUp = ++_catchUps;
            var to = Math.Min(OldestInMemory - 1, sub.SentT + _settings.SubscriberBuffer);
            var self = Self;
            Context.ActorOf(LogReplayActor.Props(_settings, sub.SentT + 1, to,
                deltas => self.Tell(new CaughtUp(who, id, deltas)),
                cause => self.Tell(new CatchUpFailed(who, id, cause))));
            return;
        }
        var last = Math.Min(_headT, sub.AckedT + _settings.SubscriberBuffer);
        if (last <= sub.SentT) return;
        if (!sub.Batched)
        {
            for (var t = sub.SentT + 1; t <= last; t++) who.Tell(_recent[t]);
            sub.SentT = last;
            return;
        }
        Send(who, sub, _recent.Range(sub.SentT + 1, last));
    }

    /// <summary>Sends consecutive deltas that follow what the subscriber was sent; a batched subscriber gets them in
    /// batches of at most a quarter of its buffer, so it acknowledges the first while the next are on their way.</summary>
    private void Send(IActorRef who, Subscriber sub, List<TxDelta> deltas)
    {
        if (deltas.Count == 0) return;
        if (!sub.Batched || deltas.Count == 1)
            foreach (var d in deltas) who.Tell(d);
        else
        {
            var size = Math.Max(1, _settings.SubscriberBuffer / 4);
            for (var i = 0; i < deltas.Count; i += size)
                who.Tell(new TxDeltaBatch(i == 0 && deltas.Count <= size ? deltas : deltas.GetRange(i, Math.Min(size, deltas.Count - i))));
        }
        sub.SentT = deltas[^1].T;
    }

    private void Range(IActorRef who, TxRange r)
    {
        var to = Math.Min(r.ToT, _headT);
        if (r.FromT > to) { who.Tell(new TxRangeResult(r.FromT, r.ToT, [])); return; }
        if (r.FromT >= OldestInMemory)
        {
            who.Tell(new TxRangeResult(r.FromT, r.ToT, _recent.Range(r.FromT, to)));
            return;
        }
        var log = _log;
        Context.ActorOf(LogReplayActor.Props(_settings, r.FromT, to,
            deltas => who.Tell(new TxRangeResult(r.FromT, r.ToT, deltas)),
            // the replica asks again for what it still lacks
            cause => log.Warning(cause, "reading t={0}..{1} from the journal for {2} failed", r.FromT, to, who.Path)));
    }

    private sealed record CaughtUp(IActorRef Subscriber, long Id, IReadOnlyList<TxDelta> Deltas);

    private sealed record CatchUpFailed(IActorRef Subscriber, long Id, Exception Cause);

    private sealed record RetryCatchUp(IActorRef Subscriber);

    /// <summary>The latest deltas, consecutive in t, in a ring indexed by t (a delta that does not follow the last one
    /// starts the ring again).</summary>
    private sealed class RecentDeltas(int capacity)
    {
        private readonly TxDelta[] _ring = new TxDelta[Math.Max(1, capacity)];

        public int Count { get; private set; }

        /// <summary>The t of the oldest delta held (when <see cref="Count"/> &gt; 0).</summary>
        public long FirstT { get; private set; }

        private long LastT => FirstT + Count - 1;

        public TxDelta this[long t] => _ring[(int)(t % _ring.Length)];

        public void Add(TxDelta d)
        {
            if (Count > 0 && d.T != LastT + 1) Clear();
            if (Count == 0) FirstT = d.T;
            _ring[(int)(d.T % _ring.Length)] = d;
            if (Count < _ring.Length) Count++;
            else FirstT++;
        }

        public void Clear()
        {
            Array.Clear(_ring);
            Count = 0;
        }

        /// <summary>The deltas fromT..toT held (fromT at or after <see cref="FirstT"/>).</summary>
        public List<TxDelta> Range(long fromT, long toT)
        {
            var list = new List<TxDelta>();
            if (Count == 0) return list;
            for (var t = Math.Max(fromT, FirstT); t <= Math.Min(toT, LastT); t++) list.Add(this[t]);
            return list;
        }
    }

    /// <summary>Makes the actor throw (tests of its restart).</summary>
    internal sealed record FailForTest
    {
        public static readonly FailForTest Instance = new();
    }
}
