using Datsync.Core;

namespace Datsync.Actors.Protocol;

/// <summary>Asks the transactor to commit tx data. Replied with <see cref="TxAccepted"/> or <see cref="TxRejected"/>,
/// in the order the requests arrived. <paramref name="TraceParent"/>: the W3C traceparent of the write this request is
/// part of (the transactor's <c>datsync.commit</c> activity is its child); it is not journaled.</summary>
public sealed record Transact(string RequestId, IReadOnlyList<object?> TxData, string? TxMeta = null, string? TraceParent = null);

/// <summary>The transaction is durable as basis <paramref name="T"/>.</summary>
public sealed record TxAccepted(string RequestId, long T, IReadOnlyDictionary<object, long> Tempids, IReadOnlyList<Datom> TxData) : IToReplica;

/// <summary>The transaction changed nothing: <paramref name="Category"/> says why (<c>:db.error/...</c>, or
/// <see cref="MasterErrors.Storage"/> when the journal could not store it).</summary>
public sealed record TxRejected(string RequestId, Keyword Category, string Message) : IToReplica
{
    /// <summary><c>category: message</c> on one line.</summary>
    public string Describe() => $"{Category}: {Message}";
}

/// <summary>Asks the transactor for its current durable database value; replied with <see cref="CurrentDb"/>.</summary>
public sealed record GetDb
{
    public static readonly GetDb Instance = new();
}

public sealed record CurrentDb(Db Db);

/// <summary>Error categories of the master beyond the transaction engine's.</summary>
public static class MasterErrors
{
    /// <summary>The journal failed or refused to store the transaction; nothing was committed.</summary>
    public static readonly Keyword Storage = Keyword.Intern("datsync.error/storage");
}
