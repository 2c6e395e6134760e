using System.Numerics;
using CsCheck;
using Datsync.Actors.Persistence;
using Datsync.Core;
using Xunit.Abstractions;
using static Datsync.Actors.Tests.Persistence.TestData;

namespace Datsync.Actors.Tests.Persistence;

/// <summary>decode(encode(db)) == db over random small databases built by transactions.</summary>
[Collection(SerializationCollection.Name)]
public sealed class SnapshotPropertyTests(SerializationFixture fixture, ITestOutputHelper output)
{
    private static readonly object?[] Schema =
    [
        Attr(":p/key", "string", unique: "identity"),
        Attr(":p/name", "string"),
        Attr(":p/age", "long", indexed: true),
        Attr(":p/score", "double"),
        Attr(":p/tags", "keyword", many: true),
        Attr(":p/friends", "ref", many: true),
        Attr(":p/flag", "boolean"),
        Attr(":p/born", "instant"),
        Attr(":p/id", "uuid", unique: "value"),
        Attr(":p/big", "bigint"),
        Attr(":p/price", "bigdec", many: true),
        Attr(":p/ratio", "float"),
        Attr(":p/home", "uri"),
        Attr(":p/sym", "symbol"),
    ];

    private static readonly Db SchemaDb = Db.Empty.Transact(Schema, SchemaInstant).DbAfter;

    private static readonly string[] Attrs =
        [":p/name", ":p/age", ":p/score", ":p/tags", ":p/friends", ":p/flag", ":p/born", ":p/id", ":p/big", ":p/price", ":p/ratio", ":p/home", ":p/sym"];

    private static readonly string[] Words = ["", "a", "Ivan", "Пётр", "日本", "emoji 🎉", "tab\tnew\nline", "long " + new string('x', 200)];

    /// <summary>One operation: 0-4 assert on a new or existing entity, 5-6 retract an existing datom, 7 retract an entity.</summary>
    public readonly record struct Op(int Kind, int Entity, int Attr, long Raw, double Real);

    private static readonly Gen<Op> OpGen = Gen.Select(Gen.Int[0, 7], Gen.Int[0, 15], Gen.Int[0, Attrs.Length - 1],
        Gen.Frequency((3, Gen.Long[-1000, 1000]), (1, Gen.Long)), Gen.Double, (k, e, a, raw, real) => new Op(k, e, a, raw, real));

    private static readonly Gen<Op[][]> Transactions = OpGen.Array[1, 8].Array[0, 8];

    private static object Value(string attr, Op op, IReadOnlyList<long> entities) => attr switch
    {
        ":p/name" => Words[(int)((op.Raw & 0x7FFF_FFFF) % Words.Length)] + (op.Raw % 3 == 0 ? "" : op.Raw.ToString()),
        ":p/age" => op.Raw,
        ":p/score" => op.Real,
        ":p/tags" => K(":tag/t" + op.Raw % 4),
        ":p/friends" => entities.Count == 0 ? "n0" : entities[(int)((op.Raw & 0x7FFF_FFFF) % entities.Count)],
        ":p/flag" => op.Raw % 2 == 0,
        ":p/born" => new DateTime((op.Raw & long.MaxValue) % DateTime.MaxValue.Ticks, DateTimeKind.Utc),
        ":p/id" => new Guid(BitConverter.GetBytes(op.Raw).Concat(BitConverter.GetBytes(op.Real)).ToArray()),
        ":p/big" => new BigInteger(op.Raw) * BigInteger.Pow(10, (int)((op.Raw & 0xFF) % 40)),
        ":p/price" => new decimal(op.Raw) / (decimal)Math.Pow(10, (int)((op.Raw & 0xFF) % 6)),
        ":p/ratio" => (float)op.Real,
        ":p/home" => op.Raw % 2 == 0 ? new Uri("https://example.com/p/" + op.Raw) : new Uri("rel/" + op.Raw, UriKind.Relative),
        ":p/sym" => new Symbol(op.Raw % 2 == 0 ? "s" + op.Raw : "ns/s" + op.Raw),
        _ => throw new ArgumentOutOfRangeException(nameof(attr)),
    };

    /// <summary>Runs the generated transactions (skipping any the transactor rejects) and returns every report.</summary>
    private static (Db Db, List<TxReport> Reports, int Rejected) Build(Op[][] transactions)
    {
        var db = SchemaDb;
        var reports = new List<TxReport>();
        var entities = new List<long>();
        var rejected = 0;
        foreach (var ops in transactions)
        {
            var forms = new List<object?>();
            var userDatoms = db.Datoms(IndexType.Eavt).Where(d => d.E >= EntityIds.FirstUser && !EntityIds.IsTx(d.E)
                && db.Schema[d.A]!.Ident.Namespace == "p").ToList();
            foreach (var op in ops)
            {
                var attr = Attrs[op.Attr];
                object entity = entities.Count == 0 || op.Entity % 3 == 0 ? "n" + op.Entity : entities[op.Entity % entities.Count];
                switch (op.Kind)
                {
                    case <= 4:
                        if (entity is string s) forms.Add(Add(s, ":p/key", s + "-" + db.BasisT));
                        forms.Add(Add(entity, attr, Value(attr, op, entities)));
                        break;
                    case 5 or 6 when userDatoms.Count > 0:
                        var d = userDatoms[(int)((op.Raw & 0x7FFF_FFFF) % userDatoms.Count)];
                        forms.Add(Retract(d.E, db.Schema[d.A]!.Ident.ToString(), d.V));
                        break;
                    case 7 when entities.Count > 0:
                        forms.Add(new object?[] { K(":db/retractEntity"), entities[op.Entity % entities.Count] });
                        break;
                }
            }
            if (forms.Count == 0) continue;
            try
            {
                var report = db.Transact(forms, new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(reports.Count));
                reports.Add(report);
                db = report.DbAfter;
                foreach (var id in report.Tempids.Values) if (!entities.Contains(id) && !EntityIds.IsTx(id)) entities.Add(id);
            }
            catch (TxRejectedException)
            {
                // e.g. two entities claiming one :p/id: the transactor refuses, the database stays as it was
                rejected++;
            }
        }
        return (db, reports, rejected);
    }

    [Fact]
    public void Snapshots_of_random_databases_round_trip()
    {
        long samples = 0, datoms = 0, committed = 0, rejected = 0;
        Transactions.Sample(transactions =>
        {
            var (db, reports, failed) = Build(transactions);
            var back = fixture.RoundTrip(new DbSnapshot(db)).Db;
            SameDb(db, back);
            Interlocked.Increment(ref samples);
            Interlocked.Add(ref datoms, db.Count - SchemaDb.Count);
            Interlocked.Add(ref committed, reports.Count);
            Interlocked.Add(ref rejected, failed);
        }, iter: 150);
        output.WriteLine($"{samples} databases, {(double)datoms / samples:F1} user datoms on average, {committed} transactions committed, {rejected} rejected");
    }

    [Fact]
    public void Journals_of_random_transactions_replay_to_the_same_database()
    {
        Transactions.Sample(transactions =>
        {
            var (db, reports, _) = Build(transactions);
            var replayed = SchemaDb;
            var snapshotT = replayed.BasisT;
            var all = replayed.Datoms(IndexType.Eavt).ToList();
            foreach (var report in reports)
            {
                var record = TxRecord.From(report, "req-" + report.T, report.T % 2 == 0 ? null : "{:t " + report.T + "}");
                var back = fixture.RoundTrip(record);
                SameDatoms(record.Datoms, back.Datoms);
                Assert.Equal(record.Tempids.OrderBy(p => p.Value), back.Tempids.OrderBy(p => p.Value));
                Assert.Equal(record.MaxEntityId, back.MaxEntityId);
                foreach (var d in back.Datoms)
                {
                    if (d.Added) all.Add(d);
                    else all.RemoveAll(x => x.SameFact(d));
                }
                replayed = Db.FromDatoms(all, back.T, back.MaxEntityId);
            }
            Assert.Equal(db.BasisT, reports.Count == 0 ? snapshotT : replayed.BasisT);
            Assert.Equal(db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, d.V)), replayed.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, d.V)));
        }, iter: 60);
    }
}
