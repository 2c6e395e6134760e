using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Persistence;
using Datsync.Core;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static Datsync.Actors.Tests.Persistence.TestData;

namespace Datsync.Actors.Tests.Replica;

/// <summary>The replica's local store: value (snapshot + deltas), outbox, format and failures.</summary>
public sealed class ReplicaStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "datsync-replica-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly DateTime T0 = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private const string ItemSchema = """
        [{:db/ident :item/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
         {:db/ident :item/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
         {:db/ident :item/price :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/one}
         {:db/ident :item/id :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}]
        """;

    private static readonly Guid ItemAId = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5");

    /// <summary>A master's history: t1 schema, t2 items a and b, t3 retractions on a, t4 an item z (not for the
    /// scoped client), t5 an item c.</summary>
    private static TxReport[] History()
    {
        var r1 = Db.Empty.Transact(ItemSchema, T0);
        var r2 = r1.DbAfter.Transact($$"""
            [{:db/id "a" :item/name "a" :item/count 1 :item/tags [:t/x :t/y] :item/price 1.50M :item/id #uuid "{{ItemAId}}"}
             {:db/id "b" :item/name "b" :item/count 2 :item/parent "a"}]
            """, T0.AddSeconds(2));
        var r3 = r2.DbAfter.Transact("""
            [[:db/retract [:item/name "a"] :item/tags :t/y] [:db/add [:item/name "a"] :item/count 10]]
            """, T0.AddSeconds(3));
        var r4 = r3.DbAfter.Transact("""[{:item/name "z" :item/count 26}]""", T0.AddSeconds(4));
        var r5 = r4.DbAfter.Transact("""[{:item/name "c" :item/count 5}]""", T0.AddSeconds(5));
        return [r1, r2, r3, r4, r5];
    }

    private static TxDelta Delta(TxReport r, long? after = null) =>
        TxDelta.From(r.DbAfter, r.T, r.TxData).ForWire() with { After = after };

    private static long Eid(Db db, string name) => db.EntId(new EdnVector([K(":item/name"), name]))!.Value;

    private static object[] Values(Db db, long e, string attr) =>
        db.Datoms(IndexType.Eavt, e, K(attr)).Select(d => d.V).ToArray();

    private static void SameValue(Db expected, Db actual)
    {
        Assert.Null(DatsyncTestKit.Difference(expected, actual));
        SameDb(expected, actual);
    }

    private SqliteConnection Raw()
    {
        var c = new SqliteConnection($"Data Source={System.IO.Path.Combine(_dir, ReplicaStore.FileName)};Pooling=False");
        c.Open();
        return c;
    }

    private void RawExec(string sql)
    {
        using var c = Raw();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // ------------------------------------------------------------------ value

    [Fact]
    public void A_new_store_creates_its_directory_and_file_and_holds_nothing()
    {
        var dir = System.IO.Path.Combine(_dir, "nested", "deeper");
        using var store = ReplicaStore.Open(dir, "client-1");
        Assert.True(File.Exists(System.IO.Path.Combine(dir, "replica.db")));
        Assert.Null(store.Load());
        Assert.Null(store.BasisT);
        Assert.Equal(0, store.DeltasSinceSnapshot);
        Assert.Equal(1, store.NextMutationId);
        Assert.Empty(store.Outbox());
    }

    [Fact]
    public void A_value_with_every_value_type_and_refs_round_trips()
    {
        var forms = new List<object?> { Add("r", ":all/id", "root") };
        foreach (var (attr, v) in EdgeValues()) forms.Add(Add("x", attr, v));
        forms.Add(Add("x", ":all/id", "x"));
        forms.Add(Add("x", ":all/ref", "r"));
        var value = AllTypesSchema().Transact(forms, SchemaInstant.AddDays(1)).DbAfter;
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            store.ResetTo(value, "db-42");
            Assert.Equal(value.BasisT, store.BasisT);
            var loaded = store.Load()!;
            SameValue(value, loaded.Value);
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            var loaded = store.Load()!;
            Assert.Equal(value.BasisT, loaded.BasisT);
            Assert.Equal("db-42", loaded.DatabaseId);
            SameValue(value, loaded.Value);
        }
    }

    [Fact]
    public void A_batch_of_deltas_is_stored_whole_or_not_at_all()
    {
        var h = History();
        var d3 = Delta(h[2]);
        var d5 = Delta(h[4], after: 3);
        using var store = ReplicaStore.Open(_dir, "client-1");
        store.ResetTo(h[1].DbAfter, null);
        store.AppendAll([d3, d5]);
        Assert.Equal(5, store.BasisT);
        Assert.Equal(2, store.DeltasSinceSnapshot);
        SameValue(d5.ApplyTo(d3.ApplyTo(h[1].DbAfter)), store.Load()!.Value);

        // a batch whose second delta leaves a gap: the first one is not kept either
        var d6 = new TxDelta(6, DateTime.MinValue, []) { After = 5 };
        var gap = new TxDelta(9, DateTime.MinValue, []) { After = 8 };
        Assert.Throws<InvalidOperationException>(() => store.AppendAll([d6, gap]));
        Assert.Equal(5, store.BasisT);
        Assert.Equal(2, store.DeltasSinceSnapshot);
        Assert.Equal(5, store.Load()!.BasisT);
        store.Append(d6); // and the store goes on from where it was
        Assert.Equal(6, store.Load()!.BasisT);
    }

    [Fact]
    public void Appended_deltas_load_as_the_value_applied_in_memory()
    {
        var h = History();
        var d3 = Delta(h[2]);
        var d5 = Delta(h[4], after: 3); // a scoped stream: t4 does not concern this client
        var d7 = new TxDelta(7, DateTime.MinValue, []) { After = 5 }; // an empty delta that only moves t on
        var expected = d7.ApplyTo(d5.ApplyTo(d3.ApplyTo(h[1].DbAfter)));
        Assert.Equal(7, expected.BasisT);
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            store.ResetTo(h[1].DbAfter, null);
            store.Append(d3);
            store.Append(d5);
            store.Append(d7);
            Assert.Equal(3, store.DeltasSinceSnapshot);
            Assert.Equal(7, store.BasisT);
            SameValue(expected, store.Load()!.Value);
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            Assert.Equal(7, store.BasisT);
            Assert.Equal(3, store.DeltasSinceSnapshot);
            var loaded = store.Load()!;
            Assert.Null(loaded.DatabaseId);
            SameValue(expected, loaded.Value);
            var db = loaded.Value;
            var a = Eid(db, "a");
            Assert.Equal([K(":t/x")], Values(db, a, ":item/tags"));
            Assert.Equal([10L], Values(db, a, ":item/count"));
            Assert.Null(db.EntId(new EdnVector([K(":item/name"), "z"])));
            Assert.Equal([5L], Values(db, Eid(db, "c"), ":item/count"));
        }
    }

    [Fact]
    public void A_delta_that_adds_schema_loads()
    {
        var h = History();
        var r = h[1].DbAfter.Transact("""[{:db/ident :item/note :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""", T0.AddSeconds(3));
        var r2 = r.DbAfter.Transact("""[[:db/add [:item/name "a"] :item/note "hello"]]""", T0.AddSeconds(4));
        using var store = ReplicaStore.Open(_dir, "client-1");
        store.ResetTo(h[1].DbAfter, "db");
        store.Append(Delta(r));
        store.Append(Delta(r2));
        SameValue(r2.DbAfter, store.Load()!.Value);
    }

    [Fact]
    public void A_delta_that_leaves_a_gap_is_refused()
    {
        var h = History();
        using var store = ReplicaStore.Open(_dir, "client-1");
        var none = Assert.Throws<InvalidOperationException>(() => store.Append(Delta(h[1])));
        Assert.Contains("no value", none.Message);
        store.ResetTo(h[1].DbAfter, null);
        var gap = Assert.Throws<InvalidOperationException>(() => store.Append(Delta(h[3]))); // t4 after t3, store at t2
        Assert.Contains("t=4", gap.Message);
        Assert.Contains("t=2", gap.Message);
        Assert.Throws<InvalidOperationException>(() => store.Append(Delta(h[4], after: 4)));
        Assert.Throws<InvalidOperationException>(() => store.Append(Delta(h[1], after: 2))); // t2 after t2: not forward
        Assert.Equal(2, store.BasisT);
        Assert.Equal(0, store.DeltasSinceSnapshot);
        store.Append(Delta(h[2]));
        Assert.Equal(3, store.BasisT);
        SameValue(h[2].DbAfter, store.Load()!.Value);
    }

    [Fact]
    public void Compact_writes_a_snapshot_and_drops_the_deltas_up_to_it()
    {
        var h = History();
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            store.ResetTo(h[0].DbAfter, "db-1");
            for (var i = 1; i < h.Length; i++) store.Append(Delta(h[i]));
            Assert.Equal(4, store.DeltasSinceSnapshot);
            var atT3 = store.Load()!.Value; // t5
            Assert.Throws<InvalidOperationException>(() => store.Compact(h[4].DbAfter.Transact("[]", T0.AddSeconds(9)).DbAfter)); // t6: not stored
            store.Compact(h[2].DbAfter);
            Assert.Equal(2, store.DeltasSinceSnapshot);
            Assert.Equal(5, store.BasisT);
            SameValue(atT3, store.Load()!.Value);
            Assert.Throws<InvalidOperationException>(() => store.Compact(h[1].DbAfter)); // before the snapshot
        }
        using (var raw = Raw())
        {
            using var cmd = raw.CreateCommand();
            cmd.CommandText = "SELECT group_concat(t) FROM (SELECT t FROM deltas ORDER BY t)";
            Assert.Equal("4,5", cmd.ExecuteScalar());
            cmd.CommandText = "SELECT basis_t FROM snapshot";
            Assert.Equal(3L, cmd.ExecuteScalar());
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            Assert.Equal(2, store.DeltasSinceSnapshot);
            store.Compact(h[4].DbAfter);
            Assert.Equal(0, store.DeltasSinceSnapshot);
            var loaded = store.Load()!;
            Assert.Equal("db-1", loaded.DatabaseId); // compaction keeps the database id
            SameValue(h[4].DbAfter, loaded.Value);
            store.Append(Delta(h[4].DbAfter.Transact("""[{:item/name "e"}]""", T0.AddSeconds(6))));
            Assert.Equal(6, store.BasisT);
        }
    }

    [Fact]
    public void ResetTo_replaces_the_value_and_keeps_the_outbox()
    {
        var h = History();
        var other = AllTypesSchema().Transact([Add("x", ":all/id", "other")], SchemaInstant.AddDays(1)).DbAfter;
        using var store = ReplicaStore.Open(_dir, "client-1");
        store.ResetTo(h[1].DbAfter, "db-1");
        store.Append(Delta(h[2]));
        var e1 = store.Enqueue("req-1", "[[:db/add \"n\" :item/name \"n\"]]");
        store.ResetTo(other, "db-2");
        Assert.Equal(0, store.DeltasSinceSnapshot);
        Assert.Equal(other.BasisT, store.BasisT);
        var loaded = store.Load()!;
        Assert.Equal("db-2", loaded.DatabaseId);
        SameValue(other, loaded.Value);
        Assert.Equal([e1], loaded.Outbox);
    }

    [Fact]
    public void A_value_replaced_by_a_bootstrap_leaves_no_bytes_of_itself_in_the_file()
    {
        // a scope that shrank: the replica is bootstrapped again with a value that no longer holds the marker
        var marker = "reset-marker-" + Guid.NewGuid().ToString("N");
        var schema = AllTypesSchema();
        var held = schema.Transact([Add("x", ":all/id", marker)], SchemaInstant.AddDays(1)).DbAfter;
        var file = System.IO.Path.Combine(_dir, ReplicaStore.FileName);
        bool FileHoldsMarker() => new[] { file, file + "-wal" }.Where(File.Exists)
            .Any(f =>
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var bytes = new byte[s.Length];
                s.ReadExactly(bytes);
                return bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
            });
        using var store = ReplicaStore.Open(_dir, "client-1");
        store.ResetTo(held, "db-1");
        Assert.True(FileHoldsMarker());
        store.ResetTo(schema, "db-1");
        Assert.False(FileHoldsMarker());
        SameValue(schema, store.Load()!.Value);
    }

    [Fact]
    public void Purge_drops_the_data_but_mutation_ids_keep_growing()
    {
        var marker = "purge-marker-" + Guid.NewGuid().ToString("N");
        var value = AllTypesSchema().Transact([Add("x", ":all/id", marker)], SchemaInstant.AddDays(1)).DbAfter;
        var file = System.IO.Path.Combine(_dir, ReplicaStore.FileName);
        bool FileHoldsMarker() => new[] { file, file + "-wal" }.Where(File.Exists)
            .Any(f =>
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var bytes = new byte[s.Length];
                s.ReadExactly(bytes);
                return bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
            });
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            store.ResetTo(value, "db-1");
            store.Enqueue("req-1", $"[[:db/add \"n\" :all/id \"{marker}-tx\"]]");
            store.Enqueue("req-2", "[]");
            Assert.True(FileHoldsMarker());
            store.Purge();
            Assert.False(FileHoldsMarker());
            Assert.Null(store.Load());
            Assert.Null(store.BasisT);
            Assert.Empty(store.Outbox());
            Assert.Equal(3, store.NextMutationId);
            Assert.Throws<InvalidOperationException>(() => store.Append(new TxDelta(value.BasisT + 1, T0, [])));
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            Assert.Null(store.Load());
            Assert.Equal(3, store.NextMutationId);
            Assert.Equal(3, store.Enqueue("req-3", "[]").MutationId);
            Assert.Throws<DatsyncStorageException>(() => ReplicaStore.Open(_dir, "client-2").Dispose()); // the id stays
        }
        Assert.False(FileHoldsMarker());
    }

    [Fact]
    public void Another_clients_store_is_refused()
    {
        using (var store = ReplicaStore.Open(_dir, "client-1")) store.ResetTo(History()[0].DbAfter, null);
        var e = Assert.Throws<DatsyncStorageException>(() => ReplicaStore.Open(_dir, "client-2"));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("'client-1'", e.Message);
        Assert.Contains("'client-2'", e.Message);
        using var again = ReplicaStore.Open(_dir, "client-1"); // the refusal changed nothing
        Assert.Equal(1, again.BasisT);
    }

    // ------------------------------------------------------------------ outbox

    [Fact]
    public void The_outbox_is_durable_across_reopening()
    {
        OutboxEntry e1, e2, e3;
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            var before = DateTime.UtcNow;
            e1 = store.Enqueue("req-1", "[[:db/add \"p\" :person/name \"Ívan ✓\"]]");
            e2 = store.Enqueue("req-2", "[{:person/name \"Petr\"}]");
            e3 = store.Enqueue("", "");
            Assert.Equal([1L, 2L, 3L], new[] { e1, e2, e3 }.Select(e => e.MutationId));
            Assert.InRange(e1.Created, before, DateTime.UtcNow);
            Assert.Equal(DateTimeKind.Utc, e1.Created.Kind);
            Assert.Equal(4, store.NextMutationId);
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            Assert.Equal([e1, e2, e3], store.Outbox());
            Assert.Equal(4, store.NextMutationId);
            store.Remove(2);
            store.Remove(99); // not there: no-op
            Assert.Equal([e1, e3], store.Outbox());
        }
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            Assert.Equal([e1, e3], store.Outbox());
            store.Remove(1);
            store.Remove(3);
            Assert.Empty(store.Outbox());
            Assert.Equal(4, store.Enqueue("req-4", "[]").MutationId); // ids are never reused
        }
    }

    [Fact]
    public void The_payloads_are_the_messages_of_replica_store_v1_proto()
    {
        var h = History();
        var delta = Delta(h[4], after: 3);
        var p = Datsync.Actors.Persistence.Proto.StoredDelta.Parser.ParseFrom(Datsync.Actors.Persistence.ReplicaStoreCodec.EncodeDelta(delta));
        Assert.Equal(1u, p.FormatVersion);
        Assert.Equal(5, p.T);
        Assert.True(p.HasAfter);
        Assert.Equal(3, p.After);
        Assert.Equal(T0.AddSeconds(5).Ticks, p.TxInstantTicks);
        Assert.Equal((uint)delta.Datoms.Count, p.Datoms.Count);
        Assert.Equal(delta.Datoms.Count(d => !d.Added), p.Datoms.Retracted.Count);
        var plain = Datsync.Actors.Persistence.Proto.StoredDelta.Parser.ParseFrom(Datsync.Actors.Persistence.ReplicaStoreCodec.EncodeDelta(Delta(h[2])));
        Assert.False(plain.HasAfter); // absent: t - 1
        Assert.Equal(2, plain.Datoms.Retracted.Count); // :t/y and the count 1
        var after0 = Datsync.Actors.Persistence.Proto.StoredDelta.Parser.ParseFrom(Datsync.Actors.Persistence.ReplicaStoreCodec.EncodeDelta(Delta(h[1], after: 0)));
        Assert.True(after0.HasAfter);
        Assert.Equal(0, after0.After);

        var created = new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);
        var o = Datsync.Actors.Persistence.Proto.OutboxEntry.Parser.ParseFrom(
            Datsync.Actors.Persistence.ReplicaStoreCodec.EncodeOutboxEntry(7, "req-7", "[[:db/add \"p\" :a/b \"ü\"]]", created));
        Assert.Equal((1u, 7L, "req-7", "[[:db/add \"p\" :a/b \"ü\"]]", created.Ticks), (o.FormatVersion, o.MutationId, o.RequestId, o.TxEdn, o.CreatedTicks));
        Assert.Equal((7L, "req-7", "[[:db/add \"p\" :a/b \"ü\"]]", created),
            Datsync.Actors.Persistence.ReplicaStoreCodec.DecodeOutboxEntry(Google.Protobuf.MessageExtensions.ToByteArray(o)));
    }

    // ------------------------------------------------------------------ failures

    [Theory]
    [InlineData("snapshot", "garbage")]
    [InlineData("snapshot", "truncated")]
    [InlineData("deltas", "garbage")]
    [InlineData("deltas", "truncated")]
    [InlineData("outbox", "garbage")]
    [InlineData("snapshot", "text")]
    [InlineData("outbox", "text")]
    public void A_corrupted_payload_is_a_storage_exception(string table, string how)
    {
        var h = History();
        using (var store = ReplicaStore.Open(_dir, "client-1"))
        {
            store.ResetTo(h[1].DbAfter, null);
            store.Append(Delta(h[2]));
            store.Enqueue("req-1", "[]");
        }
        RawExec(how switch
        {
            "garbage" => $"UPDATE {table} SET payload = x'0a0b0cffffffff'",
            "truncated" => $"UPDATE {table} SET payload = substr(payload, 1, length(payload) / 2)",
            _ => $"UPDATE {table} SET payload = 'some text'",
        });
        using var reopened = ReplicaStore.Open(_dir, "client-1");
        var e = Assert.Throws<DatsyncStorageException>(() => reopened.Load());
        Assert.Contains("replica.db", e.Message);
        Assert.Contains(table switch { "snapshot" => "snapshot", "deltas" => "delta t=3", _ => "outbox entry 1" }, e.Message);
        output.WriteLine(e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_replica_store_is_a_storage_exception()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(System.IO.Path.Combine(_dir, ReplicaStore.FileName), Encoding.UTF8.GetBytes(new string('x', 5000)));
        var e = Assert.Throws<DatsyncStorageException>(() => ReplicaStore.Open(_dir, "client-1"));
        Assert.Contains("replica.db", e.Message);
        output.WriteLine(e.Message);

        File.Delete(System.IO.Path.Combine(_dir, ReplicaStore.FileName));
        RawExec("CREATE TABLE something(x)");
        var e2 = Assert.Throws<DatsyncStorageException>(() => ReplicaStore.Open(_dir, "client-1"));
        Assert.Contains("not a replica store", e2.Message);
    }

    [Fact]
    public void A_newer_format_is_refused_naming_its_version()
    {
        using (ReplicaStore.Open(_dir, "client-1")) { }
        RawExec("UPDATE store SET format_version = 2");
        var e = Assert.Throws<DatsyncStorageException>(() => ReplicaStore.Open(_dir, "client-1"));
        Assert.Contains("format_version 2", e.Message);

        // a payload of a newer format_version
        RawExec("UPDATE store SET format_version = 1");
        using (var store = ReplicaStore.Open(_dir, "client-1")) store.ResetTo(History()[0].DbAfter, null);
        RawExec("UPDATE snapshot SET payload = CAST(x'0802' || substr(payload, 3) AS BLOB)"); // field 1 (format_version) = 2
        using var reopened = ReplicaStore.Open(_dir, "client-1");
        var e2 = Assert.Throws<DatsyncStorageException>(() => reopened.Load());
        Assert.Contains("format_version 2", e2.Message);
    }

    // ------------------------------------------------------------------ format compatibility

    private static string FixtureSource([CallerFilePath] string thisFile = "") =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(thisFile)!, "Data", "replica-store-v1.db");

    /// <summary>
    /// Writes the store of the committed fixture <c>Data/replica-store-v1.db</c> (format_version 1) into
    /// <paramref name="directory"/>: client "fixture-client", database id "db-fixture-1", the snapshot at t=2 of
    /// <see cref="History"/>, deltas t=3 and t=5 (after t=3), outbox entries 1 and 3 (2 removed). It was generated once
    /// by <see cref="Generate_the_v1_fixture"/>; keep the fixture as it is when the format changes (it is what an
    /// older version wrote), and add a fixture for the new version beside it.
    /// </summary>
    internal static void WriteV1Fixture(string directory)
    {
        var h = History();
        using var store = ReplicaStore.Open(directory, "fixture-client");
        store.ResetTo(h[1].DbAfter, "db-fixture-1");
        store.Append(Delta(h[2]));
        store.Append(Delta(h[4], after: 3));
        store.Enqueue("req-1", """[[:db/add "n" :item/name "offline-1"]]""");
        store.Enqueue("req-2", """[[:db/add "n" :item/name "offline-2"]]""");
        store.Enqueue("req-3", """[{:item/name "offline-3" :item/count 3}]""");
        store.Remove(2);
    }

    /// <summary>Writes the committed fixture Data/replica-store-v1.db again (no test: called by hand, from a scratch
    /// test, only when a new fixture of a new format is made beside it).</summary>
    internal void Generate_the_v1_fixture()
    {
        WriteV1Fixture(_dir);
        File.Copy(System.IO.Path.Combine(_dir, ReplicaStore.FileName), FixtureSource(), overwrite: true);
    }

    [Fact]
    public void A_store_written_by_format_1_still_loads()
    {
        var fixture = System.IO.Path.Combine(AppContext.BaseDirectory, "Replica", "Data", "replica-store-v1.db");
        Assert.True(File.Exists(fixture), $"the fixture {fixture} is not in the test output");
        Directory.CreateDirectory(_dir);
        File.Copy(fixture, System.IO.Path.Combine(_dir, ReplicaStore.FileName));
        using var store = ReplicaStore.Open(_dir, "fixture-client");
        Assert.Equal(5, store.BasisT);
        Assert.Equal(2, store.DeltasSinceSnapshot);
        Assert.Equal(4, store.NextMutationId);
        var s = store.Load()!;
        Assert.Equal(5, s.BasisT);
        Assert.Equal("db-fixture-1", s.DatabaseId);
        var db = s.Value;
        Assert.Equal(5, db.BasisT);
        long a = Eid(db, "a"), b = Eid(db, "b"), c = Eid(db, "c");
        Assert.Equal([10L], Values(db, a, ":item/count"));
        Assert.Equal([K(":t/x")], Values(db, a, ":item/tags"));
        Assert.Equal("1.50", ((decimal)Values(db, a, ":item/price").Single()).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([ItemAId], Values(db, a, ":item/id"));
        Assert.Equal([a], Values(db, b, ":item/parent"));
        Assert.Equal([2L], Values(db, b, ":item/count"));
        Assert.Equal([5L], Values(db, c, ":item/count"));
        Assert.Null(db.EntId(new EdnVector([K(":item/name"), "z"])));
        Assert.Equal(T0.AddSeconds(5), db.Datoms(IndexType.Eavt, EntityIds.TxId(5), BuiltIns.TxInstantId).Single().V);
        Assert.Equal(
            [(1L, "req-1", """[[:db/add "n" :item/name "offline-1"]]"""), (3L, "req-3", """[{:item/name "offline-3" :item/count 3}]""")],
            s.Outbox.Select(e => (e.MutationId, e.RequestId, e.TxEdn)));
        Assert.All(s.Outbox, e => Assert.True(e.Created > new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) && e.Created.Kind == DateTimeKind.Utc));
        // and it goes on from there
        store.Append(new TxDelta(6, DateTime.MinValue, []) { After = 5 });
        Assert.Equal(6, store.Load()!.BasisT);
    }

    // ------------------------------------------------------------------ size

    [MethodImpl(MethodImplOptions.NoInlining)]
    private double OpenAndLoad(int expectedCount)
    {
        var sw = Stopwatch.StartNew();
        using var store = ReplicaStore.Open(_dir, "client-1");
        var state = store.Load()!;
        var ms = sw.Elapsed.TotalMilliseconds;
        Assert.Equal(expectedCount, state.Value.Count);
        return ms;
    }

    [Fact]
    public void A_million_datom_value_resets_loads_and_appends()
    {
        var db = SnapshotPerformanceTests.BuildDb();
        Assert.True(db.Count >= 1_000_000);
        using var store = ReplicaStore.Open(_dir, "client-1");
        // warm up the JIT and SQLite on a small value
        store.ResetTo(History()[1].DbAfter, null);
        store.Load();

        var sw = Stopwatch.StartNew();
        store.ResetTo(db, "db-1");
        var reset = sw.Elapsed;
        var size = new FileInfo(System.IO.Path.Combine(_dir, ReplicaStore.FileName)).Length
            + (File.Exists(System.IO.Path.Combine(_dir, ReplicaStore.FileName + "-wal")) ? new FileInfo(System.IO.Path.Combine(_dir, ReplicaStore.FileName + "-wal")).Length : 0);

        // small deltas: one entity each
        var nameAttr = db.AttributeOf(K(":bench/name"))!.Id;
        var nAttr = db.AttributeOf(K(":bench/n"))!.Id;
        const int Appends = 2000;
        var value = db;
        var deltas = new List<TxDelta>(Appends);
        for (var i = 0; i < Appends; i++)
        {
            var t = value.BasisT + 1;
            var e = value.MaxEntityId + 1;
            var txData = new[]
            {
                Datom.Create(EntityIds.TxId(t), BuiltIns.TxInstantId, T0.AddSeconds(t), t),
                Datom.Create(e, nameAttr, "appended " + i, t),
                Datom.Create(e, nAttr, (long)i, t),
            };
            var after = value.ApplyTx(t, txData, e);
            deltas.Add(TxDelta.From(after, t, txData).ForWire());
            value = after;
        }
        sw.Restart();
        foreach (var d in deltas) store.Append(d);
        var append = sw.Elapsed;

        sw.Restart();
        var loaded = store.Load()!;
        var load = sw.Elapsed;
        Assert.Equal(value.Count, loaded.Value.Count);
        Assert.Equal(value.BasisT, loaded.BasisT);

        sw.Restart();
        store.Compact(value);
        var compact = sw.Elapsed;
        var loadSnapshotOnly = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            sw.Restart();
            loaded = store.Load()!;
            loadSnapshotOnly.Add(sw.Elapsed.TotalMilliseconds);
        }
        Assert.Equal(value.Count, loaded.Value.Count);
        Assert.Null(DatsyncTestKit.Difference(value, loaded.Value));

        // where a Load's time goes: the SQLite read of the payload, then the snapshot codec
        byte[] payload;
        sw.Restart();
        using (var raw = Raw())
        using (var cmd = raw.CreateCommand())
        {
            cmd.CommandText = "SELECT payload FROM snapshot";
            payload = (byte[])cmd.ExecuteScalar()!;
        }
        var read = sw.Elapsed;
        sw.Restart();
        var (datoms, basisT, maxEntityId) = Datsync.Actors.Persistence.PersistenceCodec.DecodeSnapshotDatoms(payload);
        var decode = sw.Elapsed;
        sw.Restart();
        Assert.Equal(value.Count, Db.FromDatoms(datoms, basisT, maxEntityId).Count);
        var build = sw.Elapsed;

        const int Enqueues = 200;
        sw.Restart();
        for (var i = 0; i < Enqueues; i++) store.Enqueue("req-" + i, """[[:db/add "n" :bench/name "x"]]""");
        var enqueue = sw.Elapsed;

        // a replica's start: open the store and load it, the heap holding nothing else of the kind
        store.Dispose();
        var closedSize = new FileInfo(System.IO.Path.Combine(_dir, ReplicaStore.FileName)).Length;
        var expectedCount = value.Count;
        loaded = null!;
        value = db = null!;
        deltas.Clear();
        var payloadLength = payload.Length;
        payload = null!;
        datoms = null!;
        var starts = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
            sw.Restart();
            starts.Add($"{OpenAndLoad(expectedCount):F0} ms (GCs {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2})");
        }

        output.WriteLine($"{expectedCount:N0} datoms; file + WAL {size:N0} bytes after ResetTo; file {closedSize:N0} bytes when closed after compaction ({(double)closedSize / expectedCount:F2} bytes per datom)");
        output.WriteLine($"ResetTo {reset.TotalMilliseconds:F0} ms");
        output.WriteLine($"{Appends} Appends {append.TotalMilliseconds:F0} ms ({append.TotalMicroseconds / Appends:F0} us per append of a 3-datom delta)");
        output.WriteLine($"Load of snapshot + {Appends} deltas {load.TotalMilliseconds:F0} ms");
        output.WriteLine($"Compact {compact.TotalMilliseconds:F0} ms; Load of the snapshot alone {string.Join(" / ", loadSnapshotOnly.Select(ms => ms.ToString("F0")))} ms");
        output.WriteLine($"of which: SQLite read of the {payloadLength:N0}-byte payload {read.TotalMilliseconds:F0} ms, " +
                         $"decode {decode.TotalMilliseconds:F0} ms, Db.FromDatoms {build.TotalMilliseconds:F0} ms");
        output.WriteLine($"Open + Load at a replica's start: {string.Join(" / ", starts)}");
        output.WriteLine($"{Enqueues} Enqueues (synchronous=FULL) {enqueue.TotalMilliseconds:F0} ms ({enqueue.TotalMicroseconds / Enqueues:F0} us each)");
    }
}
