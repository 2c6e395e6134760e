using Datsync.Core;

namespace Datsync.Actors;

/// <summary>Where a replica stands with its session.</summary>
public enum ConnectionState
{
    /// <summary>Handshake sent, no answer yet.</summary>
    Connecting,
    /// <summary>Receiving the master's value.</summary>
    Bootstrapping,
    /// <summary>Receiving the log.</summary>
    Connected,
    /// <summary>The session went silent; reads serve the last state while the replica connects again.</summary>
    Disconnected,
    /// <summary>The server refused the client (unknown client id or wrong token); the replica does not try again.</summary>
    Refused,
}

/// <summary>A replica's position: its basis t, the master's t as last heard, how far behind that is, how many local
/// transactions wait for the master, and the connection.</summary>
public sealed record ConnectionStatus(long BasisT, long MasterT, int PendingLocal, ConnectionState Connection, bool Bootstrapped)
{
    /// <summary>Transactions the replica is behind the master as last heard: <c>MasterT - BasisT</c>, at least 0.</summary>
    public long Lag => Math.Max(0, MasterT - BasisT);
}

/// <summary>Follows every value a replica holds, on the replica actor's thread (a cluster node's copy of the master, which
/// feeds the node's own sessions and connection). Called after the value changed and before the replica publishes it.</summary>
internal interface IReplicaMirror
{
    /// <summary>The replica holds <paramref name="db"/> (of the master database <paramref name="databaseId"/>) from a
    /// bootstrap; what it held before is replaced.</summary>
    void Bootstrapped(Db db, string? databaseId);

    /// <summary>The replica applied these deltas, in t order, right after its value before.</summary>
    void Applied(IReadOnlyList<AppliedDelta> applied);
}

/// <summary>A change of a replica's value, as <c>Listen</c> callbacks receive it: a master transaction the replica
/// applied (<paramref name="T"/> is the master's t), or one of its own local transactions applied ahead of the master
/// (<paramref name="Pending"/>).</summary>
internal sealed record ReplicaReport(long T, Db DbBefore, Db DbAfter, IReadOnlyList<Datom> TxData, string? RequestId, bool Pending);

/// <summary>The outcome of a replica's transaction: committed by the master as <paramref name="T"/> and applied by the
/// replica. <paramref name="Tempids"/> gives the master ids, <paramref name="LocalTempids"/> the local ids the new
/// entities had while pending (they now map to the master ids, see <see cref="LocalToRemote"/>).</summary>
internal sealed record ReplicaTxResult(long T, IReadOnlyDictionary<object, long> Tempids,
    IReadOnlyDictionary<object, long> LocalTempids, IReadOnlyDictionary<long, long> LocalToRemote, Db DbAfter)
{
    /// <summary>The replica's synced value before the master's transaction T, when known.</summary>
    public Db? DbBefore { get; init; }

    /// <summary>The replica's synced value at exactly T, when known.</summary>
    public Db? DbAtT { get; init; }

    /// <summary>The datoms of the master's transaction T, when known.</summary>
    public IReadOnlyList<Datom>? TxData { get; init; }
}

/// <summary>A replica's local transaction that left its view without being committed: the master rejected it, or — one
/// queued in the outbox of its store — it no longer applied on the stored value when the replica took it back after a
/// restart. Read from <see cref="DatsyncReplica.Rejections"/>; a <see cref="DatsyncReplica.TransactAsync(IReadOnlyList{object?}, CancellationToken)"/>
/// caller still waiting gets the same as a <see cref="TxRejectedException"/>.</summary>
/// <param name="RequestId">The request that carried it (a queued one's names its mutation id after <c>#</c>).</param>
/// <param name="Category">Why, as a keyword (<see cref="TxErrors"/>, <see cref="DatsyncErrors"/>).</param>
/// <param name="Message">Why, in one line naming the offending form.</param>
/// <param name="Seq">1 for the replica's first rejection, then 2, 3…</param>
public sealed record TxRejection(string RequestId, Keyword Category, string Message, long Seq);

/// <summary>The <c>:datsync.error/...</c> categories of a <see cref="TxRejectedException"/> beyond the transaction
/// engine's <c>:db.error/...</c> (<see cref="TxErrors"/>).</summary>
public static class DatsyncErrors
{
    /// <summary>The master's journal failed or refused to store the transaction; nothing was committed.</summary>
    public static readonly Keyword Storage = Keyword.Intern("datsync.error/storage");

    /// <summary>The replica cannot reach the master right now (not yet bootstrapped, or disconnected).</summary>
    public static readonly Keyword Unavailable = Keyword.Intern("datsync.error/unavailable");

    /// <summary>The server refused the client.</summary>
    public static readonly Keyword Refused = Keyword.Intern("datsync.error/refused");

    /// <summary>The server holds as much as it takes from this client (or from all clients) right now; nothing was
    /// committed, and the same request may be sent again later.</summary>
    public static readonly Keyword Busy = Keyword.Intern("datsync.error/busy");

    /// <summary>The transaction writes what the client may not write (the server's scopes, <c>datsync.server.scopes</c>);
    /// the message names the first datom that broke a write rule, and the rule. Nothing was committed.</summary>
    public static readonly Keyword Forbidden = ScopeErrors.Forbidden;
}
