using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>Where replicas connect: refuses a client its <see cref="ClientAccess"/> does not allow, and hands every
/// other <see cref="Connect"/> to the session of its client id, starting one for a client it has not seen (or whose
/// session ended).</summary>
public sealed class DatsyncServerActor : ReceiveActor
{
    public DatsyncServerActor(MasterHandle master, SessionSettings settings, ClientAccess access)
    {
        var images = new BootstrapImages(settings);
        var log = Context.GetLogger();
        Receive<Connect>(c =>
        {
            if (access.Refusal(c) is { } why)
            {
                log.Warning("refused a replica at {0}: {1}", Sender.Path.Address, why);
                Sender.Tell(new ConnectRefused(c.Attempt, why));
                return;
            }
            var name = "session-" + Uri.EscapeDataString(c.ClientId);
            var session = Context.Child(name);
            if (session.IsNobody())
                session = Context.ActorOf(ClientSessionActor.Props(c.ClientId, master.Transactor, master.Listener, settings, images), name);
            session.Forward(c);
        });
        Receive<TransactOnce>(t =>
        {
            var replyTo = Sender;
            if (access.Refusal(new Connect(t.ClientId, null, 0, t.Token)) is { } why)
            {
                log.Warning("refused a transaction from {0}: {1}", Sender.Path.Address, why);
                replyTo.Tell(new TxRejected(t.RequestId, ReplicaErrors.Refused, why));
                return;
            }
            var request = ClientTx.Request(t.RequestId, t.TxEdn, t.ClientId);
            if (request is TxRejected unreadable)
            {
                replyTo.Tell(unreadable);
                return;
            }
            // asked, not told on the client's behalf: the answer goes back without the transaction's datoms
            master.Transactor.Ask<object>(request, OneShotTimeout)
                .PipeTo(replyTo, success: r => r is TxAccepted a ? a with { TxData = [] } : r,
                    failure: e => new TxRejected(t.RequestId, ReplicaErrors.Unavailable, $"the transactor did not answer: {e.Message}"));
        });
    }

    /// <summary>How long a <see cref="TransactOnce"/> waits for the transactor.</summary>
    private static readonly TimeSpan OneShotTimeout = TimeSpan.FromMinutes(5);

    public static Props Props(MasterHandle master, SessionSettings settings, ClientAccess? access = null) =>
        Akka.Actor.Props.Create(() => new DatsyncServerActor(master, settings, access ?? ClientAccess.Open));
}
