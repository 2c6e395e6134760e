using System.Numerics;
using System.Runtime.Serialization;
using Datsync.Actors.Persistence;
using Datsync.Core;
using Google.Protobuf;
using static Datsync.Actors.Tests.Persistence.TestData;
using Proto = Datsync.Actors.Persistence.Proto;

namespace Datsync.Actors.Tests.Persistence;

[Collection(SerializationCollection.Name)]
public sealed class PersistenceSerializerTests(SerializationFixture fixture)
{
    private static readonly DateTime Instant = new(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    [Fact]
    public void The_system_picks_the_datsync_serializer_for_records_and_snapshots()
    {
        var record = new TxRecord(1, EntityIds.TxId(1), Instant, [], new Dictionary<object, long>(), "r", null, 999);
        var snapshot = new DbSnapshot(Db.Empty);
        var forRecord = fixture.SerializerFor(record);
        var forSnapshot = fixture.SerializerFor(snapshot);
        Assert.Same(forRecord, forSnapshot);
        Assert.Equal(4731, forRecord.Identifier);
        Assert.Equal("TxRecord.v1", forRecord.Manifest(record));
        Assert.Equal("DbSnapshot.v1", forRecord.Manifest(snapshot));
    }

    [Fact]
    public void A_transaction_with_every_value_type_and_edge_values_round_trips()
    {
        var db = AllTypesSchema();
        var forms = new List<object?>();
        foreach (var (attr, value) in EdgeValues()) forms.Add(Add("x", attr, value));
        forms.Add(Add("x", ":all/id", "x"));
        forms.Add(Add("y", ":all/id", "y"));
        forms.Add(Add("x", ":all/ref", "y"));
        forms.Add(Add(-7L, ":all/id", "negative tempid"));
        forms.Add(Add(-7L, ":all/ref", "x"));
        forms.Add(Add("x", ":all/ref", "datomic.tx"));
        var report = db.Transact(forms, Instant);
        var record = TxRecord.From(report, "request-1", "{:user \"ivan\", :note \"ünïcode\"}");
        Assert.Equal(report.TxData.Count, record.Datoms.Count);

        var back = fixture.RoundTrip(record);

        AssertSameRecord(record, back);
        Assert.Contains(back.Tempids.Keys, k => k is string);
        Assert.Contains(back.Tempids.Keys, k => k is long);
        Assert.Equal(report.Tempids[-7L], back.Tempids[-7L]);
        Assert.Equal(report.Tempids["x"], back.Tempids["x"]);
        Assert.Equal(Instant, back.TxInstant);
        Assert.Equal(DateTimeKind.Utc, back.TxInstant.Kind);
        // replaying the decoded datoms onto the previous value gives the same database
        Assert.Equal(
            report.DbAfter.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, d.V)),
            Db.FromDatoms(db.Datoms(IndexType.Eavt).Concat(back.Datoms), back.T, back.MaxEntityId)
                .Datoms(IndexType.Eavt).Select(d => (d.E, d.A, d.V)));
    }

    [Fact]
    public void Retractions_keep_their_op()
    {
        var db = AllTypesSchema();
        var r1 = db.Transact([Add("a", ":all/id", "a"), Add("a", ":all/long", 1L), Add("a", ":all/string", "s"), Add("a", ":all/keyword", K(":k/v"))], Instant);
        var a = r1.Tempids["a"];
        var r2 = r1.DbAfter.Transact([Retract(a, ":all/long", 1L), Add(a, ":all/long", 2L), Retract(a, ":all/string", "s"), Retract(a, ":all/keyword", K(":k/v"))], Instant.AddSeconds(1));
        var record = TxRecord.From(r2, "request-2", null);
        Assert.Equal(3, record.Datoms.Count(d => !d.Added));

        var back = fixture.RoundTrip(record);

        AssertSameRecord(record, back);
        Assert.Equal(record.Datoms.Select(d => d.Added), back.Datoms.Select(d => d.Added));
        Assert.Null(back.Meta);
        Assert.Empty(back.Tempids);
    }

    [Fact]
    public void A_hand_built_record_with_every_value_type_round_trips()
    {
        var values = EdgeValues().Select(p => p.Value).Append(1234L).Append(K(":only/keyword")).ToList();
        var datoms = values.Select((v, i) => Datom.Create(1000 + i % 3, 2000 - i, v, 5, added: i % 4 != 1)).ToList();
        var tempids = new Dictionary<object, long> { ["a"] = 1000, [-1L] = 1001, [long.MinValue] = 1002, [""] = 1003, ["ü"] = 1004 };
        var record = new TxRecord(5, EntityIds.TxId(5), DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), datoms, tempids, "", "", long.MaxValue);

        var back = fixture.RoundTrip(record);

        AssertSameRecord(record, back);
        Assert.Equal("", back.Meta);
        Assert.Equal("", back.RequestId);
    }

    [Fact]
    public void A_snapshot_with_every_value_type_round_trips()
    {
        var db = AllTypesSchema();
        var forms = EdgeValues().Select(p => (object?)Add("x", p.Attr, p.Value)).ToList();
        forms.Add(Add("x", ":all/id", "x"));
        forms.Add(Add("y", ":all/id", "y"));
        forms.Add(Add("y", ":all/ref", "x"));
        db = db.Transact(forms, Instant).DbAfter;
        var y = db.EntId(new EdnVector([K(":all/id"), "y"]))!.Value;
        db = db.Transact([Retract(y, ":all/ref", db.EntId(new EdnVector([K(":all/id"), "x"]))!.Value), Add(y, ":all/long", 5L)], Instant).DbAfter;

        var back = fixture.RoundTrip(new DbSnapshot(db)).Db;

        SameDb(db, back);
    }

    [Fact]
    public void An_empty_database_round_trips()
    {
        var back = fixture.RoundTrip(new DbSnapshot(Db.Empty)).Db;
        SameDb(Db.Empty, back);
        Assert.True(fixture.ToBinary(new DbSnapshot(Db.Empty)).Length < 16);
    }

    [Fact]
    public void A_snapshot_keeps_a_max_entity_id_above_every_datom()
    {
        var db = Db.FromDatoms(AllTypesSchema().Datoms(IndexType.Eavt), 3, 50_000);
        var back = fixture.RoundTrip(new DbSnapshot(db)).Db;
        Assert.Equal(50_000, back.MaxEntityId);
        Assert.Equal(3, back.BasisT);
        SameDb(db, back);
    }

    [Fact]
    public void User_datoms_on_built_in_entities_are_kept()
    {
        // transactions may no longer touch built-in entities, but a journal or snapshot written before may hold such datoms
        var schema = AllTypesSchema().Transact([Add("u", ":all/ref", 41L)], Instant).DbAfter;
        var db = Db.FromDatoms([.. schema.Datoms(IndexType.Eavt), Datom.Create(20, BuiltIns.DocId, "entity ids, as values", schema.BasisT)],
            schema.BasisT, schema.MaxEntityId);
        Assert.Contains(db.Datoms(IndexType.Eavt), d => d.E == 20 && d.A == BuiltIns.DocId);
        var back = fixture.RoundTrip(new DbSnapshot(db)).Db;
        SameDb(db, back);
    }

    [Fact]
    public void An_unknown_manifest_fails_with_a_serialization_exception()
    {
        var serializer = fixture.SerializerFor(new DbSnapshot(Db.Empty));
        var bytes = serializer.ToBinary(new DbSnapshot(Db.Empty));
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "TxRecord.v9"));
        Assert.Contains("\"TxRecord.v9\"", e.Message);
        Assert.Contains("TxRecord.v1", e.Message);
        Assert.Throws<SerializationException>(() => fixture.System.Serialization.Deserialize(bytes, serializer.Identifier, "Nope"));
    }

    [Fact]
    public void Corrupt_and_foreign_payloads_fail_with_a_serialization_exception()
    {
        var report = AllTypesSchema().Transact([Add("a", ":all/string", "some text"), Add("a", ":all/long", 300L), Add("a", ":all/uuid", Guid.NewGuid())], Instant);
        var snapshot = new DbSnapshot(report.DbAfter);
        var serializer = fixture.SerializerFor(snapshot);
        var bytes = serializer.ToBinary(snapshot);
        // the datom block is the snapshot's last field, so every proper prefix is detectably incomplete
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var truncated = bytes.AsSpan(0, cut).ToArray();
            Assert.Throws<SerializationException>(() => serializer.FromBinary(truncated, DatsyncPersistenceSerializer.DbSnapshotManifest));
        }
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0xFF, 0xFF, 0xFF], DatsyncPersistenceSerializer.DbSnapshotManifest));
        var record = serializer.ToBinary(TxRecord.From(report, "r", null));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(record, DatsyncPersistenceSerializer.DbSnapshotManifest));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, DatsyncPersistenceSerializer.TxRecordManifest));
        var future = new Proto.DbSnapshot { FormatVersion = 2 }.ToByteArray();
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(future, DatsyncPersistenceSerializer.DbSnapshotManifest));
        Assert.Contains("format_version 2", e.Message);
        Assert.IsType<DbSnapshot>(serializer.FromBinary(bytes, DatsyncPersistenceSerializer.DbSnapshotManifest));
    }

    [Fact]
    public void Values_that_cannot_be_stored_are_refused_on_write()
    {
        var serializer = fixture.SerializerFor(new DbSnapshot(Db.Empty));
        var loneSurrogate = new TxRecord(1, EntityIds.TxId(1), Instant, [Datom.Create(1000, 1001, "bad \uD800 text", 1)],
            new Dictionary<object, long>(), "r", null, 1000);
        Assert.Throws<SerializationException>(() => serializer.ToBinary(loneSurrogate));
        var oddTempid = new TxRecord(1, EntityIds.TxId(1), Instant, [], new Dictionary<object, long> { [K(":k")] = 1000 }, "r", null, 1000);
        Assert.Throws<SerializationException>(() => serializer.ToBinary(oddTempid));
        Assert.Throws<ArgumentException>(() => serializer.ToBinary("not a persistence message"));
    }

    [Fact]
    public void The_wire_format_is_the_protobuf_schema()
    {
        var report = AllTypesSchema().Transact(
            [Add("a", ":all/string", "x"), Add("a", ":all/keyword", K(":k/x")), Add("a", ":all/double", 2.5), Add("b", ":all/ref", "a"),
             Add("b", ":all/string", "x"), Add("b", ":all/uuid", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"))], Instant);
        var record = TxRecord.From(report, "req", "{:m 1}");
        var parsed = Proto.TxRecord.Parser.ParseFrom(fixture.ToBinary(record));

        Assert.Equal(1u, parsed.FormatVersion);
        Assert.Equal(record.T, parsed.T);
        Assert.Equal(record.TxId, parsed.TxId);
        Assert.Equal(Instant.Ticks, parsed.TxInstantTicks);
        Assert.Equal("req", parsed.RequestId);
        Assert.True(parsed.HasMeta);
        Assert.Equal("{:m 1}", parsed.Meta);
        Assert.Equal(record.MaxEntityId, parsed.MaxEntityId);
        Assert.Equal(record.Tempids.OrderBy(p => p.Value).Select(p => ((string)p.Key, p.Value)),
            parsed.Tempids.OrderBy(p => p.Entity).Select(p => (p.Name, p.Entity)));
        var block = parsed.Datoms;
        Assert.Equal((uint)record.Datoms.Count, block.Count);
        var e = 0L;
        Assert.Equal(record.Datoms.Select(d => d.E), block.EntityDeltas.Select(delta => e += delta));
        var kinds = block.Kinds.ToByteArray().Select(b => (Proto.ValueKind)b).ToList();
        Assert.Equal(record.Datoms.Select(d => d.V switch
        {
            string => Proto.ValueKind.String, Keyword => Proto.ValueKind.Keyword, double => Proto.ValueKind.Double,
            DateTime => Proto.ValueKind.Instant, Guid => Proto.ValueKind.Uuid, _ => Proto.ValueKind.Long,
        }), kinds);
        Assert.Equal(["k/x", "x"], block.Strings.Order()); // "x" is stored once
        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"), block.Blobs.ToByteArray());
        Assert.Empty(block.Retracted);
    }

    [Fact]
    public void Records_written_by_the_generated_protobuf_code_are_read()
    {
        var message = new Proto.TxRecord
        {
            FormatVersion = 1,
            T = 7,
            TxId = EntityIds.TxId(7),
            TxInstantTicks = Instant.Ticks,
            RequestId = "generated",
            MaxEntityId = 1001,
            Datoms = new Proto.DatomBlock
            {
                Count = 3,
                EntityDeltas = { 1000, 1, 0 },
                AttributeDeltas = { 10, 1, -2 },
                TDeltas = { 7, 0, 0 },
                Kinds = ByteString.CopyFrom((byte)Proto.ValueKind.String, (byte)Proto.ValueKind.Bigint, (byte)Proto.ValueKind.Boolean),
                Retracted = { 2 },
                Ints = { 0, 2, 1 },
                Strings = { "from protoc" },
                Blobs = ByteString.CopyFrom(0x01, 0x01),
            },
            Tempids = { new Proto.Tempid { Name = "t", Entity = 1000 }, new Proto.Tempid { Id = -3, Entity = 1001 } },
        };
        var serializer = fixture.SerializerFor(new DbSnapshot(Db.Empty));

        var back = Assert.IsType<TxRecord>(serializer.FromBinary(message.ToByteArray(), DatsyncPersistenceSerializer.TxRecordManifest));

        Assert.Equal(7, back.T);
        Assert.Null(back.Meta);
        Assert.Null(back.DatabaseId); // written before database ids
        Assert.Equal(new Dictionary<object, long> { ["t"] = 1000, [-3L] = 1001 }, back.Tempids);
        SameDatoms(
            [Datom.Create(1000, 10, "from protoc", 7), Datom.Create(1001, 11, new BigInteger(257), 7), Datom.Create(1001, 9, true, 7, added: false)],
            back.Datoms);
    }

    [Fact]
    public void A_snapshot_keeps_the_request_ids_it_remembers()
    {
        var db = AllTypesSchema();
        var requests = new List<RecentRequest>
        {
            new("r-1", 5, new Dictionary<object, long> { ["x"] = 1000, [-2L] = 1001 }),
            new("r-2", 6, new Dictionary<object, long>()),
        };

        var back = fixture.RoundTrip(new DbSnapshot(db, requests));

        Assert.Equal(db.BasisT, back.Db.BasisT);
        Assert.Equal(requests.Select(r => (r.RequestId, r.T)), back.Requests.Select(r => (r.RequestId, r.T)));
        Assert.Equal(requests[0].Tempids.OrderBy(p => p.Value), back.Requests[0].Tempids.OrderBy(p => p.Value));
        Assert.Empty(back.Requests[1].Tempids);
    }

    [Fact]
    public void A_snapshot_written_before_request_ids_were_kept_loads_without_them()
    {
        var message = new Proto.DbSnapshot
        {
            FormatVersion = 1,
            BasisT = 3,
            MaxEntityId = 1000,
            Datoms = new Proto.DatomBlock(), // the built-in datoms only
        };
        var serializer = fixture.SerializerFor(new DbSnapshot(Db.Empty));

        var back = Assert.IsType<DbSnapshot>(serializer.FromBinary(message.ToByteArray(), DatsyncPersistenceSerializer.DbSnapshotManifest));

        Assert.Equal(3, back.Db.BasisT);
        Assert.Empty(back.Requests);
        Assert.Null(back.DatabaseId); // written before database ids
        // and the generated code reads the new field
        var parsed = Proto.DbSnapshot.Parser.ParseFrom(fixture.ToBinary(new DbSnapshot(back.Db,
            [new RecentRequest("r", 3, new Dictionary<object, long> { ["t"] = 1000 })])));
        Assert.Equal("r", parsed.RecentRequests.Single().RequestId);
        Assert.Equal(3, parsed.RecentRequests.Single().T);
        Assert.Equal(1000, parsed.RecentRequests.Single().Tempids.Single().Entity);
    }

    [Fact]
    public void A_snapshot_keeps_the_mutation_ledger_and_the_rejected_mutations_and_the_generated_code_reads_them()
    {
        var db = AllTypesSchema();
        var ledger = MutationLedger.Empty.Committed("alice/s1#4", 5).Committed("bob/s2#1", 6).Rejected("bob/s2#2").Rejected("carol/s3#9");
        var rejections = new List<MutationRejected>
        {
            new("bob/s2#2", TxErrors.UniqueConflict, "ünïque conflict"),
            new("carol/s3#9", DatsyncErrors.Forbidden, ""),
        };
        var snapshot = new DbSnapshot(db, [], SomeDatabaseId, ledger.Entries.ToList(), rejections);

        var back = fixture.RoundTrip(snapshot);

        Assert.Equal(ledger.Entries, back.Mutations!);
        Assert.Equal(rejections, back.Rejections!);
        Assert.Equal(SomeDatabaseId, back.DatabaseId);
        var parsed = Proto.DbSnapshot.Parser.ParseFrom(fixture.ToBinary(snapshot));
        Assert.Equal(new[] { ("alice/s1", 4L, 5L, false), ("bob/s2", 2L, 6L, true), ("carol/s3", 9L, 0L, true) },
            parsed.Mutations.Select(m => (m.Key, m.Last, m.T, m.LastRejected)));
        Assert.Equal(new[] { ("bob/s2#2", "db.error/unique-conflict", "ünïque conflict") },
            parsed.RejectedMutations.Take(1).Select(r => (r.RequestId, r.Category, r.Message)));
        // a snapshot without them (written before they were kept, or a bootstrap image) has none
        var before = fixture.RoundTrip(new DbSnapshot(db, []));
        Assert.Empty(before.Mutations!);
        Assert.Empty(before.Rejections!);
        Assert.Empty(Proto.DbSnapshot.Parser.ParseFrom(PersistenceCodec.EncodeBootstrap(db)).Mutations);
    }

    [Fact]
    public void A_rejected_mutation_round_trips_under_its_own_manifest_and_the_generated_code_reads_it()
    {
        var rejected = new MutationRejected("alice/s1#3", TxErrors.WrongType, "the value \"x\" is not a long");
        var serializer = fixture.SerializerFor(rejected);
        Assert.Equal(4731, serializer.Identifier);
        Assert.Equal("MutationRejected.v1", ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(rejected));

        Assert.Equal(rejected, fixture.RoundTrip(rejected));
        var parsed = Proto.MutationRejected.Parser.ParseFrom(fixture.ToBinary(rejected));
        Assert.Equal((1u, "alice/s1#3", "db.error/wrong-type-for-attribute"), (parsed.FormatVersion, parsed.RequestId, parsed.Category));
        var generated = new Proto.MutationRejected { FormatVersion = 1, RequestId = "k#1", Category = "datsync.error/forbidden", Message = "no" };
        Assert.Equal(new MutationRejected("k#1", DatsyncErrors.Forbidden, "no"),
            ((Akka.Serialization.SerializerWithStringManifest)serializer).FromBinary(generated.ToByteArray(), DatsyncPersistenceSerializer.MutationRejectedManifest));
        Assert.Throws<SerializationException>(() => ((Akka.Serialization.SerializerWithStringManifest)serializer).FromBinary(
            new Proto.MutationRejected { FormatVersion = 2, RequestId = "k#1", Category = "a/b" }.ToByteArray(), DatsyncPersistenceSerializer.MutationRejectedManifest));
    }

    private const string SomeDatabaseId = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void A_record_and_a_snapshot_keep_the_database_id_and_the_generated_code_reads_it()
    {
        var report = AllTypesSchema().Transact([Add("a", ":all/string", "x")], Instant);
        var record = TxRecord.From(report, "req", null, SomeDatabaseId);
        var snapshot = new DbSnapshot(report.DbAfter, [new RecentRequest("req", report.T, new Dictionary<object, long>())], SomeDatabaseId);

        Assert.Equal(SomeDatabaseId, fixture.RoundTrip(record).DatabaseId);
        Assert.Equal(SomeDatabaseId, fixture.RoundTrip(snapshot).DatabaseId);
        Assert.Equal(SomeDatabaseId, Proto.TxRecord.Parser.ParseFrom(fixture.ToBinary(record)).DatabaseId);
        Assert.Equal(SomeDatabaseId, Proto.DbSnapshot.Parser.ParseFrom(fixture.ToBinary(snapshot)).DatabaseId);
        // and without one (every record but t = 1's), nothing is written for it
        var without = TxRecord.From(report, "req", null);
        Assert.Null(fixture.RoundTrip(without).DatabaseId);
        Assert.Equal("", Proto.TxRecord.Parser.ParseFrom(fixture.ToBinary(without)).DatabaseId);
        Assert.Equal(fixture.ToBinary(record).Length - 2 - SomeDatabaseId.Length, fixture.ToBinary(without).Length);
        // a bootstrap image never carries it
        Assert.Equal("", Proto.DbSnapshot.Parser.ParseFrom(PersistenceCodec.EncodeBootstrap(report.DbAfter)).DatabaseId);
    }

    [Fact]
    public void A_database_id_written_by_the_generated_code_is_read()
    {
        var serializer = fixture.SerializerFor(new DbSnapshot(Db.Empty));
        var record = new Proto.TxRecord
        {
            FormatVersion = 1, T = 1, TxId = EntityIds.TxId(1), RequestId = "g", Datoms = new Proto.DatomBlock(), DatabaseId = SomeDatabaseId,
        };
        var snapshot = new Proto.DbSnapshot { FormatVersion = 1, BasisT = 1, Datoms = new Proto.DatomBlock(), DatabaseId = SomeDatabaseId };

        Assert.Equal(SomeDatabaseId,
            Assert.IsType<TxRecord>(serializer.FromBinary(record.ToByteArray(), DatsyncPersistenceSerializer.TxRecordManifest)).DatabaseId);
        Assert.Equal(SomeDatabaseId,
            Assert.IsType<DbSnapshot>(serializer.FromBinary(snapshot.ToByteArray(), DatsyncPersistenceSerializer.DbSnapshotManifest)).DatabaseId);
    }

    private static void AssertSameRecord(TxRecord expected, TxRecord actual)
    {
        Assert.Equal(expected.T, actual.T);
        Assert.Equal(expected.TxId, actual.TxId);
        Assert.Equal(expected.TxInstant, actual.TxInstant);
        Assert.Equal(expected.RequestId, actual.RequestId);
        Assert.Equal(expected.Meta, actual.Meta);
        Assert.Equal(expected.MaxEntityId, actual.MaxEntityId);
        Assert.Equal(expected.Tempids.OrderBy(p => p.Value), actual.Tempids.OrderBy(p => p.Value));
        SameDatoms(expected.Datoms, actual.Datoms);
    }
}
