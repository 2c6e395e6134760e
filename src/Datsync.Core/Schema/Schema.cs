
namespace Datsync.Core;

/// <summary>The installed attributes and all idents of one database value. Immutable; a schema change makes a new one.</summary>
public sealed class Schema
{
    private readonly Dictionary<int, Attribute> _byId;
    private readonly Dictionary<Keyword, long> _idents;
    private readonly Dictionary<long, Keyword> _identOf;
    private readonly Attribute?[] _dense; // fast path for small attribute ids

    internal Schema(Dictionary<int, Attribute> byId, Dictionary<Keyword, long> idents, Dictionary<long, Keyword> identOf)
    {
        _byId = byId;
        _idents = idents;
        _identOf = identOf;
        var max = 0;
        foreach (var id in byId.Keys) if (id < 1 << 16 && id > max) max = id;
        _dense = new Attribute?[max + 1];
        foreach (var (id, a) in byId) if (id <= max) _dense[id] = a;
    }

    internal static readonly Schema Initial = Build();

    private static Schema Build()
    {
        var byId = new Dictionary<int, Attribute>();
        var idents = new Dictionary<Keyword, long>();
        var identOf = new Dictionary<long, Keyword>();
        foreach (var d in BuiltIns.Datoms())
        {
            if (d.A != BuiltIns.IdentId) continue;
            idents[(Keyword)d.V] = d.E;
            identOf[d.E] = (Keyword)d.V;
        }
        foreach (var a in BuiltIns.Attributes) byId[a.Id] = a;
        return new Schema(byId, idents, identOf);
    }

    /// <summary>All installed attributes.</summary>
    public IEnumerable<Attribute> Attributes => _byId.Values;

    /// <summary>The attribute with this entity id, or null.</summary>
    public Attribute? this[int id] => (uint)id < (uint)_dense.Length ? _dense[id] : _byId.GetValueOrDefault(id);

    /// <summary>The attribute with this ident, or null.</summary>
    public Attribute? this[Keyword ident] => _idents.TryGetValue(ident, out var id) && id <= int.MaxValue ? this[(int)id] : null;

    /// <summary>The entity id named by an ident, or null.</summary>
    public long? EntityOf(Keyword ident) => _idents.TryGetValue(ident, out var id) ? id : null;

    /// <summary>The ident of an entity, or null.</summary>
    public Keyword? IdentOf(long entity) => _identOf.GetValueOrDefault(entity);

    internal Schema With(IEnumerable<(long e, Keyword? oldIdent, Keyword? newIdent)> identChanges, IEnumerable<Attribute> changed)
    {
        var byId = new Dictionary<int, Attribute>(_byId);
        var idents = new Dictionary<Keyword, long>(_idents);
        var identOf = new Dictionary<long, Keyword>(_identOf);
        foreach (var (e, oldIdent, newIdent) in identChanges)
        {
            if (oldIdent is not null && idents.TryGetValue(oldIdent, out var holder) && holder == e) idents.Remove(oldIdent);
            if (newIdent is not null) { idents[newIdent] = e; identOf[e] = newIdent; }
            else identOf.Remove(e);
        }
        foreach (var a in changed) byId[a.Id] = a;
        return new Schema(byId, idents, identOf);
    }
}
