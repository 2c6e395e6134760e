namespace Datsync.Core;

public sealed partial class Db
{
    /// <summary>The virtual attribute through which a replica's entity and pull expose the master id of an entity.</summary>
    public static readonly Keyword RemoteIdAttr = Keyword.Intern("datsync.remote.db/id");

    /// <summary>On a replica's value: the master id of a local entity (null while its transaction is pending).</summary>
    internal Func<long, long?>? RemoteIdResolver { get; private init; }

    /// <summary>The value of <see cref="RemoteIdAttr"/> for an entity: null on a master value, or when the entity has
    /// no master id yet.</summary>
    internal long? RemoteIdOf(long e) => RemoteIdResolver is { } f && EntityExists(e) ? f(e) : null;

    /// <summary>This value with a remote id resolver (a replica's view).</summary>
    internal Db WithRemoteIds(Func<long, long?> resolver) =>
        new(Eavt, Aevt, Avet, Vaet, Schema, BasisT, MaxEntityId, LastTxTicks) { RemoteIdResolver = resolver };

    /// <summary>This value with new entities allocated above <paramref name="maxEntityId"/> (a replica's local range).</summary>
    internal Db WithIdFloor(long maxEntityId) => maxEntityId <= MaxEntityId ? this :
        new(Eavt, Aevt, Avet, Vaet, Schema, BasisT, maxEntityId, LastTxTicks) { RemoteIdResolver = RemoteIdResolver };

    /// <summary>This value with new entities allocated right after <paramref name="maxEntityId"/>, lower than its own
    /// perhaps (a replica checking a transaction outside its local range).</summary>
    internal Db WithNewIdsAfter(long maxEntityId) => maxEntityId == MaxEntityId ? this :
        new(Eavt, Aevt, Avet, Vaet, Schema, BasisT, maxEntityId, LastTxTicks) { RemoteIdResolver = RemoteIdResolver };

    /// <summary>Every current datom with the schema first: the datoms of attribute entities, then everything else in
    /// EAVT order. A replica bootstrapping from this stream knows every attribute before it meets its data.</summary>
    public IEnumerable<Datom> SchemaFirstDatoms()
    {
        var attributes = Schema.Attributes.Select(a => (long)a.Id).Order().ToArray();
        foreach (var e in attributes)
            foreach (var d in Eavt.Slice(Probe(e, int.MinValue, 0, ScalarTag.Min), Probe(e, int.MaxValue, 0, ScalarTag.Max)))
                yield return d;
        foreach (var d in Eavt)
            if (Array.BinarySearch(attributes, d.E) < 0) yield return d;
    }
}
