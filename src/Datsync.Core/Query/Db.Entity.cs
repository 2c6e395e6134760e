namespace Datsync.Core;

public sealed partial class Db
{
    /// <summary>
    /// A lazy view of the entity named by an entity id, ident or lookup ref (Datomic's <c>entity</c>); null when eid
    /// names no entity of this value.
    /// </summary>
    public Entity? Entity(object eid) => EntId(eid) is { } e ? new Entity(this, e) : null;
}
