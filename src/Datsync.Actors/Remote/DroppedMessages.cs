using Akka.Actor;
using Akka.Event;

namespace Datsync.Actors.Remote;

/// <summary>
/// What an actor does with a message it will not act on (a peer outside its session, a key that does not match, a
/// message from another process to an actor that only takes local ones): drop it and say so, at most once per
/// interval (a flood of them must not flood the log), with how many were dropped since and the latest sender's address.
/// </summary>
internal sealed class DroppedMessages(ILoggingAdapter log, TimeSpan every)
{
    private long _since;
    private DateTime _lastLogged = DateTime.MinValue;

    public DroppedMessages(ILoggingAdapter log) : this(log, TimeSpan.FromSeconds(10)) { }

    /// <summary>Messages dropped so far.</summary>
    public long Total { get; private set; }

    public void Drop(object message, IActorRef? sender, string why)
    {
        Total++;
        _since++;
        var now = DateTime.UtcNow;
        if (now - _lastLogged < every) return;
        log.Warning("dropped {0} message(s) in the last {1:0}s; the latest, a {2} from {3}: {4}", _since,
            _lastLogged == DateTime.MinValue ? 0 : (now - _lastLogged).TotalSeconds, message.GetType().Name,
            sender?.Path.Address.ToString() ?? "no sender", why);
        _since = 0;
        _lastLogged = now;
    }

    /// <summary>True (and the message dropped) when it came from another actor system: the master's own actors act
    /// only on messages from their own process.</summary>
    public bool FromAnotherProcess(object message, IActorRef? sender)
    {
        if (sender is null || sender.Path.Address.HasLocalScope) return false;
        Drop(message, sender, "only actors of this process may send it");
        return true;
    }
}
