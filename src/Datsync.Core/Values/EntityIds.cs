namespace Datsync.Core;

/// <summary>How entity ids are laid out: built-ins, user entities, transaction entities.</summary>
public static class EntityIds
{
    /// <summary>The first id given to a user entity; ids below it belong to built-in entities.</summary>
    public const long FirstUser = 1000;

    /// <summary>Transaction entities live above this id: the entity of basis t is <c>TxBase + t</c>.</summary>
    public const long TxBase = 1L << 42;

    /// <summary>The transaction entity id of basis t.</summary>
    public static long TxId(long t) => TxBase + t;

    /// <summary>True for the id of a transaction entity.</summary>
    public static bool IsTx(long e) => e >= TxBase && e < TxBase + (1L << 40);

    /// <summary>The basis t of a transaction entity id.</summary>
    public static long TOf(long txId) => txId - TxBase;
}
