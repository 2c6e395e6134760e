using Datsync.Core;

namespace Datsync.Actors.Protocol;

/// <summary>Asks the transactor to commit tx data. Replied with <see cref="TxAccepted"/> or <see cref="TxRejected"/>,
/// in the order the requests arrived. <paramref name="TraceParent"/>: the W3C traceparent of the write this request is
/// part of (the transactor's <c>datsync.commit</c> activity is its child); it is not journaled. With
/// <paramref name="WithValues"/> (the master's own connection) the answer carries the values before and after
/// (<see cref="TxAccepted.DbBefore"/>, <see cref="TxAccepted.DbAfter"/>); no other asker gets them, so no answer kept
/// elsewhere keeps a version of the database alive.</summary>
internal sealed record Transact(string RequestId, IReadOnlyList<object?> TxData, string? TxMeta = null, string? TraceParent = null,
    bool WithValues = false)
{
    /// <summary>The client whose transaction this is, on a scoped server (its session sets it): the transactor checks
    /// the transaction's report against the client's write rules (<see cref="Master.MasterSettings.Scopes"/>) before
    /// writing it. Null: the master's own connection, or a server without scopes; not checked.</summary>
    public ClientIdentity? Identity { get; init; }
}

/// <summary>The transaction is durable as basis <paramref name="T"/>.</summary>
internal sealed record TxAccepted(string RequestId, long T, IReadOnlyDictionary<object, long> Tempids, IReadOnlyList<Datom> TxData) : IToReplica
{
    /// <summary>Only on the answer to a <see cref="Transact.WithValues"/> request that committed (the master's own
    /// connection, in its process; never on the wire): the master's value before the transaction.</summary>
    [field: NonSerialized]
    public Db? DbBefore { get; init; }

    /// <summary>Only on the answer to a <see cref="Transact.WithValues"/> request that committed: the master's value
    /// after the transaction.</summary>
    [field: NonSerialized]
    public Db? DbAfter { get; init; }
}

/// <summary>The transaction changed nothing: <paramref name="Category"/> says why (<c>:db.error/...</c>, or
/// <see cref="DatsyncErrors.Storage"/> when the journal could not store it).</summary>
internal sealed record TxRejected(string RequestId, Keyword Category, string Message) : IToReplica
{
    /// <summary><c>category: message</c> on one line.</summary>
    public string Describe() => $"{Category}: {Message}";
}

/// <summary>Asks the transactor for its current durable database value; replied with <see cref="CurrentDb"/>.</summary>
internal sealed record GetDb
{
    public static readonly GetDb Instance = new();
}

/// <summary>The transactor's durable value and its database's id (<see cref="DatabaseIds"/>; null only from a stand-in
/// for a transactor, e.g. a test's).</summary>
internal sealed record CurrentDb(Db Db, string? DatabaseId = null);
