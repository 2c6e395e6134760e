using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// Cardinality estimates the indexes give cheaply, for the planner: range counts on the sorted sets (exact at the two
/// ends of a range, whole subtrees in between sized by one path down them, so O(depth × fan-out) whatever the range's
/// size), and per attribute a sample of its first datoms for what a count cannot say (datoms per entity, how often a
/// value repeats, how many hold a value of an attribute that is not in AVET).
/// </summary>
internal static class Estimates
{
    /// <summary>How many datoms of an attribute the sample reads.</summary>
    private const int SampleSize = 64;

    /// <summary>What the sample of one attribute of one database value says.</summary>
    internal sealed class AttrStats
    {
        /// <summary>Datoms of the attribute (estimated).</summary>
        public long Count;
        /// <summary>Datoms per entity that has the attribute (1 for cardinality one).</summary>
        public double PerEntity = 1;
        /// <summary>Expected datoms holding the value of a datom picked at random (the sample's self-join size).</summary>
        public double PerValue = 1;
        public Datom[] Sample = [];
    }

    // a database value never changes, so what was estimated of it holds as long as it lives
    private static readonly ConditionalWeakTable<Db, ConcurrentDictionary<int, AttrStats>> Stats = new();

    public static AttrStats Of(Db db, Attribute a) =>
        Stats.GetValue(db, static _ => new ConcurrentDictionary<int, AttrStats>()).GetOrAdd(a.Id, static (_, x) => Compute(x.db, x.a), (db, a));

    private static AttrStats Compute(Db db, Attribute a)
    {
        var stats = new AttrStats();
        var sample = new List<Datom>(SampleSize);
        if (a.Id == BuiltIns.TxInstantId)
        {
            // one per transaction, kept in EAVT only
            stats.Count = db.BasisT;
            foreach (var d in db.AttributeDatoms(a.Id)) { sample.Add(d); if (sample.Count == SampleSize) break; }
        }
        else
        {
            stats.Count = Count(db.Aevt, new AttributeSpan(a.Id));
            IndexScan.Collect(db.Aevt, new AttributeSpan(a.Id), sample, SampleSize);
        }
        stats.Sample = sample.ToArray();
        if (sample.Count == 0) return stats;
        var entities = new HashSet<long>();
        var values = new Dictionary<(long, object?), int>();
        foreach (var d in sample)
        {
            entities.Add(d.E);
            values[(d.N, d.O)] = values.GetValueOrDefault((d.N, d.O)) + 1;
        }
        stats.PerEntity = a.IsMany ? (double)sample.Count / entities.Count : 1;
        double sumSq = 0;
        foreach (var f in values.Values) sumSq += (double)f * f;
        stats.PerValue = a.Unique != Uniqueness.None ? 1 : Math.Max(1, stats.Count * sumSq / ((double)sample.Count * sample.Count));
        return stats;
    }

    /// <summary>The share of an attribute's datoms holding one encoded value, from the sample (at most half a sample
    /// step when the sample holds none).</summary>
    public static double Share(AttrStats s, long n, object? o)
    {
        if (s.Sample.Length == 0) return 0;
        var hits = 0;
        foreach (var d in s.Sample) if (Encoded.ValueEquals(d.N, d.O, n, o)) hits++;
        return Math.Max(hits, 0.5) / s.Sample.Length;
    }

    /// <summary>How many datoms of <paramref name="set"/> lie in the range: exact when it spans at most two leaves.</summary>
    public static long Count<TOrder, TRange>(SortedDatomSet<TOrder> set, TRange range)
        where TOrder : struct, IDatomOrder
        where TRange : struct, IDatomRange
    {
        if (set.Root is null) return 0;
        Span<double> sizeAtDepth = stackalloc double[16];
        sizeAtDepth.Clear();
        return (long)Math.Round(CountIn(set.Root, range, 0, sizeAtDepth));
    }

    private static double CountIn<TOrder, TRange>(SortedDatomSet<TOrder>.Node node, TRange range, int depth, Span<double> sizeAtDepth)
        where TOrder : struct, IDatomOrder
        where TRange : struct, IDatomRange
    {
        var keys = node.Keys;
        var len = node.Len;
        var first = DatomRanges.FirstNotBefore(keys, 0, len, range);
        if (first == len) return 0;
        if (node is not SortedDatomSet<TOrder>.Branch b)
        {
            var end = first;
            while (end < len && range.Locate(keys[end]) == 0) end++;
            return end - first;
        }
        // child first holds the range's start; the children after it whose greatest key is still inside lie wholly
        // inside; the child whose greatest key is past the range holds its end
        double n = CountIn(b.Children[first], range, depth + 1, sizeAtDepth);
        for (var i = first + 1; i < len; i++)
        {
            if (range.Locate(keys[i - 1]) > 0) break;
            if (range.Locate(keys[i]) > 0) { n += CountIn(b.Children[i], range, depth + 1, sizeAtDepth); break; }
            n += SizeOf(b.Children[i], depth + 1, sizeAtDepth);
        }
        return n;
    }

    /// <summary>The size of a whole subtree, estimated by the fan-out along its first path (remembered per depth: a
    /// B+tree keeps its nodes between half and fully full, so siblings are alike).</summary>
    private static double SizeOf<TOrder>(SortedDatomSet<TOrder>.Node node, int depth, Span<double> sizeAtDepth)
        where TOrder : struct, IDatomOrder
    {
        if (node is not SortedDatomSet<TOrder>.Branch b) return node.Len;
        if (depth + 1 < sizeAtDepth.Length && sizeAtDepth[depth + 1] == 0)
            sizeAtDepth[depth + 1] = SizeOf(b.Children[0], depth + 1, sizeAtDepth);
        var child = depth + 1 < sizeAtDepth.Length ? sizeAtDepth[depth + 1] : SizeOf(b.Children[0], depth + 1, sizeAtDepth);
        return b.Len * child;
    }

}
