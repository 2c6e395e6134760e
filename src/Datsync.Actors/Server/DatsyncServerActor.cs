using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;

namespace Datsync.Actors.Server;

/// <summary>Where replicas connect: hands each <see cref="Connect"/> to the session of its client id, starting one
/// for a client it has not seen (or whose session ended).</summary>
public sealed class DatsyncServerActor : ReceiveActor
{
    public DatsyncServerActor(MasterHandle master, SessionSettings settings)
    {
        var images = new BootstrapImages(settings);
        Receive<Connect>(c =>
        {
            var name = "session-" + Uri.EscapeDataString(c.ClientId);
            var session = Context.Child(name);
            if (session.IsNobody())
                session = Context.ActorOf(ClientSessionActor.Props(c.ClientId, master.Transactor, master.Listener, settings, images), name);
            session.Forward(c);
        });
    }

    public static Props Props(MasterHandle master, SessionSettings settings) =>
        Akka.Actor.Props.Create(() => new DatsyncServerActor(master, settings));
}
