using Akka.Actor;
using Akka.Event;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>The one door of a master: the only actor another process may reach (the master's system trusts actor
/// selections of its path alone). It refuses a client its <see cref="ClientAccess"/> does not allow, and hands every
/// other <see cref="Connect"/> to the session of its client id, starting one for a client it has not seen (or whose
/// session ended), up to <see cref="SessionSettings.MaxSessions"/>. A refused peer learns only why it was refused.
/// Supervision: restarted on a failure (its parent's default), which stops its sessions: their replicas connect
/// again and resume from their t; the client list a <see cref="ReplaceClients"/> put in force stays.</summary>
internal sealed class DatsyncServerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DroppedMessages _drops;
    private readonly DroppedMessages _refusals;
    private ClientAccess _access;

    /// <summary>The access a <see cref="ReplaceClients"/> put in force, by server: a restarted server keeps it
    /// instead of going back to the one it was created with (a revoked client stays revoked).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IActorRef, ClientAccess> Replaced = new();

    /// <summary>Sessions stopped by <see cref="ReplaceClients"/> and not yet terminated (their names stay taken).</summary>
    private readonly HashSet<string> _ending = new(StringComparer.Ordinal);

    public DatsyncServerActor(MasterHandle master, SessionSettings settings, ClientAccess access)
    {
        _access = Replaced.TryGetValue(Self, out var replaced) ? replaced : access;
        var images = new BootstrapImages(settings);
        _drops = new DroppedMessages(_log);
        // the master's scopes (replaced in place), and on a scoped server the one place its clients' deltas are routed
        var scopes = master.Scopes ?? (settings.Scopes is { } configured ? new ScopesInForce(configured) : null);
        var hub = scopes is null ? null : Context.ActorOf(ScopeHubActor.Props(master, settings.HeartbeatInterval), "scopes");
        Receive<ReplaceScopes>(r =>
        {
            var asker = Sender;
            if (asker.IsNobody() || !asker.Path.Address.HasLocalScope || r.Scopes is null)
            {
                _drops.Drop(r, asker, "ReplaceScopes is taken only from an actor of this process, with scopes");
                return;
            }
            if (master.ClusterNode is { } node && !r.Adopted)
            {
                node.Forward(r); // on every node of the cluster, through its transactor; the node puts them in force here
                return;
            }
            if (scopes is null || hub is null)
            {
                asker.Tell(new ScopesNotReplaced("the server was started without scopes (datsync.server.scopes); a restart with scope rules turns them on"));
                return;
            }
            if (!r.Adopted) scopes.Replace(r.Scopes); // a cluster node's are in force already
            _log.Info("replaced the scopes; the scoped clients' views are evaluated again");
            hub.Ask<ScopesReplaced>(new Rescope(r.Scopes), TimeSpan.FromMinutes(1))
                .PipeTo(asker, failure: e => new ScopesNotReplaced($"the new scopes are in force for writes and bootstraps, but the scope hub did not answer ({e.Message})"));
        });
        _refusals = new DroppedMessages(_log);
        Receive<ReplaceClients>(r =>
        {
            var reply = Replace(r);
            // the asker reports the outcome; only a message from outside the process is worth a warning here
            if (reply is ClientsNotReplaced no)
            {
                if (Sender.IsNobody() || !Sender.Path.Address.HasLocalScope) _drops.Drop(r, Sender, no.Reason);
                else _log.Info("did not replace the client list: {0}", no.Reason);
            }
            else _log.Info("replaced the client list; sessions ended: [{0}]", string.Join(", ", ((ClientsReplaced)reply).Ended));
            if (!Sender.IsNobody() && Sender.Path.Address.HasLocalScope) Sender.Tell(reply);
        });
        Receive<Terminated>(t => _ending.Remove(t.ActorRef.Path.Name));
        Receive<Connect>(c =>
        {
            if (Refusal(c, _access) is { } why)
            {
                _refusals.Drop(c, Sender, $"refused client \"{Shorten(c.ClientId)}\": {why}");
                Reply(new ConnectRefused(c.Attempt, why), c.ChannelKey);
                return;
            }
            var name = SessionName(c.ClientId);
            if (_ending.Contains(name)) return; // a revoked session still stopping: the replica sends its handshake again
            var session = Context.Child(name);
            if (session.IsNobody() && Context.GetChildren().Count() - (hub is null ? 0 : 1) >= settings.MaxSessions)
            {
                var full = $"the server holds {settings.MaxSessions} sessions, the most it takes (datsync.server.max-sessions)";
                _refusals.Drop(c, Sender, full);
                Reply(new ConnectRefused(c.Attempt, full), c.ChannelKey);
                return;
            }
            if (session.IsNobody())
                session = Context.ActorOf(ClientSessionActor.Props(c.ClientId, master.Transactor, master.Listener, settings, images, hub, scopes), name);
            session.Tell(new Admitted(c, Sender));
        });
        Receive<TransactOnce>(t =>
        {
            var replyTo = Sender;
            var key = t.ReplyKey;
            if (_access.Refusal(new Connect(t.ClientId, null, 0, t.Token)) is { } why)
            {
                _refusals.Drop(t, Sender, $"refused a transaction of client \"{Shorten(t.ClientId)}\": {why}");
                Reply(new TxRejected(t.RequestId, DatsyncErrors.Refused, why), key);
                return;
            }
            if (ClientTx.ForeignMutation(t.RequestId, t.ClientId) is { } foreign)
            {
                Reply(foreign, key);
                return;
            }
            var (trace, traceParent) = Observability.DatsyncTelemetry.StartTransact(Observability.DatsyncTelemetry.ClientTag, t.ClientId);
            var request = ClientTx.Request(t.RequestId, t.TxEdn, t.ClientId, traceParent);
            if (request is TxRejected unreadable)
            {
                Observability.DatsyncTelemetry.StopDetached(trace, unreadable.Describe());
                Reply(unreadable, key);
                return;
            }
            if (scopes is not null && request is Transact tx) request = tx with { Identity = scopes.Current.IdentityOf(t.ClientId) };
            // asked, not told on the client's behalf: the answer goes back without the transaction's datoms
            var answer = master.Transactor.Ask<object>(request, OneShotTimeout);
            Observability.DatsyncTelemetry.StopWhen(trace, answer);
            answer
                .PipeTo(replyTo, success: r => Wrap(r is TxAccepted a ? a with { TxData = [] } : r, replyTo, key),
                    failure: e => Wrap(new TxRejected(t.RequestId, DatsyncErrors.Unavailable, $"the transactor did not answer: {e.Message}"), replyTo, key));
        });
        ReceiveAny(m => _drops.Drop(m, Sender, "the server takes handshakes and one-shot transactions only"));
    }

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

    private static string? Refusal(Connect c, ClientAccess access)
    {
        if (c.ClientId is null || c.ClientId.Length is 0 or > MaxClientId) return $"a client id has 1 to {MaxClientId} characters";
        if (c.ChannelKey is null) return "the handshake carries no channel key (a client of an older protocol)";
        if (access.Refusal(c) is { } why) return why;
        return null;
    }

    private void Reply(object message, string? key) => Sender.Tell(Wrap(message, Sender, key));

    /// <summary>An answer to a peer in another process goes under the key it gave.</summary>
    private static object Wrap(object message, IActorRef to, string? key) =>
        key is not null && !to.Path.Address.HasLocalScope ? new FromSession(key, message) : message;

    private const int MaxClientId = 256;

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    /// <summary>The name of the session actor of a client.</summary>
    internal static string SessionName(string clientId) => "session-" + Uri.EscapeDataString(clientId);

    /// <summary>How long a <see cref="TransactOnce"/> waits for the transactor.</summary>
    private static readonly TimeSpan OneShotTimeout = TimeSpan.FromMinutes(5);

    public static Props Props(MasterHandle master, SessionSettings settings, ClientAccess? access = null) =>
        Akka.Actor.Props.Create(() => new DatsyncServerActor(master, settings, access ?? ClientAccess.Open));
}
