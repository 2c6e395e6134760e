namespace Datsync.Core;

public sealed partial class Db
{
    /// <summary>
    /// The datoms of an index whose leading components equal the given ones (Datomic's <c>datoms</c>).
    /// Components are, in index order, an entity identifier, an attribute (ident or id), a value and a tx.
    /// AVET on an attribute without <c>:db/index</c> or <c>:db/unique</c> is answered by scanning AEVT.
    /// A lookup ref as the only component must not be a bare <c>object[]</c> (C# would spread it over the
    /// components): pass an <see cref="EdnVector"/> or cast it to <c>object</c>.
    /// </summary>
    public IEnumerable<Datom> Datoms(IndexType index, params object?[] components)
    {
        if (CommonRange(index, components) is { } common) return common;
        var (from, to, tx) = Bounds(index, components, seek: false);
        if (from is null) return [];
        var range = Range(index, from, to!, components);
        return tx is { } t ? range.Where(d => d.Tx == t || d.T == t) : range;
    }

    /// <summary>
    /// The ranges most reads ask for (an entity, an entity and attribute, an attribute in AEVT) read straight from
    /// the index, without probe datoms; null for any other shape.
    /// </summary>
    private IEnumerable<Datom>? CommonRange(IndexType index, object?[] c)
    {
        if (c.Length == 0 || c.Length > 2) return null;
        switch (index)
        {
            case IndexType.Eavt:
                if (c.Length == 2 && AttributeOf(c[1]) is null) return [];
                if (EntId(c[0]) is not { } e) return [];
                return c.Length == 1 ? Eavt.Range(new EntityDatoms(e)) : Eavt.Range(new AttrDatoms(e, AttributeOf(c[1])!.Id));
            case IndexType.Aevt when c.Length == 1:
                if (AttributeOf(c[0]) is not { } a) return [];
                return a.Id == BuiltIns.TxInstantId ? null : Aevt.Range(new AevtAttrDatoms(a.Id));
            default:
                return null;
        }
    }

    /// <summary>The datoms of an index from the first one at or after the given components, to the end of the index.</summary>
    public IEnumerable<Datom> SeekDatoms(IndexType index, params object?[] components)
    {
        var (from, _, _) = Bounds(index, components, seek: true);
        if (from is null) return [];
        return index switch
        {
            IndexType.Eavt => Eavt.Slice(from, null),
            IndexType.Aevt => AevtSlice(from, null),
            IndexType.Avet => SeekAvet(from),
            _ => Vaet.Slice(from, null),
        };
    }

    /// <summary>The datoms of one attribute, in AEVT order.</summary>
    internal IEnumerable<Datom> AttributeDatoms(int a) => a != BuiltIns.TxInstantId
        ? Aevt.Range(new AevtAttrDatoms(a))
        : AevtSlice(Probe(long.MinValue, a, 0, ScalarTag.Min), Probe(long.MaxValue, a, 0, ScalarTag.Max));

    /// <summary>
    /// AEVT datoms from..to (to null: the end), with the <c>:db/txInstant</c> datoms in their place. Those live only
    /// in EAVT: their entities are the transactions, which EAVT already orders by t, so the AEVT order of the
    /// attribute is the EAVT order of its datoms and a transaction writes one index fewer.
    /// </summary>
    private IEnumerable<Datom> AevtSlice(Datom from, Datom? to)
    {
        const int tx = BuiltIns.TxInstantId;
        if (from.A > tx || to is not null && to.A < tx)
        {
            foreach (var d in Aevt.Slice(from, to)) yield return d;
            yield break;
        }
        foreach (var d in Aevt.Slice(from, Probe(long.MaxValue, tx - 1, 0, ScalarTag.Max))) yield return d;
        foreach (var d in Eavt.Slice(Probe(EntityIds.TxBase, tx, 0, ScalarTag.Min), Probe(EntityIds.TxBase + (1L << 40), tx, 0, ScalarTag.Max)))
        {
            if (d.A != tx || AevtOrder.Compare(d, from) < 0) continue;
            if (to is not null && AevtOrder.Compare(d, to) > 0) break;
            yield return d;
        }
        if (to is null || to.A > tx)
            foreach (var d in Aevt.Slice(Probe(long.MinValue, tx + 1, 0, ScalarTag.Min), to)) yield return d;
    }

    /// <summary>AVET from a datom to the end, with the <c>:db/txInstant</c> datoms (kept in EAVT) in their place.</summary>
    private IEnumerable<Datom> SeekAvet(Datom from)
    {
        const int tx = BuiltIns.TxInstantId;
        foreach (var d in Avet.Slice(from, Probe(long.MaxValue, tx - 1, 0, ScalarTag.Max))) yield return d;
        if (from.A <= tx)
            foreach (var d in SortedByValue(Schema[tx]!, from)) yield return d;
        foreach (var d in Avet.Slice(from.A > tx ? from : Probe(long.MinValue, tx + 1, 0, ScalarTag.Min), null)) yield return d;
    }

    /// <summary>AVET datoms of one attribute with start &lt;= value &lt; end (either bound may be null for open).</summary>
    public IEnumerable<Datom> IndexRange(object attr, object? start, object? end)
    {
        var a = AttributeOf(attr) ?? throw new ArgumentException($"{EdnPrinter.Describe(attr)} is not an installed attribute", nameof(attr));
        long sn = 0, en = 0;
        object? so = ScalarTag.Min, eo = ScalarTag.Max;
        if (start is not null && !TryEncodeValue(a, start, out sn, out so)) throw new ArgumentException($"{EdnPrinter.Describe(start)} is not a value of {a.Ident}", nameof(start));
        if (end is not null && !TryEncodeValue(a, end, out en, out eo)) throw new ArgumentException($"{EdnPrinter.Describe(end)} is not a value of {a.Ident}", nameof(end));
        var from = Probe(long.MinValue, a.Id, sn, so);
        var to = Probe(long.MaxValue, a.Id, 0, ScalarTag.Max);
        var source = a.StoredInAvet ? Avet.Slice(from, to) : SortedByValue(a, from);
        if (end is null) return source;
        return source.TakeWhile(d => Encoded.Compare(d.N, d.O, en, eo) < 0);
    }

    /// <summary>An attribute's datoms in AVET order from AEVT: already in that order for <c>:db/txInstant</c>,
    /// sorted for an attribute without an index.</summary>
    private IEnumerable<Datom> SortedByValue(Attribute a, Datom from)
    {
        var segment = AttributeDatoms(a.Id);
        if (a.InAvet) return segment.SkipWhile(d => AvetOrder.Compare(d, from) < 0);
        var all = segment.ToList();
        all.Sort(static (x, y) => AvetOrder.Compare(x, y));
        return all.Where(d => AvetOrder.Compare(d, from) >= 0);
    }

    private IEnumerable<Datom> Range(IndexType index, Datom from, Datom to, object?[] components) => index switch
    {
        IndexType.Eavt => Eavt.Slice(from, to),
        IndexType.Aevt => AevtSlice(from, to),
        IndexType.Avet => components.Length > 0 && AttributeOf(components[0]) is { StoredInAvet: false } a ? SortedByValue(a, from).TakeWhile(d => AvetOrder.Compare(d, to) <= 0) : Avet.Slice(from, to),
        _ => Vaet.Slice(from, to),
    };

    /// <summary>Lower and upper probe datoms for leading components; (null, null) when a component names nothing.</summary>
    private (Datom? from, Datom? to, long? tx) Bounds(IndexType index, object?[] c, bool seek)
    {
        long eLo = long.MinValue, eHi = long.MaxValue;
        int aLo = int.MinValue, aHi = int.MaxValue;
        long n = 0; object? vLo = ScalarTag.Min, vHi = ScalarTag.Max;
        long? tx = null;
        Attribute? attr = null;
        var order = index switch
        {
            IndexType.Eavt => "eavt",
            IndexType.Aevt => "aevt",
            IndexType.Avet => "avet",
            _ => "vaet",
        };
        if (c.Length > 4) throw new ArgumentException($"{order} takes at most 4 components");
        // attribute first: values are encoded by its type
        var ai = order.IndexOf('a');
        if (ai < c.Length)
        {
            attr = AttributeOf(c[ai]);
            if (attr is null) return (null, null, null);
            aLo = aHi = attr.Id;
        }
        for (var i = 0; i < c.Length; i++)
        {
            switch (order[i])
            {
                case 'e':
                    var e = EntId(c[i]);
                    if (e is null) { if (seek && c[i] is long l) e = l; else return (null, null, null); }
                    eLo = eHi = e.Value;
                    break;
                case 'v':
                    object? o;
                    if (attr is not null)
                    {
                        if (!TryEncodeValue(attr, c[i], out n, out o)) return (null, null, null);
                    }
                    else
                    {
                        // VAET without attribute: the value is an entity
                        var ve = EntId(c[i]);
                        if (ve is null) return (null, null, null);
                        n = ve.Value; o = null;
                    }
                    vLo = vHi = o;
                    break;
                case 't':
                    tx = c[i] is long t ? t : throw new ArgumentException("the tx component must be a long");
                    break;
            }
        }
        if (ai >= c.Length) { aLo = int.MinValue; aHi = int.MaxValue; }
        var from = Probe(eLo, aLo, vLo is ScalarTag { } sl && sl == ScalarTag.Min ? 0 : n, vLo);
        var to = Probe(eHi, aHi, vHi is ScalarTag { } sh && sh == ScalarTag.Max ? 0 : n, vHi);
        return (from, to, tx);
    }
}
