using Akka.Actor;
using Akka.Pattern;

namespace Datsync.Actors.Master;

/// <summary>The master's actors: the transactor (restarted with backoff after a journal failure) and its log listener.</summary>
public sealed record MasterHandle(IActorRef Transactor, IActorRef Listener);

/// <summary>Starts a master in an actor system (plain ActorSystem entry point).</summary>
public static class DatsyncMaster
{
    public static MasterHandle Start(IActorRefFactory system, MasterSettings settings, string name = "datsync-master")
    {
        var listener = system.ActorOf(TxListenerActor.Props(settings), name + "-log");
        var transactor = system.ActorOf(BackoffSupervisor.Props(Backoff.OnStop(
            TransactorActor.Props(settings, listener), "transactor",
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1)), name);
        return new MasterHandle(transactor, listener);
    }
}
