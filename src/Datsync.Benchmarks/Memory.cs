using Datsync.Core;

namespace Datsync.Benchmarks;

/// <summary>Heap retained by a database of 1M person datoms (200k entities x 5 attributes).</summary>
internal sealed record MemoryResult(long Datoms, long BytesBefore, long BytesAfter)
{
    public long Retained => BytesAfter - BytesBefore;
    public double BytesPerDatom => (double)Retained / Datoms;
}

internal static class Memory
{
    /// <summary>
    /// Measures GC.GetTotalMemory(true) before and after a bulk load (Db.FromDatoms) of 1M datoms. The values (strings)
    /// already exist before; the datoms are made inside the measured region, so what is counted is what the db retains:
    /// the datom objects and the four indexes. The same is done on the DataScript side.
    /// </summary>
    public static MemoryResult Measure(Workload w)
    {
        Harness.Progress("datsync", $"memory: bulk load of {Workload.MemoryEntities * 5:N0} datoms");
        var schemaDb = Cases.SchemaDb;
        var schemaDatoms = schemaDb.Datoms(IndexType.Eavt).Where(d => d.E >= EntityIds.FirstUser).ToArray();
        var attrIds = Cases.PersonAttrs.Select(a => schemaDb.AttributeOf(a)!.Id).ToArray();
        var firstE = schemaDb.MaxEntityId + 1;
        var t = schemaDb.BasisT;

        IEnumerable<Datom> Datoms()
        {
            foreach (var d in schemaDatoms) yield return d;
            for (var j = 0; j < Workload.MemoryEntities; j++)
            {
                var p = w.MemoryPerson(j);
                var e = firstE + j;
                yield return Datom.Create(e, attrIds[0], p.Id, t);
                yield return Datom.Create(e, attrIds[1], p.Name, t);
                yield return Datom.Create(e, attrIds[2], p.LastName, t);
                yield return Datom.Create(e, attrIds[3], p.Age, t);
                yield return Datom.Create(e, attrIds[4], p.Salary, t);
            }
        }

        Harness.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var db = Db.FromDatoms(Datoms(), t);
        Harness.Collect();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(db);

        var check = Cases.CountCheck(db);
        var expected = $"datoms={Workload.MemoryEntities * 5} ids={Workload.MemoryEntities}";
        if (check != expected) throw new InvalidOperationException($"memory db: {check}, expected {expected}");
        var result = new MemoryResult(Workload.MemoryEntities * 5L, before, after);
        Harness.Progress("datsync", $"memory: {result.Retained / 1048576.0:F1} MB retained, {result.BytesPerDatom:F1} bytes/datom");
        return result;
    }
}
