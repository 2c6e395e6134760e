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
    private ClientAccess _access;

    /// <summary>The access a <see cref="ReplaceClients"/> put in force, by server: a restarted server keeps it
    /// instead of going back to the one it was created with (a revoked client stays revoked).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IActorRef, ClientAccess> Replaced = new();

    public DatsyncServerActor(MasterHandle master, SessionSettings settings, ClientAccess access)
    {
        _access = Replaced.TryGetValue(Self, out var replaced) ? replaced : access;
        var images = new BootstrapImages(settings);
        var log = Context.GetLogger();
        Receive<ReplaceClients>(r =>
        {
            var reply = Replace(r);
            // the asker reports the outcome; only a message from outside the process is worth a warning here
            if (reply is ClientsNotReplaced no)
            {
                if (Sender.IsNobody() || !Sender.Path.Address.HasLocalScope) log.Warning("ignored a ReplaceClients from {0}: {1}", Sender.Path, no.Reason);
                else log.Info("did not replace the client list: {0}", no.Reason);
            }
            else log.Info("replaced the client list; sessions ended: [{0}]", string.Join(", ", ((ClientsReplaced)reply).Ended));
            if (!Sender.IsNobody()) Sender.Tell(reply);
        });
        Receive<Terminated>(t => _ending.Remove(t.ActorRef.Path.Name));
        Receive<Connect>(c =>
        {
            if (_access.Refusal(c) is { } why)
            {
                log.Warning("refused a replica at {0}: {1}", Sender.Path.Address, why);
                Sender.Tell(new ConnectRefused(c.Attempt, why));
                return;
            }
            var name = "session-" + Uri.EscapeDataString(c.ClientId);
            if (_ending.Contains(name)) return; // a revoked session still stopping: the replica sends its handshake again
            var session = Context.Child(name);
            if (session.IsNobody())
                session = Context.ActorOf(ClientSessionActor.Props(c.ClientId, master.Transactor, master.Listener, settings, images), name);
            session.Forward(c);
        });
        Receive<TransactOnce>(t =>
        {
            var replyTo = Sender;
            if (_access.Refusal(new Connect(t.ClientId, null, 0, t.Token)) is { } why)
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

    /// <summary>Sessions stopped by <see cref="ReplaceClients"/> and not yet terminated (their names stay taken).</summary>
    private readonly HashSet<string> _ending = new(StringComparer.Ordinal);

    private object Replace(ReplaceClients r)
    {
        // another process could only forge this with a sender path of ours and no access (nothing deserializes a
        // ClientAccess): refuse both
        if (r.Access is null || Sender.IsNobody() || !Sender.Path.Address.HasLocalScope)
            return new ClientsNotReplaced("ReplaceClients is taken only from an actor of this process, with an access");
        if (r.Access.IsOpen && !_access.IsOpen)
            return new ClientsNotReplaced("the new list names no client, which would let any client connect; the old list stays (restart to open the server)");
        r.Access.RememberVerifiedFrom(_access);
        var ended = new List<string>();
        foreach (var child in Context.GetChildren())
        {
            var name = child.Path.Name;
            if (!name.StartsWith("session-", StringComparison.Ordinal)) continue;
            var clientId = Uri.UnescapeDataString(name["session-".Length..]);
            if (_access.SameCredential(clientId, r.Access)) continue;
            Context.Watch(child);
            Context.Stop(child);
            _ending.Add(name);
            ended.Add(clientId);
        }
        _access = r.Access;
        Replaced.AddOrUpdate(Self, r.Access);
        return new ClientsReplaced(ended);
    }

    /// <summary>How long a <see cref="TransactOnce"/> waits for the transactor.</summary>
    private static readonly TimeSpan OneShotTimeout = TimeSpan.FromMinutes(5);

    public static Props Props(MasterHandle master, SessionSettings settings, ClientAccess? access = null) =>
        Akka.Actor.Props.Create(() => new DatsyncServerActor(master, settings, access ?? ClientAccess.Open));
}
