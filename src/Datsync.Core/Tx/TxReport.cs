namespace Datsync.Core;

/// <summary>The outcome of a transaction: the value before, the value after, the datoms it added or retracted,
/// and the ids its tempids resolved to.</summary>
public sealed record TxReport(Db DbBefore, Db DbAfter, IReadOnlyList<Datom> TxData, IReadOnlyDictionary<object, long> Tempids)
{
    /// <summary>The basis t of the new value.</summary>
    public long T => DbAfter.BasisT;

    /// <summary>The transaction entity id.</summary>
    public long TxId => EntityIds.TxId(DbAfter.BasisT);
}
