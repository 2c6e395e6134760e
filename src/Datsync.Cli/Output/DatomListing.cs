using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Cli.Output;

/// <summary>The <c>[[e :attr v] ...]</c> listing of a database's user datoms, as <c>replay</c> and <c>dump</c> print it.</summary>
internal static class DatomListing
{
    /// <summary>Current datoms whose attribute is outside the <c>db</c> namespace and whose entity is not a
    /// transaction, sorted by entity, attribute ident and value.</summary>
    public static List<Datom> UserDatoms(Db db)
    {
        var list = new List<Datom>();
        foreach (var d in db.Datoms(IndexType.Eavt))
        {
            if (EntityIds.IsTx(d.E)) continue;
            var ident = db.Ident(d.A);
            if (ident is null || ident.Namespace == "db" || (ident.Namespace?.StartsWith("db.", StringComparison.Ordinal) ?? false)) continue;
            list.Add(d);
        }
        // EAVT orders by e, attribute id, value; attribute order must follow the ident, not the attribute id. The sort
        // must be stable: datoms of one entity and attribute keep EAVT's value order (List.Sort is not stable).
        return list.OrderBy(d => d.E).ThenBy(d => db.Ident(d.A)!.FullName, StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes <c>{:key [[e :attr v] ...]}</c> on one line.</summary>
    public static void Write(TextWriter w, string key, Db db)
    {
        w.Write('{');
        w.Write(':');
        w.Write(key);
        w.Write(" [");
        var first = true;
        foreach (var d in UserDatoms(db))
        {
            if (!first) w.Write(' ');
            first = false;
            w.Write('[');
            w.Write(d.E);
            w.Write(' ');
            w.Write(db.Ident(d.A)!.ToString());
            w.Write(' ');
            EdnPrinter.Print(d.V, w);
            w.Write(']');
        }
        w.WriteLine("]}");
    }
}
