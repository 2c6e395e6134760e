namespace Datsync.Core;

/// <summary>
/// The topics of many subscriptions, indexed by attribute, then by entity or value, so the datoms of a transaction
/// find the subscriptions they may change without looking at the others. Not thread-safe: one owner.
/// </summary>
internal sealed class TopicIndex<TSub> where TSub : class
{
    private sealed class Entry(TSub sub, Topic topic)
    {
        public readonly TSub Sub = sub;
        public readonly Topic Topic = topic;
    }

    private sealed class Bucket
    {
        public readonly Dictionary<long, HashSet<Entry>> ByEntity = new();
        public readonly Dictionary<object, HashSet<Entry>> ByValue = new(TopicKeys.Comparer);
        public readonly HashSet<Entry> Any = [];
        public bool IsEmpty => ByEntity.Count == 0 && ByValue.Count == 0 && Any.Count == 0;
    }

    private readonly Dictionary<int, Bucket> _byAttribute = new();
    private readonly Dictionary<TSub, List<Entry>> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<TSub> _everything = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<TSub, TopicSet> _sets = new(ReferenceEqualityComparer.Instance); // what each was set to

    /// <summary>How many subscriptions are indexed.</summary>
    public int Count => _entries.Count + _everything.Count;

    /// <summary>Replaces what <paramref name="sub"/> listens to.</summary>
    public void Set(TSub sub, TopicSet topics)
    {
        // the same topics again (an evaluation kept from the datoms keeps its set): indexed already
        if (_sets.TryGetValue(sub, out var current) && ReferenceEquals(current, topics)) return;
        Remove(sub);
        _sets[sub] = topics;
        if (topics.Everything)
        {
            _everything.Add(sub);
            return;
        }
        var entries = new List<Entry>(topics.Items.Count);
        foreach (var t in topics.Items)
        {
            var e = new Entry(sub, t);
            entries.Add(e);
            var bucket = BucketFor(t.Attribute, create: true)!;
            if (t.Entities is { } ents) foreach (var id in ents) Add(bucket.ByEntity, id, e);
            else if (t.Values is { } vals) foreach (var v in vals) Add(bucket.ByValue, v, e);
            else bucket.Any.Add(e);
        }
        _entries[sub] = entries;
    }

    public void Remove(TSub sub)
    {
        _sets.Remove(sub);
        _everything.Remove(sub);
        if (!_entries.Remove(sub, out var entries)) return;
        foreach (var e in entries)
        {
            var t = e.Topic;
            if (BucketFor(t.Attribute, create: false) is not { } bucket) continue;
            if (t.Entities is { } ents) foreach (var id in ents) Drop(bucket.ByEntity, id, e);
            else if (t.Values is { } vals) foreach (var v in vals) Drop(bucket.ByValue, v, e);
            else bucket.Any.Remove(e);
            if (bucket.IsEmpty) _byAttribute.Remove(t.Attribute);
        }
    }

    /// <summary>The subscriptions whose topics a datom of <paramref name="txData"/> fits (every one when the schema
    /// changes); <paramref name="examined"/>: how many index entries were looked at.</summary>
    public HashSet<TSub> Affected(IReadOnlyList<Datom> txData, out int examined)
    {
        examined = 0;
        if (txData.Count == 0) return new HashSet<TSub>(ReferenceEqualityComparer.Instance);
        var affected = new HashSet<TSub>(_everything, ReferenceEqualityComparer.Instance);
        foreach (var d in txData)
            if (SchemaRules.IsSchemaAttr(d.A))
            {
                foreach (var s in _entries.Keys) affected.Add(s);
                examined = Count;
                return affected;
            }
        var any = BucketFor(Topic.AnyAttribute, create: false);
        foreach (var d in txData)
        {
            if (_byAttribute.TryGetValue(d.A, out var bucket)) examined += Collect(bucket, d, affected);
            if (any is not null) examined += Collect(any, d, affected);
        }
        return affected;
    }

    private static int Collect(Bucket bucket, Datom d, HashSet<TSub> into)
    {
        var examined = 0;
        object? key = null;
        if (bucket.ByEntity.TryGetValue(d.E, out var byE))
            foreach (var e in byE)
            {
                examined++;
                if (into.Contains(e.Sub)) continue;
                if (e.Topic.Values is { } vals && !vals.Contains(key ??= TopicKeys.Of(d.V))) continue;
                into.Add(e.Sub);
            }
        if (bucket.ByValue.Count > 0 && bucket.ByValue.TryGetValue(key ??= TopicKeys.Of(d.V), out var byV))
            foreach (var e in byV)
            {
                examined++;
                into.Add(e.Sub);
            }
        foreach (var e in bucket.Any)
        {
            examined++;
            into.Add(e.Sub);
        }
        return examined;
    }

    private Bucket? BucketFor(int attribute, bool create)
    {
        if (_byAttribute.TryGetValue(attribute, out var b) || !create) return b;
        return _byAttribute[attribute] = new Bucket();
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<Entry>> map, TKey key, Entry e) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = [];
        set.Add(e);
    }

    private static void Drop<TKey>(Dictionary<TKey, HashSet<Entry>> map, TKey key, Entry e) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var set)) return;
        set.Remove(e);
        if (set.Count == 0) map.Remove(key);
    }
}
