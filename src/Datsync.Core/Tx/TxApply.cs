namespace Datsync.Core;

/// <summary>Applies validated datoms to a database value: the four indexes, then the schema when schema datoms changed.
/// Shared by the transaction engine and by replay of recorded transactions.</summary>
internal static class TxApply
{
    public static Db Apply(Db before, IReadOnlyList<Datom> txData, long t, long maxEid, long ticks)
    {
        var schema = before.Schema;
        // an edit token lets writes that meet in one node copy it once; a two-datom transaction rarely does
        var edit = txData.Count > 2 ? new object() : null;
        var eavt = before.Eavt; var aevt = before.Aevt; var avet = before.Avet; var vaet = before.Vaet;
        var schemaTouched = false;
        for (var i = 0; i < txData.Count; i++)
        {
            var d = txData[i];
            var a = schema[d.A] ?? throw new TxRejectedException(TxErrors.NotAnAttribute, $"datom {d} names no installed attribute");
            if (SchemaRules.IsSchemaAttr(d.A)) schemaTouched = true;
            if (d.Added)
            {
                eavt = eavt.Add(d, edit);
                if (d.A != BuiltIns.TxInstantId) aevt = aevt.Add(d, edit); // its AEVT order is its EAVT order
                if (a.StoredInAvet) avet = avet.Add(d, edit);
                if (a.IsRef) vaet = vaet.Add(d, edit);
            }
            else
            {
                eavt = eavt.Remove(d, edit);
                if (d.A != BuiltIns.TxInstantId) aevt = aevt.Remove(d, edit);
                if (a.StoredInAvet) avet = avet.Remove(d, edit);
                if (a.IsRef) vaet = vaet.Remove(d, edit);
            }
        }
        var after = new Db(eavt, aevt, avet, vaet, schema, t, maxEid, ticks);
        return schemaTouched ? ApplySchemaChanges(before, after, txData) : after;
    }

    /// <summary>Derives the new schema from the schema datoms of the touched entities and moves datoms between
    /// indexes when an attribute starts or stops being indexed.</summary>
    private static Db ApplySchemaChanges(Db before, Db after, IReadOnlyList<Datom> txData)
    {
        var touched = new SortedSet<long>();
        foreach (var d in txData) if (SchemaRules.IsSchemaAttr(d.A)) touched.Add(d.E);
        var identChanges = new List<(long, Keyword?, Keyword?)>();
        var changed = new List<Attribute>();
        var avet = after.Avet;
        foreach (var e in touched)
        {
            var datoms = after.Eavt.Slice(Db.Probe(e, BuiltIns.IdentId, 0, ScalarTag.Min), Db.Probe(e, BuiltIns.LastSchemaAttrId, 0, ScalarTag.Max)).ToList();
            var newIdent = datoms.FirstOrDefault(d => d.A == BuiltIns.IdentId)?.O as Keyword;
            var oldIdent = before.Schema.IdentOf(e);
            if (!Equals(newIdent, oldIdent)) identChanges.Add((e, oldIdent, newIdent));
            var previous = e <= int.MaxValue ? before.Schema[(int)e] : null;
            var now = SchemaRules.Read(e, datoms);
            if (previous is not null)
            {
                if (e <= BuiltIns.TxInstantId) throw new TxRejectedException(TxErrors.IncompatibleSchemaChange, $"built-in attribute {previous.Ident} cannot be altered");
                SchemaRules.CheckAlteration(previous, now, after);
            }
            if (now is null || now == previous) continue;
            changed.Add(now);
            if (previous is not null && previous.StoredInAvet == now.StoredInAvet) continue;
            var edit = new object();
            foreach (var d in after.AttributeDatoms(now.Id))
                avet = now.StoredInAvet ? avet.Add(d, edit) : avet.Remove(d, edit);
        }
        if (identChanges.Count == 0 && changed.Count == 0) return after;
        var schema = after.Schema.With(identChanges, changed);
        return new Db(after.Eavt, after.Aevt, avet, after.Vaet, schema, after.BasisT, after.MaxEntityId, after.LastTxTicks);
    }

}
