namespace Datsync.Core;

/// <summary>Builds a database value straight from datoms: sort once per index, then build each tree bottom-up.</summary>
internal static class BulkLoad
{
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
        // per attribute id: bit 1 stored in AVET, bit 2 a ref (stored in VAET); dense ids read an array
        var flags = new Dictionary<int, int>();
        int nAvet = 0, nVaet = 0, lastA = int.MinValue, lastFlags = 0;
        for (var i = 0; i < count; i++)
        {
            var id = eavtSorted[i].A;
            if (id != lastA)
            {
                if (!flags.TryGetValue(id, out lastFlags))
                {
                    var a = schema[id] ?? throw new InvalidOperationException($"datom {eavtSorted[i]} names no installed attribute");
                    lastFlags = (a.StoredInAvet ? 1 : 0) | (a.IsRef ? 2 : 0);
                    flags[id] = lastFlags;
                }
                lastA = id;
            }
            nAvet += lastFlags & 1;
            nVaet += lastFlags >> 1;
        }
        var avetArr = new Datom[nAvet];
        var vaetArr = new Datom[nVaet];
        int ia = 0, iv = 0;
        if (nAvet + nVaet > 0)
        {
            lastA = int.MinValue;
            for (var i = 0; i < count; i++)
            {
                var d = eavtSorted[i];
                if (d.A != lastA) { lastFlags = flags[d.A]; lastA = d.A; }
                if ((lastFlags & 1) != 0) avetArr[ia++] = d;
                if ((lastFlags & 2) != 0) vaetArr[iv++] = d;
            }
        }
        // one thread: a bulk load's cost is its wall-clock time on one core
        var eavt = SortedDatomSet<EavtOrder>.FromSorted(eavtSorted, count);
        var grouped = GroupByAttribute(eavtSorted, count, out var n);
        var aevt = SortedDatomSet<AevtOrder>.FromSorted(grouped, n);
        var avet = SortedDatomSet<AvetOrder>.FromSorted(Sorted<AvetOrder>(avetArr, false, out _), nAvet);
        var vaet = SortedDatomSet<VaetOrder>.FromSorted(Sorted<VaetOrder>(vaetArr, false, out _), nVaet);
        return new Db(eavt, aevt, avet, vaet, schema, basisT, maxEid, lastTicks);
    }

    /// <summary>
    /// AEVT order from EAVT order in O(n): a stable counting sort by attribute keeps entity, then value, order
    /// within each attribute. <c>:db/txInstant</c> stays out: AEVT reads find it in EAVT.
    /// </summary>
    internal static Datom[] GroupByAttribute(Datom[] eavt, int count, out int n)
    {
        int min = int.MaxValue, max = int.MinValue;
        for (var i = 0; i < count; i++)
        {
            var a = eavt[i].A;
            if (a < min) min = a;
            if (a > max) max = a;
        }
        if (count == 0 || (long)max - min >= 1 << 16) return GroupByAttributeSparse(eavt, count, out n);
        // offsets[a - min]: the next slot of attribute a; counted first, then turned into starts
        var offsets = new int[max - min + 1];
        for (var i = 0; i < count; i++) offsets[eavt[i].A - min]++;
        var skip = BuiltIns.TxInstantId >= min && BuiltIns.TxInstantId <= max ? BuiltIns.TxInstantId - min : -1;
        if (skip >= 0) offsets[skip] = 0;
        var total = 0;
        for (var k = 0; k < offsets.Length; k++) { var c = offsets[k]; offsets[k] = total; total += c; }
        n = total;
        var result = new Datom[total];
        for (var i = 0; i < count; i++)
        {
            var d = eavt[i];
            var k = d.A - min;
            if (k == skip) continue;
            result[offsets[k]++] = d;
        }
        return result;
    }

    internal static Datom[] GroupByAttributeSparse(Datom[] eavt, int count, out int n)
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

    /// <summary>
    /// Sorts in place (a stable natural merge sort: input made of a few sorted runs, as loads usually are, sorts in
    /// O(n)); with dedupe, drops datoms equal in this order, the last one in the input winning.
    /// </summary>
    internal static Datom[] Sorted<TOrder>(Datom[] arr, bool dedupe, out int count) where TOrder : struct, IDatomOrder
    {
        count = arr.Length;
        var strict = true;
        for (var i = 1; i < arr.Length; i++)
        {
            var c = TOrder.Compare(arr[i - 1], arr[i]);
            if (c < 0) continue;
            strict = false;
            if (c > 0) { MergeSort<TOrder>(arr); break; }
        }
        if (!dedupe || strict) return arr;
        var w = 0;
        for (var r = 0; r < arr.Length; r++)
        {
            if (w > 0 && TOrder.Compare(arr[w - 1], arr[r]) == 0) { arr[w - 1] = arr[r]; continue; }
            arr[w++] = arr[r];
        }
        count = w;
        return arr;
    }

    /// <summary>Bottom-up merge of the input's ascending runs; equal datoms keep their input order.</summary>
    private static void MergeSort<TOrder>(Datom[] arr) where TOrder : struct, IDatomOrder
    {
        var runs = new List<int> { 0 };
        for (var i = 1; i < arr.Length; i++)
            if (TOrder.Compare(arr[i - 1], arr[i]) > 0) runs.Add(i);
        runs.Add(arr.Length);
        var src = arr;
        var dst = new Datom[arr.Length];
        while (runs.Count > 2)
        {
            var next = new List<int>(runs.Count / 2 + 2) { 0 };
            int r = 0;
            for (; r + 2 < runs.Count; r += 2)
            {
                Merge<TOrder>(src, runs[r], runs[r + 1], runs[r + 2], dst);
                next.Add(runs[r + 2]);
            }
            if (r + 1 < runs.Count)
            {
                Array.Copy(src, runs[r], dst, runs[r], runs[r + 1] - runs[r]);
                if (next[^1] != runs[r + 1]) next.Add(runs[r + 1]);
            }
            (src, dst) = (dst, src);
            runs = next;
        }
        if (!ReferenceEquals(src, arr)) Array.Copy(src, arr, arr.Length);
    }

    private static void Merge<TOrder>(Datom[] src, int lo, int mid, int hi, Datom[] dst) where TOrder : struct, IDatomOrder
    {
        int i = lo, j = mid, k = lo;
        while (i < mid && j < hi) dst[k++] = TOrder.Compare(src[j], src[i]) < 0 ? src[j++] : src[i++];
        while (i < mid) dst[k++] = src[i++];
        while (j < hi) dst[k++] = src[j++];
    }
}
