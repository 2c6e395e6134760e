namespace Datsync.Core;

/// <summary>Builds a database value straight from datoms: sort once per index, then build each tree bottom-up.</summary>
internal static class BulkLoad
{
    private sealed class OrderComparer<TOrder> : IComparer<Datom> where TOrder : struct, IDatomOrder
    {
        public static readonly OrderComparer<TOrder> Instance = new();
        public int Compare(Datom? x, Datom? y) => TOrder.Compare(x!, y!);
    }

    /// <summary>
    /// A database from datoms in any order (built-in datoms are added): the schema is read from the datoms of
    /// attribute entities, the way a transaction would have installed it. O(n log n).
    /// </summary>
    public static Db FromDatoms(IEnumerable<Datom> datoms, long basisT, long? maxEntityId)
    {
        var all = new List<Datom>(datoms is ICollection<Datom> c ? c.Count + 64 : 1024);
        all.AddRange(BuiltIns.Datoms());
        all.AddRange(datoms);
        var eavt = Sorted<EavtOrder>(all.ToArray(), dedupe: true, out var count);
        // schema: idents and attributes from the datoms of entities that carry schema attributes
        var identChanges = new List<(long, Keyword?, Keyword?)>();
        var attrs = new List<Attribute>();
        long maxEid = EntityIds.FirstUser - 1, lastTicks = 0;
        var i = 0;
        while (i < count)
        {
            var e = eavt[i].E;
            var j = i;
            var schemaLike = false;
            while (j < count && eavt[j].E == e)
            {
                if (SchemaRules.IsSchemaAttr(eavt[j].A)) schemaLike = true;
                j++;
            }
            if (schemaLike)
            {
                var seg = new ArraySegment<Datom>(eavt, i, j - i);
                foreach (var d in seg) if (d.A == BuiltIns.IdentId) identChanges.Add((e, null, (Keyword)d.O!));
                if (e >= EntityIds.FirstUser && SchemaRules.Read(e, seg) is { } a) attrs.Add(a);
            }
            if (e < EntityIds.TxBase && e > maxEid) maxEid = e;
            if (EntityIds.IsTx(e))
                foreach (var d in new ArraySegment<Datom>(eavt, i, j - i))
                    if (d.A == BuiltIns.TxInstantId && d.N > lastTicks) lastTicks = d.N;
            i = j;
        }
        var schema = Schema.Initial.With(identChanges, attrs);
        return Build(eavt, count, schema, basisT, Math.Max(maxEid, maxEntityId ?? 0), lastTicks);
    }

    /// <summary>A database from datoms under a known schema.</summary>
    public static Db Build(IEnumerable<Datom> datoms, long basisT, long maxEid, long lastTicks, Schema schema)
    {
        var eavt = Sorted<EavtOrder>(datoms.ToArray(), dedupe: true, out var count);
        return Build(eavt, count, schema, basisT, maxEid, lastTicks);
    }

    private static Db Build(Datom[] eavtSorted, int count, Schema schema, long basisT, long maxEid, long lastTicks)
    {
        int nAvet = 0, nVaet = 0;
        for (var i = 0; i < count; i++)
        {
            var a = schema[eavtSorted[i].A] ?? throw new InvalidOperationException($"datom {eavtSorted[i]} names no installed attribute");
            if (a.StoredInAvet) nAvet++;
            if (a.IsRef) nVaet++;
        }
        var avetArr = new Datom[nAvet];
        var vaetArr = new Datom[nVaet];
        int ia = 0, iv = 0;
        for (var i = 0; i < count; i++)
        {
            var d = eavtSorted[i];
            var a = schema[d.A]!;
            if (a.StoredInAvet) avetArr[ia++] = d;
            if (a.IsRef) vaetArr[iv++] = d;
        }
        SortedDatomSet<EavtOrder> eavt = null!;
        SortedDatomSet<AevtOrder> aevt = null!;
        SortedDatomSet<AvetOrder> avet = null!;
        SortedDatomSet<VaetOrder> vaet = null!;
        // Array.Sort is stable enough here: keys are unique per index once EAV duplicates are gone.
        Parallel.Invoke(
            () => eavt = SortedDatomSet<EavtOrder>.FromSorted(eavtSorted, count),
            () =>
            {
                var grouped = GroupByAttribute(eavtSorted, count, out var n);
                aevt = SortedDatomSet<AevtOrder>.FromSorted(grouped, n);
            },
            () =>
            {
                avet = SortedDatomSet<AvetOrder>.FromSorted(Sorted<AvetOrder>(avetArr, false, out _), nAvet);
                vaet = SortedDatomSet<VaetOrder>.FromSorted(Sorted<VaetOrder>(vaetArr, false, out _), nVaet);
            });
        return new Db(eavt, aevt, avet, vaet, schema, basisT, maxEid, lastTicks);
    }

    /// <summary>
    /// AEVT order from EAVT order in O(n): a stable counting sort by attribute keeps entity, then value, order
    /// within each attribute. <c>:db/txInstant</c> stays out: AEVT reads find it in EAVT.
    /// </summary>
    private static Datom[] GroupByAttribute(Datom[] eavt, int count, out int n)
    {
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < count; i++)
        {
            if (eavt[i].A == BuiltIns.TxInstantId) continue;
            ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, eavt[i].A, out _);
            c++;
        }
        var attrs = counts.Keys.ToArray();
        Array.Sort(attrs);
        var next = new Dictionary<int, int>(attrs.Length);
        var offset = 0;
        foreach (var a in attrs)
        {
            next[a] = offset;
            offset += counts[a];
        }
        n = offset;
        var result = new Datom[offset];
        for (var i = 0; i < count; i++)
        {
            var d = eavt[i];
            if (d.A == BuiltIns.TxInstantId) continue;
            ref var at = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(next, d.A);
            result[at++] = d;
        }
        return result;
    }

    /// <summary>Sorts in place unless already sorted; with dedupe, drops datoms equal in this order (the last wins).</summary>
    private static Datom[] Sorted<TOrder>(Datom[] arr, bool dedupe, out int count) where TOrder : struct, IDatomOrder
    {
        var sorted = true;
        for (var i = 1; i < arr.Length && sorted; i++) if (TOrder.Compare(arr[i - 1], arr[i]) >= 0) sorted = false;
        if (!sorted) Array.Sort(arr, OrderComparer<TOrder>.Instance);
        count = arr.Length;
        if (!dedupe || sorted) return arr;
        var w = 0;
        for (var r = 0; r < arr.Length; r++)
        {
            if (w > 0 && TOrder.Compare(arr[w - 1], arr[r]) == 0) { arr[w - 1] = arr[r]; continue; }
            arr[w++] = arr[r];
        }
        count = w;
        return arr;
    }
}
