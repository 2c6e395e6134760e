using System.Collections;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// A persistent B+tree of datoms in the order <typeparamref name="TOrder"/>. Updates copy the path they touch, so
/// every version stays valid for readers on any thread. A batch of updates can run under an edit token: nodes made
/// under the token are changed in place, which makes large transactions and bulk loads cheap.
/// </summary>
internal sealed class SortedDatomSet<TOrder> : IEnumerable<Datom> where TOrder : struct, IDatomOrder
{
    internal const int MaxLen = 64;
    internal const int MinLen = 32;
    // room a node copied under an edit token keeps for in-place inserts later in the same batch
    private const int Slack = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Capacity(int len, object? edit) => edit is null ? len : Math.Min(len + Slack, MaxLen + 1);

    internal abstract class Node
    {
        public Datom[] Keys;  // leaf: the datoms; branch: the greatest datom of each child
        public int Len;
        public object? Edit;

        protected Node(Datom[] keys, int len, object? edit) { Keys = keys; Len = len; Edit = edit; }
        public Datom MaxKey => Keys[Len - 1];
    }

    internal sealed class Leaf : Node
    {
        public Leaf(Datom[] keys, int len, object? edit) : base(keys, len, edit) { }
    }

    internal sealed class Branch : Node
    {
        public Node[] Children;
        // Keys still shared with the branch this one was copied from: copy them before changing one (most writes
        // change a child but not its greatest key, so a path copy usually copies only the children)
        public bool KeysShared;
        public Branch(Datom[] keys, Node[] children, int len, object? edit) : base(keys, len, edit) { Children = children; }

        public void OwnKeys()
        {
            if (!KeysShared) return;
            var keys = new Datom[Children.Length];
            Array.Copy(Keys, keys, Len);
            Keys = keys;
            KeysShared = false;
        }

        public void SetKey(int i, Datom key)
        {
            if (ReferenceEquals(Keys[i], key)) return;
            OwnKeys();
            Keys[i] = key;
        }
    }

    public static readonly SortedDatomSet<TOrder> Empty = new(null, 0);

    internal readonly Node? Root;
    public readonly int Count;

    internal SortedDatomSet(Node? root, int count) { Root = root; Count = count; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Search(Datom[] keys, int len, Datom key)
    {
        int lo = 0, hi = len - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var c = TOrder.Compare(keys[mid], key);
            if (c < 0) lo = mid + 1;
            else if (c > 0) hi = mid - 1;
            else return mid;
        }
        return ~lo;
    }

    /// <summary>Index of the first key >= probe (Len when none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LowerBound(Datom[] keys, int len, Datom probe)
    {
        int lo = 0, hi = len;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (TOrder.Compare(keys[mid], probe) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The stored datom equal (in this order) to the probe, or null.</summary>
    public Datom? Find(Datom probe)
    {
        var node = Root;
        if (node is null) return null;
        while (node is Branch b)
        {
            var i = LowerBound(b.Keys, b.Len, probe);
            if (i == b.Len) return null;
            node = b.Children[i];
        }
        var j = Search(node.Keys, node.Len, probe);
        return j >= 0 ? node.Keys[j] : null;
    }

    public bool Contains(Datom probe) => Find(probe) is not null;

    // ---- updates ----

    /// <summary>The set with the datom added (this set when an equal datom is present).</summary>
    public SortedDatomSet<TOrder> Add(Datom d, object? edit = null)
    {
        if (Root is null) return new SortedDatomSet<TOrder>(new Leaf(NewKeys(d, edit), 1, edit), 1);
        var changed = false;
        var r = Insert(Root, d, edit, ref changed, out var split);
        if (!changed) return this;
        Node root = r;
        if (split is not null)
        {
            var keys = new Datom[Capacity(2, edit)];
            keys[0] = r.MaxKey; keys[1] = split.MaxKey;
            var children = new Node[keys.Length];
            children[0] = r; children[1] = split;
            root = new Branch(keys, children, 2, edit);
        }
        return new SortedDatomSet<TOrder>(root, Count + 1);
    }

    private static Datom[] NewKeys(Datom d, object? edit) { var k = new Datom[Capacity(1, edit)]; k[0] = d; return k; }

    private static Node Insert(Node node, Datom d, object? edit, ref bool changed, out Node? split)
    {
        split = null;
        if (node is Leaf leaf)
        {
            var i = Search(leaf.Keys, leaf.Len, d);
            if (i >= 0) return leaf;
            changed = true;
            return InsertAt(leaf, ~i, d, null, edit, out split);
        }
        var b = (Branch)node;
        var idx = LowerBound(b.Keys, b.Len, d);
        if (idx == b.Len) idx = b.Len - 1;
        var child = b.Children[idx];
        var nc = Insert(child, d, edit, ref changed, out var childSplit);
        if (!changed) return b;
        if (childSplit is null)
        {
            if (ReferenceEquals(nc, child) && ReferenceEquals(b.Keys[idx], nc.MaxKey) && IsEditable(b, edit)) return b;
            var nb = Editable(b, edit);
            nb.Children[idx] = nc;
            nb.SetKey(idx, nc.MaxKey);
            return nb;
        }
        var ed = Editable(b, edit);
        ed.Children[idx] = nc;
        ed.SetKey(idx, nc.MaxKey);
        return InsertAt(ed, idx + 1, childSplit.MaxKey, childSplit, edit, out split);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEditable(Node n, object? edit) => edit is not null && ReferenceEquals(n.Edit, edit);

    private static Branch Editable(Branch b, object? edit)
    {
        if (IsEditable(b, edit)) return b;
        var children = new Node[Capacity(b.Len, edit)];
        Array.Copy(b.Children, children, b.Len);
        return new Branch(b.Keys, children, b.Len, edit) { KeysShared = true };
    }

    /// <summary>Inserts key (and child, for branches) at position i, splitting when the node overflows.</summary>
    private static Node InsertAt(Node node, int i, Datom key, Node? child, object? edit, out Node? split)
    {
        split = null;
        var len = node.Len + 1;
        var branch = node as Branch;
        if (len <= MaxLen)
        {
            if (IsEditable(node, edit) && (branch is null ? node.Keys.Length : branch.Children.Length) >= len)
            {
                branch?.OwnKeys();
                Array.Copy(node.Keys, i, node.Keys, i + 1, node.Len - i);
                node.Keys[i] = key;
                if (branch is not null)
                {
                    Array.Copy(branch.Children, i, branch.Children, i + 1, node.Len - i);
                    branch.Children[i] = child!;
                }
                node.Len = len;
                return node;
            }
            var cap = Capacity(len, edit);
            var keys = new Datom[cap];
            Array.Copy(node.Keys, 0, keys, 0, i);
            keys[i] = key;
            Array.Copy(node.Keys, i, keys, i + 1, node.Len - i);
            if (branch is null) return new Leaf(keys, len, edit);
            var children = new Node[cap];
            Array.Copy(branch.Children, 0, children, 0, i);
            children[i] = child!;
            Array.Copy(branch.Children, i, children, i + 1, node.Len - i);
            return new Branch(keys, children, len, edit);
        }
        // overflow: split into two halves
        var all = new Datom[len];
        Array.Copy(node.Keys, 0, all, 0, i);
        all[i] = key;
        Array.Copy(node.Keys, i, all, i + 1, node.Len - i);
        var leftLen = len / 2;
        var rightLen = len - leftLen;
        var lcap = Capacity(leftLen, edit);
        var rcap = Capacity(rightLen, edit);
        var lk = new Datom[lcap];
        var rk = new Datom[rcap];
        Array.Copy(all, 0, lk, 0, leftLen);
        Array.Copy(all, leftLen, rk, 0, rightLen);
        if (branch is null)
        {
            split = new Leaf(rk, rightLen, edit);
            return new Leaf(lk, leftLen, edit);
        }
        var allc = new Node[len];
        Array.Copy(branch.Children, 0, allc, 0, i);
        allc[i] = child!;
        Array.Copy(branch.Children, i, allc, i + 1, node.Len - i);
        var lc = new Node[lcap];
        var rc = new Node[rcap];
        Array.Copy(allc, 0, lc, 0, leftLen);
        Array.Copy(allc, leftLen, rc, 0, rightLen);
        split = new Branch(rk, rc, rightLen, edit);
        return new Branch(lk, lc, leftLen, edit);
    }

    /// <summary>The set without the datom equal to the probe (this set when absent).</summary>
    public SortedDatomSet<TOrder> Remove(Datom probe, object? edit = null)
    {
        if (Root is null) return this;
        var removed = false;
        var r = Delete(Root, probe, edit, ref removed);
        if (!removed) return this;
        if (r is null) return Empty;
        while (r is Branch b && b.Len == 1) r = b.Children[0];
        return new SortedDatomSet<TOrder>(r, Count - 1);
    }

    /// <summary>Returns the node without the probe; null when it became empty. Children may underflow and are
    /// merged with a neighbour by the parent.</summary>
    private static Node? Delete(Node node, Datom probe, object? edit, ref bool removed)
    {
        if (node is Leaf leaf)
        {
            var i = Search(leaf.Keys, leaf.Len, probe);
            if (i < 0) return leaf;
            removed = true;
            if (leaf.Len == 1) return null;
            if (IsEditable(leaf, edit))
            {
                Array.Copy(leaf.Keys, i + 1, leaf.Keys, i, leaf.Len - i - 1);
                leaf.Len--;
                leaf.Keys[leaf.Len] = null!;
                return leaf;
            }
            var cap = Capacity(leaf.Len - 1, edit);
            var keys = new Datom[cap];
            Array.Copy(leaf.Keys, 0, keys, 0, i);
            Array.Copy(leaf.Keys, i + 1, keys, i, leaf.Len - i - 1);
            return new Leaf(keys, leaf.Len - 1, edit);
        }
        var b = (Branch)node;
        var idx = LowerBound(b.Keys, b.Len, probe);
        if (idx == b.Len) return b;
        var child = b.Children[idx];
        var nc = Delete(child, probe, edit, ref removed);
        if (!removed) return b;
        var nb = Editable(b, edit);
        if (nc is null)
        {
            RemoveSlot(nb, idx);
            return nb.Len == 0 ? null : nb;
        }
        nb.Children[idx] = nc;
        nb.SetKey(idx, nc.MaxKey);
        if (nc.Len < MinLen && nb.Len > 1)
        {
            var left = idx > 0 ? idx - 1 : idx;
            Rebalance(nb, left, edit);
        }
        return nb;
    }

    private static void RemoveSlot(Branch b, int idx)
    {
        b.OwnKeys();
        Array.Copy(b.Keys, idx + 1, b.Keys, idx, b.Len - idx - 1);
        Array.Copy(b.Children, idx + 1, b.Children, idx, b.Len - idx - 1);
        b.Len--;
        b.Keys[b.Len] = null!;
        b.Children[b.Len] = null!;
    }

    /// <summary>Merges children i and i+1 of an editable branch, or shares their entries evenly when too many.</summary>
    private static void Rebalance(Branch b, int i, object? edit)
    {
        b.OwnKeys();
        Node l = b.Children[i], r = b.Children[i + 1];
        var total = l.Len + r.Len;
        var keys = new Datom[total];
        Array.Copy(l.Keys, 0, keys, 0, l.Len);
        Array.Copy(r.Keys, 0, keys, l.Len, r.Len);
        Node[]? children = null;
        if (l is Branch lb)
        {
            var rb = (Branch)r;
            children = new Node[total];
            Array.Copy(lb.Children, 0, children, 0, lb.Len);
            Array.Copy(rb.Children, 0, children, lb.Len, rb.Len);
        }
        if (total <= MaxLen)
        {
            var merged = Make(keys, children, 0, total, edit);
            b.Children[i] = merged;
            b.Keys[i] = merged.MaxKey;
            RemoveSlot(b, i + 1);
            return;
        }
        var half = total / 2;
        var nl = Make(keys, children, 0, half, edit);
        var nr = Make(keys, children, half, total - half, edit);
        b.Children[i] = nl; b.Keys[i] = nl.MaxKey;
        b.Children[i + 1] = nr; b.Keys[i + 1] = nr.MaxKey;
    }

    private static Node Make(Datom[] keys, Node[]? children, int from, int len, object? edit)
    {
        var cap = Capacity(len, edit);
        var k = new Datom[cap];
        Array.Copy(keys, from, k, 0, len);
        if (children is null) return new Leaf(k, len, edit);
        var c = new Node[cap];
        Array.Copy(children, from, c, 0, len);
        return new Branch(k, c, len, edit);
    }

    // ---- bulk construction ----

    /// <summary>Builds a set from datoms already sorted in this order, without duplicates. O(n).</summary>
    public static SortedDatomSet<TOrder> FromSorted(Datom[] sorted, int count)
    {
        if (count == 0) return Empty;
        // full nodes: a bulk-loaded set is mostly read, and an insert copies its leaf either way
        const int fill = MaxLen;
        var level = new List<Node>((count + fill - 1) / fill);
        for (var i = 0; i < count; i += fill)
        {
            var len = Math.Min(fill, count - i);
            if (count - i - len is > 0 and < MinLen) len = (count - i + 1) / 2; // no tiny last leaf
            var keys = new Datom[len];
            Array.Copy(sorted, i, keys, 0, len);
            level.Add(new Leaf(keys, len, null));
            if (len != fill) { i += len - fill; }
        }
        while (level.Count > 1)
        {
            var next = new List<Node>((level.Count + fill - 1) / fill);
            for (var i = 0; i < level.Count;)
            {
                var len = Math.Min(fill, level.Count - i);
                if (level.Count - i - len is > 0 and < MinLen) len = (level.Count - i + 1) / 2;
                var keys = new Datom[len];
                var children = new Node[len];
                for (var j = 0; j < len; j++) { children[j] = level[i + j]; keys[j] = level[i + j].MaxKey; }
                next.Add(new Branch(keys, children, len, null));
                i += len;
            }
            level = next;
        }
        return new SortedDatomSet<TOrder>(level[0], count);
    }

    // ---- reading ----

    /// <summary>Datoms d with from &lt;= d &lt;= to (either bound may be null for open).</summary>
    public IEnumerable<Datom> Slice(Datom? from, Datom? to) => new RangeReader<ProbeRange>(Root, new ProbeRange(from, to));

    /// <summary>The datoms of a contiguous range, in order: one object that is both sequence and enumerator.</summary>
    public IEnumerable<Datom> Range<TRange>(TRange range) where TRange : struct, IDatomRange => new RangeReader<TRange>(Root, range);

    /// <summary>from &lt;= d &lt;= to in this order; a null bound is open.</summary>
    internal readonly struct ProbeRange(Datom? from, Datom? to) : IDatomRange
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Locate(Datom d)
        {
            if (from is not null && TOrder.Compare(d, from) < 0) return -1;
            return to is not null && TOrder.Compare(d, to) > 0 ? 1 : 0;
        }
    }

    /// <summary>
    /// Reads a range leaf by leaf. It keeps no path: the next leaf is found from the root by the greatest key of the
    /// current one (one descent per leaf), so a reader is one small object. Like a C# iterator, the first
    /// <see cref="GetEnumerator"/> on the creating thread returns the reader itself.
    /// </summary>
    private sealed class RangeReader<TRange>(Node? root, TRange range) : IEnumerable<Datom>, IEnumerator<Datom>
        where TRange : struct, IDatomRange
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;
        private Node? _leaf;
        private int _k;
        private int _state; // 0 unstarted, 1 reading, 2 done
        private Datom? _current;

        public Datom Current => _current!;
        object IEnumerator.Current => Current;

        public IEnumerator<Datom> GetEnumerator()
        {
            if (_state == 0 && _thread == Environment.CurrentManagedThreadId)
            {
                _state = -1; // handed out: the next call makes a fresh reader
                return this;
            }
            var r = new RangeReader<TRange>(root, range) { _state = -1 };
            return r;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public bool MoveNext()
        {
            if (_state == 2) return false;
            if (_state != 1)
            {
                _state = 1;
                if (!Seek()) return Done();
            }
            while (true)
            {
                var leaf = _leaf!;
                if (_k < leaf.Len)
                {
                    var d = leaf.Keys[_k];
                    if (range.Locate(d) > 0) return Done();
                    _k++;
                    _current = d;
                    return true;
                }
                if (!NextLeaf(leaf.Keys[leaf.Len - 1])) return Done();
            }
        }

        private bool Done()
        {
            _state = 2;
            _current = null;
            _leaf = null;
            return false;
        }

        /// <summary>To the first datom not before the range.</summary>
        private bool Seek()
        {
            var node = root;
            if (node is null) return false;
            while (node is Branch b)
            {
                var i = DatomRanges.FirstNotBefore(b.Keys, 0, b.Len, range);
                if (i == b.Len) return false;
                node = b.Children[i];
            }
            _leaf = node;
            _k = DatomRanges.FirstNotBefore(node.Keys, 0, node.Len, range);
            return true;
        }

        /// <summary>To the first datom after <paramref name="last"/>, the greatest key of the leaf just read.</summary>
        private bool NextLeaf(Datom last)
        {
            var node = root!;
            while (node is Branch b)
            {
                int lo = 0, hi = b.Len;
                while (lo < hi)
                {
                    var mid = (lo + hi) >> 1;
                    if (TOrder.Compare(b.Keys[mid], last) <= 0) lo = mid + 1; else hi = mid;
                }
                if (lo == b.Len) return false;
                node = b.Children[lo];
            }
            _leaf = node;
            _k = 0;
            while (_k < node.Len && TOrder.Compare(node.Keys[_k], last) <= 0) _k++;
            return _k < node.Len; // a leaf root, or keys no greater than last: the end
        }


        public void Reset() => throw new NotSupportedException();
        public void Dispose() { }
    }

    /// <summary>The first datom >= probe, or null.</summary>
    public Datom? First(Datom probe)
    {
        var node = Root;
        if (node is null) return null;
        while (node is Branch b)
        {
            var i = LowerBound(b.Keys, b.Len, probe);
            if (i == b.Len) return null; // every key is smaller: the greatest key of the last child is < probe
            node = b.Children[i];
        }
        var j = LowerBound(node.Keys, node.Len, probe);
        return j < node.Len ? node.Keys[j] : null;
    }

    public IEnumerator<Datom> GetEnumerator() => Slice(null, null).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Checks the tree's invariants (sorted keys, separator keys, balanced depth); for tests.</summary>
    internal void Validate()
    {
        if (Root is null) { if (Count != 0) throw new InvalidOperationException("count of empty set"); return; }
        Datom? prev = null;
        var n = 0;
        int? leafDepth = null;
        void Walk(Node node, int depth)
        {
            if (node.Len == 0) throw new InvalidOperationException("empty node");
            if (node is Leaf)
            {
                leafDepth ??= depth;
                if (leafDepth != depth) throw new InvalidOperationException("unbalanced tree");
                for (var i = 0; i < node.Len; i++)
                {
                    if (prev is not null && TOrder.Compare(prev, node.Keys[i]) >= 0) throw new InvalidOperationException("keys out of order");
                    prev = node.Keys[i];
                    n++;
                }
                return;
            }
            var b = (Branch)node;
            for (var i = 0; i < b.Len; i++)
            {
                Walk(b.Children[i], depth + 1);
                if (!ReferenceEquals(b.Keys[i], b.Children[i].MaxKey) && TOrder.Compare(b.Keys[i], b.Children[i].MaxKey) != 0)
                    throw new InvalidOperationException("stale separator key");
            }
        }
        Walk(Root, 0);
        if (n != Count) throw new InvalidOperationException($"count {Count} but {n} datoms");
    }
}
