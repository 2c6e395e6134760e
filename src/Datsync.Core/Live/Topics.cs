namespace Datsync.Core;

/// <summary>
/// One kind of datom a query's last evaluation read: an attribute (or any), and the entities and values it was
/// read at (null: any). A datom of a transaction that matches no topic of a query cannot change its result.
/// </summary>
internal sealed class Topic
{
    /// <summary>The attribute id, or <see cref="AnyAttribute"/>.</summary>
    public readonly int Attribute;
    /// <summary>The entity ids the datoms were read at; null: any entity.</summary>
    public HashSet<long>? Entities { get; private set; }
    /// <summary>The values (as <see cref="TopicKeys"/>); null: any value.</summary>
    public HashSet<object>? Values { get; private set; }

    public const int AnyAttribute = -1;

    public Topic(int attribute, HashSet<long>? entities, HashSet<object>? values)
    {
        Attribute = attribute;
        Entities = entities;
        Values = values;
    }

    /// <summary>Widens this topic to cover <paramref name="other"/> too, when both constrain the same positions of the
    /// same attribute (two sets of entities and values merge into their product, which covers both).</summary>
    public bool TryUnion(Topic other)
    {
        if (other.Attribute != Attribute) return false;
        var sameShape = (Entities is null) == (other.Entities is null) && (Values is null) == (other.Values is null);
        if (!sameShape) return false;
        if (Entities is not null) Entities.UnionWith(other.Entities!);
        if (Values is not null) Values.UnionWith(other.Values!);
        return true;
    }

    public bool Matches(Datom d) =>
        (Attribute == AnyAttribute || Attribute == d.A)
        && (Entities is null || Entities.Contains(d.E))
        && (Values is null || Values.Contains(TopicKeys.Of(d.V)));

    public override string ToString() =>
        $"[{(Attribute == AnyAttribute ? "*" : Attribute.ToString())} e:{(Entities is null ? "*" : Entities.Count.ToString())} v:{(Values is null ? "*" : Values.Count.ToString())}]";
}

/// <summary>Every topic of one evaluation; <see cref="Everything"/> when some part of the query cannot be narrowed
/// to attributes (a function given the database, a pull with <c>*</c> over components): then every transaction may
/// change it.</summary>
internal sealed class TopicSet
{
    public bool Everything { get; private set; }
    private readonly List<Topic> _topics = [];

    public IReadOnlyList<Topic> Items => _topics;

    public static TopicSet All()
    {
        var s = new TopicSet();
        s.SetEverything();
        return s;
    }

    public void SetEverything()
    {
        Everything = true;
        _topics.Clear();
    }

    public void Add(Topic t)
    {
        if (Everything) return;
        foreach (var existing in _topics)
            if (existing.TryUnion(t)) return;
        _topics.Add(t);
    }

    /// <summary>True when a schema change or a datom of <paramref name="txData"/> is one this evaluation read.</summary>
    public bool MayBeChangedBy(IReadOnlyList<Datom> txData)
    {
        if (Everything) return txData.Count > 0;
        foreach (var d in txData)
        {
            if (SchemaRules.IsSchemaAttr(d.A)) return true;
            foreach (var t in _topics)
                if (t.Matches(d)) return true;
        }
        return false;
    }
}

/// <summary>
/// Values as topics compare them: numbers by value whatever their type (as query equality does; 1 and 1.0 share a
/// key, which can only make a topic match more), anything else with <see cref="EdnEquality"/>.
/// </summary>
internal static class TopicKeys
{
    public static readonly IEqualityComparer<object> Comparer = EdnEquality.Instance;

    public static object Of(object? v) => v switch
    {
        null => NullKey,
        long => v,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
        float f when float.IsFinite(f) && MathF.Floor(f) == f && Math.Abs(f) < 9.2e18 => (long)f,
        float f => (double)f,
        decimal m when decimal.Floor(m) == m && m > long.MinValue && m < long.MaxValue => (long)m,
        decimal m => (double)m,
        _ => v,
    };

    private static readonly object NullKey = new();
}
