namespace Datsync.Core;

public sealed partial class Db
{
    /// <summary>
    /// Pulls a hierarchical selection of an entity's attributes (Datomic <c>pull</c>). The pattern is a
    /// <see cref="PullPattern"/> or pattern data such as <c>[:person/name {:person/friend [:person/name]}]</c> as an
    /// <see cref="IReadOnlyList{T}"/> of object; eid is an entity id, ident or lookup ref.
    /// </summary>
    /// <returns>
    /// Null when eid names no entity. Otherwise a map keyed by attribute keyword (or <c>:as</c> alias; keys are
    /// objects for that reason) that leaves out attributes the entity lacks; it may be empty. Cardinality-many values
    /// are lists; refs are nested maps (<c>{:db/id n}</c> without a sub-pattern, unless the attribute is a component).
    /// </returns>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public IReadOnlyDictionary<object, object?>? Pull(object pattern, object eid)
    {
        var p = PullPattern.Parse(pattern);
        return EntId(eid) is { } e ? new Puller(this, p).Pull(e, p) : null;
    }

    /// <summary>Pulls one pattern for each entity in order; an eid that names no entity yields null.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public IReadOnlyList<IReadOnlyDictionary<object, object?>?> PullMany(object pattern, IEnumerable<object> eids)
    {
        ArgumentNullException.ThrowIfNull(eids);
        var p = PullPattern.Parse(pattern);
        var puller = new Puller(this, p);
        var results = eids is IReadOnlyCollection<object> c
            ? new List<IReadOnlyDictionary<object, object?>?>(c.Count)
            : new List<IReadOnlyDictionary<object, object?>?>();
        puller.PullEach(eids, p, results);
        return results;
    }
}
