namespace Datsync.Core;

/// <summary>One datom of a delta: <c>[op e a v]</c> with the attribute as its ident (and its entity id, which is
/// the same on every replica). Schema datoms (those of attribute entities) are marked so a replica can apply them
/// before the data.</summary>
internal sealed record DeltaDatom(bool Added, long E, Keyword A, object V, bool IsSchema, int AttributeId)
{
    public override string ToString() => $"[{(Added ? ":db/add" : ":db/retract")} {E} {A} {EdnPrinter.Print(V)}]";
}

/// <summary>What one committed transaction changed, as the log hands it to subscribers, with the request that carried
/// it and how that request's tempids resolved (so the replica that sent it can map its local entities from the stream
/// alone).</summary>
internal sealed record TxDelta(long T, DateTime TxInstant, IReadOnlyList<DeltaDatom> Datoms,
    string? RequestId = null, IReadOnlyDictionary<object, long>? Tempids = null)
{
    /// <summary>
    /// The delta of transaction t from its datoms. Attribute idents are read from <paramref name="dbAfter"/>, the
    /// value that contains the transaction; schema datoms come first.
    /// </summary>
    public static TxDelta From(Db dbAfter, long t, IReadOnlyList<Datom> txData, string? requestId = null,
        IReadOnlyDictionary<object, long>? tempids = null)
    {
        var schema = new List<DeltaDatom>();
        var data = new List<DeltaDatom>(txData.Count);
        var instant = DateTime.MinValue;
        foreach (var d in txData)
        {
            var ident = dbAfter.Ident(d.A) ?? throw new InvalidOperationException($"attribute {d.A} has no ident in the database at t={dbAfter.BasisT}");
            var isSchema = SchemaRules.IsSchemaAttr(d.A) || IsAttributeEntity(dbAfter, d.E);
            if (d.A == BuiltIns.TxInstantId && EntityIds.IsTx(d.E) && d.Added) instant = (DateTime)d.V;
            (isSchema ? schema : data).Add(new DeltaDatom(d.Added, d.E, ident, d.V, isSchema, d.A));
        }
        schema.AddRange(data);
        return new TxDelta(t, instant, schema, requestId, tempids) { MasterValue = dbAfter, _txData = txData };
    }

    /// <summary>
    /// In the master's process only (never on the wire): the master's value after this transaction. A replica in the
    /// same process adopts it instead of applying the datoms to its own copy — the replica's value at t is the
    /// master's value at t, so every in-process replica shares the master's immutable indexes.
    /// </summary>
    [field: NonSerialized]
    public Db? MasterValue { get; init; }

    [NonSerialized] private IReadOnlyList<Datom>? _txData;

    /// <summary>
    /// In the master's process only (never on the wire, never in the journal): the W3C traceparent of the commit that
    /// made this delta, so that a replica applying it can trace its part under that commit. Null for deltas read back
    /// from the journal.
    /// </summary>
    [field: NonSerialized]
    public string? TraceParent { get; init; }

    /// <summary>
    /// The t of the delta before this one in its stream; null: <c>T - 1</c> (the master's log has a delta at every t).
    /// A scoped client's stream skips the transactions that do not concern it: its delta at t=10 after the one at t=5
    /// says that nothing of t=6..9 reaches that client, and an empty delta with an <see cref="After"/> only moves the
    /// client's t on. The replica applies a delta only to the value at its <see cref="Prev"/>.
    /// </summary>
    public long? After { get; init; }

    /// <summary>The t of the value this delta applies to: <see cref="After"/>, or <c>T - 1</c>.</summary>
    public long Prev => After ?? T - 1;

    /// <summary>The delta's datoms as datoms at t.</summary>
    public IReadOnlyList<Datom> TxData => _txData ??= ToDatoms();

    /// <summary>This delta as it crosses a process boundary: without <see cref="MasterValue"/>.</summary>
    public TxDelta ForWire() => MasterValue is null ? this : this with { MasterValue = null };

    /// <summary>The replica's value at t: the master's value when it is at hand, else this delta applied to the
    /// replica's value at t - 1.</summary>
    internal Db AdvanceFrom(Db replica) => MasterValue is { } m && m.BasisT == T ? m : ApplyTo(replica);

    private Datom[] ToDatoms()
    {
        var datoms = new Datom[Datoms.Count];
        for (var i = 0; i < datoms.Length; i++)
        {
            var d = Datoms[i];
            datoms[i] = Datom.Create(d.E, d.AttributeId, d.V, T, d.Added);
        }
        return datoms;
    }

    private static bool IsAttributeEntity(Db db, long e) => e <= int.MaxValue && db.Schema[(int)e] is not null;

    /// <summary>
    /// Applies this delta to a replica's value at basis <see cref="Prev"/> (entities, attributes included, keep the master's ids):
    /// schema datoms take effect with the transaction, and retracting a datom the replica does not hold changes nothing.
    /// </summary>
    public Db ApplyTo(Db replica)
    {
        var maxEid = replica.MaxEntityId;
        foreach (var d in Datoms)
        {
            if (replica.Schema[d.AttributeId] is null)
                throw new InvalidOperationException($"delta t={T} names {d.A} ({d.AttributeId}), which the replica's schema does not hold");
            if (d.E < EntityIds.TxBase && d.E > maxEid) maxEid = d.E;
        }
        return replica.ApplyTx(T, TxData, maxEid, Prev);
    }

    /// <summary>The delta as EDN: <c>{:t T :tx-instant #inst "..." :datoms [[:db/add e :a v] ...]}</c>.</summary>
    public override string ToString()
    {
        var w = new StringWriter();
        w.Write("{:t ");
        w.Write(T);
        w.Write(" :tx-instant ");
        EdnPrinter.Print(TxInstant, w);
        w.Write(" :datoms [");
        for (var i = 0; i < Datoms.Count; i++)
        {
            if (i > 0) w.Write(' ');
            w.Write(Datoms[i].ToString());
        }
        w.Write("]}");
        return w.ToString();
    }
}
