using Datsync.Core;

namespace Datsync.Actors.Persistence;

/// <summary>
/// One committed transaction, as the durable master journals it: the datoms it asserted and retracted (each with
/// <see cref="Datom.Added"/>), how its tempids resolved, and the request it answered. Replaying the records in
/// order from a snapshot reproduces the database.
/// </summary>
/// <param name="T">Basis t of the database value the transaction produced.</param>
/// <param name="TxId">Transaction entity id.</param>
/// <param name="TxInstant">The transaction's <c>:db/txInstant</c> (UTC).</param>
/// <param name="Datoms">The transaction data (<see cref="TxReport.TxData"/>).</param>
/// <param name="Tempids">Tempid (string, or negative long) to the entity id it resolved to.</param>
/// <param name="RequestId">Id of the request that carried the transaction.</param>
/// <param name="Meta">Request metadata as an EDN string, or null.</param>
/// <param name="MaxEntityId"><see cref="Db.MaxEntityId"/> after the transaction.</param>
/// <param name="DatabaseId">The database's id (<see cref="Protocol.DatabaseIds"/>), on the record of t = 1 only (null on
/// the others, and on records written before databases had ids).</param>
internal sealed record TxRecord(
    long T,
    long TxId,
    DateTime TxInstant,
    IReadOnlyList<Datom> Datoms,
    IReadOnlyDictionary<object, long> Tempids,
    string RequestId,
    string? Meta,
    long MaxEntityId,
    string? DatabaseId = null)
{
    /// <summary>The record of a committed transaction.</summary>
    public static TxRecord From(TxReport report, string requestId, string? meta, string? databaseId = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(requestId);
        var txId = report.TxId;
        DateTime? instant = null;
        foreach (var d in report.TxData)
        {
            if (d.E == txId && d.A == BuiltIns.TxInstantId && d.Added && d.V is DateTime dt)
            {
                instant = dt;
                break;
            }
        }
        if (instant is null)
            throw new ArgumentException($"the report of t {report.T} asserts no :db/txInstant on its transaction entity", nameof(report));
        return new TxRecord(report.T, txId, instant.Value, report.TxData, report.Tempids, requestId, meta,
            report.DbAfter.MaxEntityId, databaseId);
    }
}
