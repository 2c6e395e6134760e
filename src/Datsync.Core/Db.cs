namespace Datsync.Core;

/// <summary>The four datom indexes.</summary>
public enum IndexType
{
    /// <summary>Entity, attribute, value, transaction: every datom, by entity.</summary>
    Eavt,
    /// <summary>Attribute, entity, value, transaction: every datom, by attribute.</summary>
    Aevt,
    /// <summary>Attribute, value, entity, transaction: the datoms of unique and indexed attributes, by value.</summary>
    Avet,
    /// <summary>Value, attribute, entity, transaction: the datoms of reference attributes, by referenced entity.</summary>
    Vaet,
}

/// <summary>
/// An immutable database value: the current datoms in four indexes, the schema, and the basis t.
/// Safe to read from any thread; transactions return new values and never change this one.
/// </summary>
public sealed partial class Db
{
    internal readonly SortedDatomSet<EavtOrder> Eavt;
    internal readonly SortedDatomSet<AevtOrder> Aevt;
    internal readonly SortedDatomSet<AvetOrder> Avet;
    internal readonly SortedDatomSet<VaetOrder> Vaet;

    /// <summary>The t of the last transaction this value contains (0 for a fresh database).</summary>
    public long BasisT { get; }

    /// <summary>The attributes and idents of this value.</summary>
    public Schema Schema { get; }

    /// <summary>The highest user entity id ever allocated.</summary>
    public long MaxEntityId { get; }

    /// <summary>The <c>:db/txInstant</c> of the last transaction (ticks, UTC).</summary>
    internal long LastTxTicks { get; }

    internal Db(SortedDatomSet<EavtOrder> eavt, SortedDatomSet<AevtOrder> aevt, SortedDatomSet<AvetOrder> avet,
        SortedDatomSet<VaetOrder> vaet, Schema schema, long basisT, long maxEntityId, long lastTxTicks)
    {
        Eavt = eavt; Aevt = aevt; Avet = avet; Vaet = vaet;
        Schema = schema; BasisT = basisT; MaxEntityId = maxEntityId; LastTxTicks = lastTxTicks;
    }

    /// <summary>A fresh database holding only the built-in attributes and idents.</summary>
    public static Db Empty { get; } = BulkLoad.Build(BuiltIns.Datoms(), 0, EntityIds.FirstUser - 1, 0, Schema.Initial);

    /// <summary>Number of current datoms.</summary>
    public int Count => Eavt.Count;

    /// <summary>Applies transaction data speculatively; see <see cref="Transact(IEnumerable{object?}, DateTime?)"/>.</summary>
    public TxReport With(IEnumerable<object?> txData, DateTime? txInstant = null) => Transaction.Run(this, txData, txInstant);

    /// <summary>
    /// Runs a transaction against this value and returns the report with the new value. Throws
    /// <see cref="TxRejectedException"/> (with a <c>:db.error/...</c> category) when the data is invalid; nothing changes then.
    /// </summary>
    public TxReport Transact(IEnumerable<object?> txData, DateTime? txInstant = null) => Transaction.Run(this, txData, txInstant);

    /// <summary>
    /// Applies the datoms of a transaction that was already validated (a recorded or replicated transaction): no
    /// resolution or checks, just the indexes and the schema. <paramref name="t"/> must be <see cref="BasisT"/> + 1.
    /// </summary>
    public Db ApplyTx(long t, IReadOnlyList<Datom> txData, long maxEntityId) => ApplyTx(t, txData, maxEntityId, t - 1);

    /// <summary><see cref="ApplyTx(long, IReadOnlyList{Datom}, long)"/> for a value at <paramref name="prevT"/>, the t
    /// before <paramref name="t"/> in a stream that skips transactions (a scoped replica's: nothing between reaches it).</summary>
    internal Db ApplyTx(long t, IReadOnlyList<Datom> txData, long maxEntityId, long prevT)
    {
        if (prevT != BasisT || t <= prevT) throw new InvalidOperationException($"transaction t={t} (after t={prevT}) does not follow basis t={BasisT}");
        var ticks = LastTxTicks;
        foreach (var d in txData)
            if (d.Added && d.A == BuiltIns.TxInstantId && EntityIds.IsTx(d.E)) ticks = ((DateTime)d.V).Ticks;
        return TxApply.Apply(this, txData, t, Math.Max(maxEntityId, MaxEntityId), ticks);
    }

    /// <summary>Runs a transaction written as EDN, e.g. <c>[[:db/add "p" :person/name "Ivan"]]</c>.</summary>
    public TxReport Transact(string txEdn, DateTime? txInstant = null) => Transact(ParseTx(txEdn), txInstant);

    /// <summary>Applies a transaction written as EDN speculatively.</summary>
    public TxReport With(string txEdn, DateTime? txInstant = null) => Transact(ParseTx(txEdn), txInstant);

    private static IReadOnlyList<object?> ParseTx(string txEdn) => Tx.Parse(txEdn);

    /// <summary>
    /// Builds a database from current datoms in any order without the transaction path (replica bootstrap, snapshot
    /// recovery). The schema is read from the datoms. <paramref name="maxEntityId"/> is the highest entity id the
    /// source ever allocated (by default the highest one in the datoms).
    /// </summary>
    public static Db FromDatoms(IEnumerable<Datom> datoms, long basisT, long? maxEntityId = null) =>
        BulkLoad.FromDatoms(datoms, basisT, maxEntityId);

    // ---- attributes and entity identifiers ----

    /// <summary>The attribute named by an ident keyword or an attribute id, or null.</summary>
    public Attribute? AttributeOf(object? attr) => attr switch
    {
        Keyword k => Schema[k],
        long l when l is > 0 and <= int.MaxValue => Schema[(int)l],
        int i => Schema[i],
        _ => null,
    };

    /// <summary>The ident of an entity (attributes and enums), or null.</summary>
    public Keyword? Ident(long entity) => Schema.IdentOf(entity);

    /// <summary>
    /// Resolves an entity identifier — an entity id, an ident keyword, or a lookup ref <c>[unique-attr value]</c> —
    /// to the id of an entity that exists in this value; null when nothing matches.
    /// </summary>
    public long? EntId(object? eid)
    {
        switch (eid)
        {
            case long l: return EntityExists(l) ? l : null;
            case int i: return EntityExists(i) ? i : null;
            case Keyword k: return Schema.EntityOf(k);
            case IReadOnlyList<object?> list when list.Count == 2:
                var a = AttributeOf(list[0]);
                if (a is null || a.Unique == Uniqueness.None || list[1] is null) return null;
                if (!TryEncodeValue(a, list[1], out var n, out var o)) return null;
                return LookupUnique(a, n, o);
            default: return null;
        }
    }

    /// <summary>True when the id names an entity that has been allocated in this value.</summary>
    public bool EntityExists(long e)
    {
        if (e >= EntityIds.FirstUser && e <= MaxEntityId) return true;
        if (EntityIds.IsTx(e)) return EntityIds.TOf(e) <= BasisT;
        return e > 0 && e < EntityIds.FirstUser && HasDatoms(e);
    }

    private bool HasDatoms(long e) =>
        Eavt.First(Probe(e, int.MinValue, 0, ScalarTag.Min)) is { } d && d.E == e;

    /// <summary>The entity holding value (n, o) of a unique attribute, or null.</summary>
    internal long? LookupUnique(Attribute a, long n, object? o)
    {
        var d = Avet.First(Probe(long.MinValue, a.Id, n, o));
        return d is not null && d.A == a.Id && Encoded.ValueEquals(d.N, d.O, n, o) ? d.E : null;
    }

    /// <summary>Encodes a value for an attribute (refs: any entity identifier that resolves); false when it does not fit.</summary>
    internal bool TryEncodeValue(Attribute a, object? v, out long n, out object? o)
    {
        n = 0; o = null;
        if (v is null) return false;
        if (a.IsRef)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // nested lookup refs recurse
            var id = EntId(v);
            if (id is null) return false;
            n = id.Value;
            return true;
        }
        return ValueCoercion.TryEncode(a.ValueType, v, out n, out o);
    }

    internal static Datom Probe(long e, int a, long n, object? o) => new(e, a, n, o, 0, true);
}
