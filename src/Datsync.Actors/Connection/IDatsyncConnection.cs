using Datsync.Core;

namespace Datsync.Actors;

/// <summary>
/// A connection to a Datsync database, the way Datomic's connection and DataScript's conn are one: the master's own
/// (<see cref="DatsyncMaster"/>) or a replica's, in this process or another (<see cref="DatsyncReplica"/>). Code written
/// against this interface runs on either, so an application switches between them by configuration.
/// </summary>
/// <remarks>
/// <see cref="Db"/> is an immutable value: read it from any thread, query it for as long as you like, it never changes
/// under you. Writes go to the master's single transactor; a replica applies its own writes at once (new entities get
/// local ids) and completes them when the master committed them and the replica applied the master's transaction.
/// </remarks>
public interface IDatsyncConnection : IAsyncDisposable
{
    /// <summary>The current value (empty before a replica's first bootstrap). A replica's value includes its pending
    /// writes on top of the master's value at <see cref="ConnectionStatus.BasisT"/>.</summary>
    Db Db { get; }

    /// <summary>Where this connection stands: its t, the master's, pending writes, the state of its link.</summary>
    ConnectionStatus Status { get; }

    /// <summary>
    /// Commits <paramref name="txData"/> (tx forms as <see cref="Tx"/> builds them, or as <see cref="EdnReader"/> reads
    /// them) on the master. Completes once the master committed it and this connection's value holds it.
    /// </summary>
    /// <exception cref="TxRejectedException">The transaction was rejected (<see cref="TxRejectedException.Category"/>
    /// says why, the message names the offending form); nothing changed anywhere.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the outcome was known: the transaction may still
    /// commit.</exception>
    Task<TxResult> TransactAsync(IReadOnlyList<object?> txData, CancellationToken cancellationToken = default);

    /// <summary>Commits a transaction written as EDN, e.g. <c>[{:db/id "p" :person/name "Ivan"}]</c>.</summary>
    /// <exception cref="TxRejectedException">The text is not a vector of tx forms
    /// (<c>:db.error/invalid-tx-data</c>), or the transaction was rejected.</exception>
    Task<TxResult> TransactAsync(string txEdn, CancellationToken cancellationToken = default);

    /// <summary>Completes with this connection's value once it holds the master's transaction <paramref name="t"/>
    /// (Datomic's <c>sync</c>): a value read after that includes every write committed up to t.</summary>
    Task<Db> SyncAsync(long t, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every change of <see cref="Db"/> from the moment an enumeration starts, in order (Datomic's tx report queue,
    /// DataScript's listen): each <c>await foreach</c> gets its own bounded buffer, filled without waiting for the
    /// consumer and read on the consumer's own thread. A consumer that falls so far behind that its buffer is full is
    /// told so: its enumeration throws <see cref="ReportsOverflowException"/> after the reports it was given; nothing
    /// else waits for it. The enumeration ends when the connection is disposed.
    /// </summary>
    IAsyncEnumerable<DbChange> Reports { get; }

    /// <summary>
    /// A live query (Datalog, as <see cref="Db.Q(string, object?[])"/> takes it, with <paramref name="inputs"/> after
    /// <c>$</c>): its result on the current value, then a new result each time a master transaction changes it, with the
    /// tuples added and removed. Only the queries a transaction's datoms may affect are evaluated again, off the
    /// connection's thread. On a replica the results are of the master's values it applied (not of its pending writes).
    /// </summary>
    /// <exception cref="QueryException">The query is malformed.</exception>
    QuerySubscription Subscribe(string query, params object?[] inputs);

    /// <summary>A live pull of one entity (an id, an ident or a lookup ref): the pulled map, then a new one each time a
    /// master transaction changes it (null while the entity does not exist).</summary>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    QuerySubscription SubscribePull(object pattern, object entity);
}

/// <summary>The outcome of a committed transaction: the master's <paramref name="T"/>, what its tempids resolved to
/// (master ids), the connection's value before and after it, and the datoms it added and retracted. Like Datomic's tx
/// report it holds those two values: keeping many results keeps many versions alive (keep <c>T</c> and the ids).</summary>
public sealed record TxResult(long T, IReadOnlyDictionary<object, long> Tempids, Db DbBefore, Db DbAfter, IReadOnlyList<Datom> TxData)
{
    /// <summary>The master id of the entity a tempid named.</summary>
    /// <exception cref="KeyNotFoundException">The transaction had no such tempid.</exception>
    public long Tempid(string tempid) => Tempids.TryGetValue(tempid, out var id) ? id
        : throw new KeyNotFoundException($"the transaction of t={T} has no tempid \"{tempid}\"");
}

/// <summary>
/// One change of a connection's value, as <see cref="IDatsyncConnection.Reports"/> gives it: the master's
/// transaction <paramref name="T"/> applied, or (<paramref name="Pending"/>) a replica's own write applied ahead of the
/// master (T is then the basis t it was applied on). <paramref name="TxData"/> are the datoms that changed.
/// </summary>
public sealed record DbChange(long T, Db DbBefore, Db DbAfter, IReadOnlyList<Datom> TxData, bool Pending);

/// <summary>A consumer of <see cref="IDatsyncConnection.Reports"/> fell behind by more reports than its buffer holds;
/// the reports after <see cref="LastT"/> were not kept for it. Read <see cref="IDatsyncConnection.Db"/> for the current
/// value and enumerate again.</summary>
public sealed class ReportsOverflowException(long lastT, int capacity)
    : Exception($"the reader of Reports fell behind by more than {capacity} reports; the reports after t={lastT} were dropped " +
                "for it (read Db for the current value and enumerate Reports again; datsync.connection.report-buffer sets the size)")
{
    /// <summary>The t of the last report this consumer was given (-1: none).</summary>
    public long LastT { get; } = lastT;
}
