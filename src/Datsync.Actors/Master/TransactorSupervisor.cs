using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Master;

/// <summary>
/// The transactor's parent and its only door: every <see cref="Transact"/> goes through it, and it hands the sender
/// exactly one answer. A journal failure stops the persistent transactor (Akka.Persistence does so after
/// <c>OnPersistFailure</c>), and what still waits in its mailbox would go to dead letters; the supervisor knows every
/// request it passed on and not yet answered, answers those the stopped transactor never took (nothing of them was
/// committed), answers at once what arrives while the transactor is down, and starts it again after a backoff
/// (100 ms doubling to 5 s, with jitter). A transactor that throws is restarted at once with its mailbox; it answers
/// what it held itself (see <see cref="TransactorActor"/>).
/// </summary>
internal sealed class TransactorSupervisor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly Props _transactor;
    private readonly string _childName;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Remote.DroppedMessages _drops;
    private readonly Dictionary<string, Queue<IActorRef>> _waiting = new(); // request id -> senders, in arrival order
    private IActorRef? _child;
    private int _restarts;

    public ITimerScheduler Timers { get; set; } = null!;

    public TransactorSupervisor(Props transactor, string childName)
    {
        _transactor = transactor;
        _childName = childName;
        _drops = new Remote.DroppedMessages(_log);

        // only actors of this process (sessions, the server, an embedding application) write or read the master
        Receive<Transact>(t => { if (!_drops.FromAnotherProcess(t, Sender)) OnTransact(t); });
        Receive<GetDb>(g =>
        {
            // a transactor that is down does not answer; the caller asks again
            if (!_drops.FromAnotherProcess(g, Sender)) _child?.Forward(g);
        });
        Receive<TxAccepted>(a =>
        {
            if (!FromChild()) return;
            _restarts = 0;
            Relay(a.RequestId, a);
        });
        Receive<TxRejected>(r => { if (FromChild()) Relay(r.RequestId, r); });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_child)) return;
            _child = null;
            // the stopped transactor's last answers may still be in this mailbox (Terminated overtakes them): settle
            // what is left once they have been relayed
            Self.Tell(new TransactorGone(t.ActorRef));
        });
        Receive<TransactorGone>(_ => OnGone());
        Receive<StartTransactor>(_ => { if (_child is null) StartChild(); });
    }

    public static Props Props(Props transactor, string childName = "transactor") =>
        Akka.Actor.Props.Create(() => new TransactorSupervisor(transactor, childName));

    // the default strategy: a transactor that throws restarts with its mailbox (and answers what it held); one that
    // stops (a journal failure, a failed recovery, a constructor that throws) is started again here, after the backoff

    protected override void PreStart() => StartChild();

    private void StartChild()
    {
        _child = Context.ActorOf(_transactor, _childName);
        Context.Watch(_child);
    }

    private bool FromChild() => Sender.Path.Parent.Equals(Self.Path);

    private void OnTransact(Transact t)
    {
        if (_child is null)
        {
            Sender.Tell(new TxRejected(t.RequestId, DatsyncErrors.Storage,
                "the transactor is restarting after a journal failure; the transaction was not committed (send it again)"));
            return;
        }
        if (!_waiting.TryGetValue(t.RequestId, out var senders)) _waiting[t.RequestId] = senders = new Queue<IActorRef>(1);
        senders.Enqueue(Sender);
        _child.Tell(t, Self);
    }

    private void Relay(string requestId, object answer)
    {
        if (!_waiting.TryGetValue(requestId, out var senders)) return; // answered already
        senders.Dequeue().Tell(answer, Self);
        if (senders.Count == 0) _waiting.Remove(requestId);
    }

    private void OnGone()
    {
        // the transactor answered everything it took before it stopped: these never reached it
        foreach (var (id, senders) in _waiting)
            foreach (var s in senders)
                s.Tell(new TxRejected(id, DatsyncErrors.Storage,
                    "the transactor stopped after a journal failure before it took this transaction; it was not committed (send it again)"), Self);
        _waiting.Clear();
        var delay = Backoff(_restarts++);
        _log.Info("the transactor stopped (its failure is logged where it happened); starting it again in {0} ms", (int)delay.TotalMilliseconds);
        Timers.StartSingleTimer("start", StartTransactor.Instance, delay);
    }

    private static TimeSpan Backoff(int restarts)
    {
        var ms = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(restarts, 16)));
        return TimeSpan.FromMilliseconds(ms * (1 + 0.2 * Random.Shared.NextDouble()));
    }

    private sealed record TransactorGone(IActorRef Transactor);

    private sealed record StartTransactor
    {
        public static readonly StartTransactor Instance = new();
    }
}
