using System.Diagnostics;
using Datsync.Actors.Persistence;
using Datsync.Core;
using Xunit.Abstractions;
using static Datsync.Actors.Tests.Persistence.TestData;

namespace Datsync.Actors.Tests.Persistence;

/// <summary>A 1M-datom snapshot through the serializer; reports timings and size, asserts only correctness.</summary>
[Collection(SerializationCollection.Name)]
public sealed class SnapshotPerformanceTests(SerializationFixture fixture, ITestOutputHelper output)
{
    private const int Entities = 200_000;

    internal static Db BuildDb()
    {
        var schemaDb = Db.Empty.Transact(
        [
            Attr(":bench/name", "string"), Attr(":bench/n", "long"), Attr(":bench/x", "double"),
            Attr(":bench/kind", "keyword"), Attr(":bench/parent", "ref"),
        ]).DbAfter;
        int name = Id(":bench/name"), n = Id(":bench/n"), x = Id(":bench/x"), kind = Id(":bench/kind"), parent = Id(":bench/parent");
        int Id(string ident) => schemaDb.AttributeOf(K(ident))!.Id;
        var kinds = Enumerable.Range(0, 16).Select(i => K(":bench.kind/k" + i)).ToArray();
        var first = schemaDb.MaxEntityId + 1;
        var rng = new Random(42);
        var datoms = new List<Datom>(Entities * 5 + 1000);
        datoms.AddRange(schemaDb.Datoms(IndexType.Eavt));
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < Entities; i++)
        {
            var e = first + i;
            var t = schemaDb.BasisT + 1 + i / 1000; // transactions of 1000 entities
            datoms.Add(Datom.Create(e, name, "entity name " + i, t));
            datoms.Add(Datom.Create(e, n, (long)rng.Next(-1_000_000, 1_000_000), t));
            datoms.Add(Datom.Create(e, x, rng.NextDouble() * 1000, t));
            datoms.Add(Datom.Create(e, kind, kinds[i % kinds.Length], t));
            datoms.Add(Datom.Create(e, parent, first + rng.Next(Entities), t));
        }
        var lastT = schemaDb.BasisT + Entities / 1000;
        for (var t = schemaDb.BasisT + 1; t <= lastT; t++)
            datoms.Add(Datom.Create(EntityIds.TxId(t), BuiltIns.TxInstantId, start.AddSeconds(t), t));
        return Db.FromDatoms(datoms, lastT, first + Entities - 1);
    }

    [Fact]
    public void A_million_datom_snapshot_round_trips()
    {
        var total = Stopwatch.StartNew();
        var db = BuildDb();
        output.WriteLine($"built a {db.Count:N0}-datom database in {total.ElapsedMilliseconds} ms");
        Assert.True(db.Count >= Entities * 5);
        var snapshot = new DbSnapshot(db);
        var serializer = fixture.SerializerFor(snapshot);
        // warm up the JIT on a small value
        serializer.FromBinary(serializer.ToBinary(new DbSnapshot(AllTypesSchema())), DatsyncPersistenceSerializer.DbSnapshotManifest);

        byte[] bytes = [];
        Db back = Db.Empty;
        for (var round = 1; round <= 2; round++)
        {
            var sw = Stopwatch.StartNew();
            bytes = serializer.ToBinary(snapshot);
            var encode = sw.Elapsed;
            int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
            var pause = GC.GetTotalPauseDuration();
            sw.Restart();
            var (datoms, basisT, maxEntityId) = PersistenceCodec.DecodeSnapshotDatoms(bytes);
            var decodeDatoms = sw.Elapsed;
            var gcs = $"{GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}";
            var gcPause = GC.GetTotalPauseDuration() - pause;
            sw.Restart();
            var rebuilt = Db.FromDatoms(datoms, basisT, maxEntityId);
            var fromDatoms = sw.Elapsed;
            sw.Restart();
            back = ((DbSnapshot)serializer.FromBinary(bytes, DatsyncPersistenceSerializer.DbSnapshotManifest)).Db;
            var fromBinary = sw.Elapsed;
            Assert.Equal(db.Count, rebuilt.Count);
            output.WriteLine(
                $"round {round}: encode {encode.TotalMilliseconds:F0} ms ({db.Count / encode.TotalSeconds / 1e6:F1} M datoms/s); " +
                $"decode datoms {decodeDatoms.TotalMilliseconds:F0} ms ({datoms.Length / decodeDatoms.TotalSeconds / 1e6:F1} M datoms/s, " +
                $"gen0/1/2 GCs {gcs}, GC pause {gcPause.TotalMilliseconds:F0} ms); " +
                $"Db.FromDatoms {fromDatoms.TotalMilliseconds:F0} ms; FromBinary (decode + FromDatoms) {fromBinary.TotalMilliseconds:F0} ms " +
                $"({db.Count / fromBinary.TotalSeconds / 1e6:F2} M datoms/s)");
        }
        output.WriteLine($"snapshot: {bytes.Length:N0} bytes, {(double)bytes.Length / db.Count:F2} bytes per datom");

        Assert.Equal(db.Count, back.Count);
        Assert.Equal(db.BasisT, back.BasisT);
        Assert.Equal(db.MaxEntityId, back.MaxEntityId);
        var expected = db.Datoms(IndexType.Eavt).ToArray();
        var actual = back.Datoms(IndexType.Eavt).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var rng = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var k = rng.Next(expected.Length);
            SameDatom(expected[k], actual[k]);
        }
        for (var i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i])) Assert.Fail($"datom {i} differs: {expected[i]} vs {actual[i]}");
        output.WriteLine($"total {total.ElapsedMilliseconds} ms");
    }
}
