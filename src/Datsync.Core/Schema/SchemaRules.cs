namespace Datsync.Core;

/// <summary>Derives attributes from their schema datoms and decides which schema changes are legal.</summary>
internal static class SchemaRules
{
    internal static bool IsSchemaAttr(int a) => a >= BuiltIns.IdentId && a <= BuiltIns.LastSchemaAttrId;

    /// <summary>
    /// The attribute described by an entity's schema datoms (attribute ids 1..8), or null when the entity is not an
    /// attribute. Throws when the datoms describe an incomplete or invalid attribute.
    /// </summary>
    public static Attribute? Read(long e, IEnumerable<Datom> schemaDatoms)
    {
        Keyword? ident = null;
        long? type = null, card = null, unique = null;
        bool component = false, index = false, noHistory = false;
        string? doc = null;
        foreach (var d in schemaDatoms)
        {
            switch (d.A)
            {
                case BuiltIns.IdentId: ident = (Keyword)d.O!; break;
                case BuiltIns.ValueTypeId: type = d.N; break;
                case BuiltIns.CardinalityId: card = d.N; break;
                case BuiltIns.UniqueId: unique = d.N; break;
                case BuiltIns.IsComponentId: component = d.N != 0; break;
                case BuiltIns.IndexId: index = d.N != 0; break;
                case BuiltIns.DocId: doc = (string)d.O!; break;
                case BuiltIns.NoHistoryId: noHistory = d.N != 0; break;
            }
        }
        var name = ident is null ? e.ToString() : EdnPrinter.Describe(ident);
        if (type is null && card is null)
        {
            if (unique is not null || component) throw Fail($"{name} has :db/unique or :db/isComponent but is not an attribute (it needs :db/valueType and :db/cardinality)");
            return null;
        }
        if (ident is null) throw Fail($"attribute entity {e} needs :db/ident");
        if (type is null) throw Fail($"attribute {name} needs :db/valueType");
        if (card is null) throw Fail($"attribute {name} needs :db/cardinality");
        if (e > int.MaxValue) throw Fail($"attribute {name} has entity id {e}, beyond the attribute id range");
        var vt = BuiltIns.TypeOfId(type.Value) ?? throw Fail($"attribute {name}: :db/valueType must be a :db.type/... ident");
        bool many = card.Value switch
        {
            BuiltIns.CardinalityOneId => false,
            BuiltIns.CardinalityManyId => true,
            _ => throw Fail($"attribute {name}: :db/cardinality must be :db.cardinality/one or :db.cardinality/many"),
        };
        var u = unique switch
        {
            null => Uniqueness.None,
            BuiltIns.UniqueIdentityId => Uniqueness.Identity,
            BuiltIns.UniqueValueId => Uniqueness.Value,
            _ => throw Fail($"attribute {name}: :db/unique must be :db.unique/identity or :db.unique/value"),
        };
        if (component && vt != ValueType.Ref) throw Fail($"attribute {name}: :db/isComponent needs :db.type/ref");
        return new Attribute((int)e, ident, vt, many, u, component, index, doc, noHistory);
    }

    /// <summary>Checks an alteration of an installed attribute against the data in the new value.</summary>
    public static void CheckAlteration(Attribute before, Attribute? after, Db dbAfter)
    {
        if (after is null) throw Fail($"attribute {before.Ident} cannot be uninstalled (:db/ident, :db/valueType and :db/cardinality stay)");
        if (after.ValueType != before.ValueType)
            throw Fail($"attribute {before.Ident}: :db/valueType cannot change (from {BuiltIns.TypeIdents[(int)before.ValueType]} to {BuiltIns.TypeIdents[(int)after.ValueType]})");
        if (before.IsMany && !after.IsMany)
        {
            long? prev = null;
            foreach (var d in dbAfter.AttributeDatoms(after.Id))
            {
                if (prev == d.E) throw Fail($"attribute {after.Ident} cannot become :db.cardinality/one: entity {d.E} holds more than one value");
                prev = d.E;
            }
        }
        if (before.Unique == Uniqueness.None && after.Unique != Uniqueness.None)
        {
            var seen = new HashSet<(long, object?)>();
            foreach (var d in dbAfter.AttributeDatoms(after.Id))
            {
                var key = d.O is null || d.O is ScalarTag ? (d.N, d.O) : (0L, d.O);
                if (!seen.Add(key)) throw Fail($"attribute {after.Ident} cannot become unique: value {EdnPrinter.Describe(d.V)} is held by more than one entity");
            }
        }
    }

    private static TxRejectedException Fail(string message) => new(TxErrors.IncompatibleSchemaChange, message);
}
