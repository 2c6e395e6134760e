using System.Runtime.Serialization;
using Datsync.Core;
using PMark = Datsync.Actors.Persistence.Proto.MutationMark;
using PRejected = Datsync.Actors.Persistence.Proto.MutationRejected;
using PRequest = Datsync.Actors.Persistence.Proto.RecentRequest;
using PSnapshot = Datsync.Actors.Persistence.Proto.DbSnapshot;
using PTempid = Datsync.Actors.Persistence.Proto.Tempid;
using PTx = Datsync.Actors.Persistence.Proto.TxRecord;

namespace Datsync.Actors.Persistence;

/// <summary>
/// Encodes <see cref="TxRecord"/>, <see cref="MutationRejected"/> and <see cref="DbSnapshot"/> as the <c>TxRecord</c>,
/// <c>MutationRejected</c> and <c>DbSnapshot</c> messages of persistence_v1.proto. Hand-written over the wire format (field numbers come from the generated
/// classes) so that a snapshot is written in one pass over the datoms into pooled column buffers and read back
/// without intermediate arrays. Thread-safe; every failure to read is a <see cref="SerializationException"/>.
/// </summary>
internal static class PersistenceCodec
{
    /// <summary>The <c>format_version</c> this codec writes and reads.</summary>
    public const uint FormatVersion = 1;

    /// <summary>The datoms every fresh database starts with; snapshots leave them out and FromDatoms adds them back.</summary>
    private static readonly HashSet<Datom> BuiltInDatoms = new(Db.Empty.Datoms(IndexType.Eavt));

    // ------------------------------------------------------------------ snapshot

    public static byte[] EncodeSnapshot(DbSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var db = snapshot.Db ?? throw new SerializationException("a DbSnapshot without a Db cannot be serialized");
        return EncodeSnapshot(db, db.Datoms(IndexType.Eavt), snapshot.Requests ?? [], snapshot.DatabaseId, snapshot.Mutations ?? [],
            snapshot.Rejections ?? []);
    }

    /// <summary>A replica's bootstrap: the snapshot format with the schema datoms first (the reader takes any order),
    /// without request ids.</summary>
    public static byte[] EncodeBootstrap(Db db) => EncodeSnapshot(db, db.SchemaFirstDatoms(), [], null, [], []);

    private static byte[] EncodeSnapshot(Db db, IEnumerable<Datom> datoms, IReadOnlyList<RecentRequest> requests, string? databaseId,
        IReadOnlyList<KeyValuePair<string, MutationEntry>> mutations, IReadOnlyList<MutationRejected> rejections)
    {
        using var block = new DatomBlockWriter(db.Count);
        foreach (var d in datoms)
            if (d.E >= EntityIds.FirstUser || !BuiltInDatoms.Contains(d))
                block.Add(d);
        var blockSize = block.ContentSize;
        var encodedRequests = new (RecentRequest Request, int IdBytes, TempidEntry[] Tempids, int Size)[requests.Count];
        var requestsSize = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            var idBytes = Wire.Utf8Length(r.RequestId ?? "");
            var (tempids, tempidsSize) = TempidEntries(r.Tempids, PRequest.TempidsFieldNumber);
            var rSize = (idBytes == 0 ? 0 : Wire.LenFieldSize(PRequest.RequestIdFieldNumber, idBytes))
                + Int64FieldSize(PRequest.TFieldNumber, r.T) + tempidsSize;
            encodedRequests[i] = (r, idBytes, tempids, rSize);
            requestsSize += Wire.LenFieldSize(PSnapshot.RecentRequestsFieldNumber, rSize);
        }
        var size = Wire.VarintFieldSize(PSnapshot.FormatVersionFieldNumber, FormatVersion)
            + Int64FieldSize(PSnapshot.BasisTFieldNumber, db.BasisT)
            + Int64FieldSize(PSnapshot.MaxEntityIdFieldNumber, db.MaxEntityId)
            + Wire.LenFieldSize(PSnapshot.DatomsFieldNumber, blockSize)
            + requestsSize;
        var databaseIdBytes = string.IsNullOrEmpty(databaseId) ? 0 : Wire.Utf8Length(databaseId);
        if (databaseIdBytes != 0) size += Wire.LenFieldSize(PSnapshot.DatabaseIdFieldNumber, databaseIdBytes);
        var marks = new (int KeyBytes, int Size)[mutations.Count];
        for (var i = 0; i < mutations.Count; i++)
        {
            var (key, e) = mutations[i];
            var keyBytes = Wire.Utf8Length(key ?? "");
            var mSize = (keyBytes == 0 ? 0 : Wire.LenFieldSize(PMark.KeyFieldNumber, keyBytes))
                + Int64FieldSize(PMark.LastFieldNumber, e.Last) + Int64FieldSize(PMark.TFieldNumber, e.T)
                + (e.LastRejected ? Wire.VarintFieldSize(PMark.LastRejectedFieldNumber, 1) : 0);
            marks[i] = (keyBytes, mSize);
            size += Wire.LenFieldSize(PSnapshot.MutationsFieldNumber, mSize);
        }
        var encodedRejections = new byte[rejections.Count][];
        for (var i = 0; i < rejections.Count; i++)
        {
            encodedRejections[i] = EncodeMutationRejected(rejections[i]);
            size += Wire.LenFieldSize(PSnapshot.RejectedMutationsFieldNumber, encodedRejections[i].Length);
        }
        var bytes = new byte[size];
        var w = new SpanWriter(bytes);
        w.WriteVarintField(PSnapshot.FormatVersionFieldNumber, FormatVersion);
        WriteInt64(ref w, PSnapshot.BasisTFieldNumber, db.BasisT);
        WriteInt64(ref w, PSnapshot.MaxEntityIdFieldNumber, db.MaxEntityId);
        w.WriteLenHeader(PSnapshot.DatomsFieldNumber, blockSize);
        block.WriteTo(ref w);
        foreach (var (r, idBytes, tempids, rSize) in encodedRequests)
        {
            w.WriteLenHeader(PSnapshot.RecentRequestsFieldNumber, rSize);
            if (idBytes != 0) w.WriteStringField(PRequest.RequestIdFieldNumber, r.RequestId!, idBytes);
            WriteInt64(ref w, PRequest.TFieldNumber, r.T);
            WriteTempids(ref w, PRequest.TempidsFieldNumber, tempids);
        }
        if (databaseIdBytes != 0) w.WriteStringField(PSnapshot.DatabaseIdFieldNumber, databaseId!, databaseIdBytes);
        for (var i = 0; i < mutations.Count; i++)
        {
            var (key, e) = mutations[i];
            w.WriteLenHeader(PSnapshot.MutationsFieldNumber, marks[i].Size);
            if (marks[i].KeyBytes != 0) w.WriteStringField(PMark.KeyFieldNumber, key, marks[i].KeyBytes);
            WriteInt64(ref w, PMark.LastFieldNumber, e.Last);
            WriteInt64(ref w, PMark.TFieldNumber, e.T);
            if (e.LastRejected) w.WriteVarintField(PMark.LastRejectedFieldNumber, 1);
        }
        foreach (var rejected in encodedRejections) w.WriteLenField(PSnapshot.RejectedMutationsFieldNumber, rejected);
        CheckSize(w, size);
        return bytes;
    }

    public static DbSnapshot DecodeSnapshot(ReadOnlySpan<byte> bytes)
    {
        var requests = new List<RecentRequest>();
        var mutations = new List<KeyValuePair<string, MutationEntry>>();
        var rejections = new List<MutationRejected>();
        var (datoms, basisT, maxEntityId, databaseId) = DecodeSnapshotParts(bytes, requests, (mutations, rejections));
        return new DbSnapshot(Db.FromDatoms(datoms, basisT, maxEntityId), requests, databaseId, mutations, rejections);
    }

    /// <summary>The parts of a snapshot, before the database is built from them (the datoms are in EAVT order).</summary>
    public static (Datom[] Datoms, long BasisT, long MaxEntityId) DecodeSnapshotDatoms(ReadOnlySpan<byte> bytes)
    {
        var (datoms, basisT, maxEntityId, _) = DecodeSnapshotParts(bytes, null, null);
        return (datoms, basisT, maxEntityId);
    }

    /// <summary>The parts of a snapshot; its request ids go to <paramref name="requests"/> and its mutation ledger and
    /// rejected mutations to <paramref name="mutations"/> (skipped when null).</summary>
    private static (Datom[] Datoms, long BasisT, long MaxEntityId, string? DatabaseId) DecodeSnapshotParts(ReadOnlySpan<byte> bytes,
        List<RecentRequest>? requests, (List<KeyValuePair<string, MutationEntry>> Marks, List<MutationRejected> Rejected)? mutations)
    {
        ulong version = 0;
        long basisT = 0, maxEntityId = 0;
        string? databaseId = null;
        ReadOnlySpan<byte> block = default;
        var hasBlock = false;
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PSnapshot.FormatVersionFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    version = r.ReadVarint();
                    break;
                case PSnapshot.BasisTFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    basisT = (long)r.ReadVarint();
                    break;
                case PSnapshot.MaxEntityIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    maxEntityId = (long)r.ReadVarint();
                    break;
                case PSnapshot.DatomsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    block = r.ReadLenPayload();
                    hasBlock = true;
                    break;
                case PSnapshot.RecentRequestsFieldNumber when requests is not null:
                    WireReader.Expect(field, wt, Wire.Len);
                    requests.Add(ReadRequest(r.ReadLenPayload()));
                    break;
                case PSnapshot.DatabaseIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    databaseId = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PSnapshot.MutationsFieldNumber when mutations is not null:
                    WireReader.Expect(field, wt, Wire.Len);
                    mutations.Value.Marks.Add(ReadMark(r.ReadLenPayload()));
                    break;
                case PSnapshot.RejectedMutationsFieldNumber when mutations is not null:
                    WireReader.Expect(field, wt, Wire.Len);
                    mutations.Value.Rejected.Add(DecodeMutationRejected(r.ReadLenPayload()));
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        CheckVersion("DbSnapshot", version);
        if (!hasBlock) throw Wire.Corrupt("the DbSnapshot has no datoms field");
        return (DatomBlockReader.Read(block), basisT, maxEntityId, string.IsNullOrEmpty(databaseId) ? null : databaseId);
    }

    private static KeyValuePair<string, MutationEntry> ReadMark(ReadOnlySpan<byte> bytes)
    {
        var key = "";
        long last = 0, t = 0;
        var rejected = false;
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PMark.KeyFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    key = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PMark.LastFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    last = (long)r.ReadVarint();
                    break;
                case PMark.TFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    t = (long)r.ReadVarint();
                    break;
                case PMark.LastRejectedFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    rejected = r.ReadVarint() != 0;
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        if (key.Length == 0 || last <= 0) throw Wire.Corrupt($"a mutation mark has no key or a last of {last}");
        return new KeyValuePair<string, MutationEntry>(key, new MutationEntry(last, t, rejected));
    }

    // ------------------------------------------------------------------ rejected mutation

    public static byte[] EncodeMutationRejected(MutationRejected rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var id = rejected.RequestId ?? "";
        var category = rejected.Category?.FullName ?? "";
        var message = rejected.Message ?? "";
        int idBytes = Wire.Utf8Length(id), categoryBytes = Wire.Utf8Length(category), messageBytes = Wire.Utf8Length(message);
        var size = Wire.VarintFieldSize(PRejected.FormatVersionFieldNumber, FormatVersion)
            + (idBytes == 0 ? 0 : Wire.LenFieldSize(PRejected.RequestIdFieldNumber, idBytes))
            + (categoryBytes == 0 ? 0 : Wire.LenFieldSize(PRejected.CategoryFieldNumber, categoryBytes))
            + (messageBytes == 0 ? 0 : Wire.LenFieldSize(PRejected.MessageFieldNumber, messageBytes));
        var bytes = new byte[size];
        var w = new SpanWriter(bytes);
        w.WriteVarintField(PRejected.FormatVersionFieldNumber, FormatVersion);
        if (idBytes != 0) w.WriteStringField(PRejected.RequestIdFieldNumber, id, idBytes);
        if (categoryBytes != 0) w.WriteStringField(PRejected.CategoryFieldNumber, category, categoryBytes);
        if (messageBytes != 0) w.WriteStringField(PRejected.MessageFieldNumber, message, messageBytes);
        CheckSize(w, size);
        return bytes;
    }

    public static MutationRejected DecodeMutationRejected(ReadOnlySpan<byte> bytes)
    {
        ulong version = 0;
        string id = "", category = "", message = "";
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PRejected.FormatVersionFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    version = r.ReadVarint();
                    break;
                case PRejected.RequestIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    id = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PRejected.CategoryFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    category = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PRejected.MessageFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    message = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        CheckVersion("MutationRejected", version);
        if (category.Length == 0) throw Wire.Corrupt("the MutationRejected has no category");
        return new MutationRejected(id, Keyword.Intern(category), message);
    }

    // ------------------------------------------------------------------ transaction record

    private readonly record struct TempidEntry(string? Name, long Id, int NameBytes, long Entity, int Size);

    public static byte[] EncodeTxRecord(TxRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var datoms = record.Datoms ?? throw new SerializationException("a TxRecord without datoms cannot be serialized");
        using var block = new DatomBlockWriter(datoms.Count);
        foreach (var d in datoms) block.Add(d);
        var blockSize = block.ContentSize;

        var (tempids, tempidsSize) = TempidEntries(record.Tempids, PTx.TempidsFieldNumber);

        var requestId = record.RequestId ?? "";
        var requestIdBytes = Wire.Utf8Length(requestId);
        var metaBytes = record.Meta is null ? 0 : Wire.Utf8Length(record.Meta);
        var ticks = InstantTicks(record.TxInstant);
        var idBytes = string.IsNullOrEmpty(record.DatabaseId) ? 0 : Wire.Utf8Length(record.DatabaseId);

        var size = Wire.VarintFieldSize(PTx.FormatVersionFieldNumber, FormatVersion)
            + Int64FieldSize(PTx.TFieldNumber, record.T)
            + Int64FieldSize(PTx.TxIdFieldNumber, record.TxId)
            + (ticks == 0 ? 0 : Wire.VarintSize(Wire.Tag(PTx.TxInstantTicksFieldNumber, Wire.Fixed64)) + 8)
            + Wire.LenFieldSize(PTx.DatomsFieldNumber, blockSize)
            + tempidsSize
            + (requestIdBytes == 0 ? 0 : Wire.LenFieldSize(PTx.RequestIdFieldNumber, requestIdBytes))
            + (record.Meta is null ? 0 : Wire.LenFieldSize(PTx.MetaFieldNumber, metaBytes))
            + Int64FieldSize(PTx.MaxEntityIdFieldNumber, record.MaxEntityId)
            + (idBytes == 0 ? 0 : Wire.LenFieldSize(PTx.DatabaseIdFieldNumber, idBytes));
        var bytes = new byte[size];
        var w = new SpanWriter(bytes);
        w.WriteVarintField(PTx.FormatVersionFieldNumber, FormatVersion);
        WriteInt64(ref w, PTx.TFieldNumber, record.T);
        WriteInt64(ref w, PTx.TxIdFieldNumber, record.TxId);
        if (ticks != 0) w.WriteFixed64Field(PTx.TxInstantTicksFieldNumber, (ulong)ticks);
        w.WriteLenHeader(PTx.DatomsFieldNumber, blockSize);
        block.WriteTo(ref w);
        WriteTempids(ref w, PTx.TempidsFieldNumber, tempids);
        if (requestIdBytes != 0) w.WriteStringField(PTx.RequestIdFieldNumber, requestId, requestIdBytes);
        if (record.Meta is not null) w.WriteStringField(PTx.MetaFieldNumber, record.Meta, metaBytes);
        WriteInt64(ref w, PTx.MaxEntityIdFieldNumber, record.MaxEntityId);
        if (idBytes != 0) w.WriteStringField(PTx.DatabaseIdFieldNumber, record.DatabaseId!, idBytes);
        CheckSize(w, size);
        return bytes;
    }

    /// <summary>The tempids of a record or a remembered request, sized as repeated Tempid field <paramref name="field"/>.</summary>
    private static (TempidEntry[] Entries, int Size) TempidEntries(IReadOnlyDictionary<object, long>? map, int field)
    {
        var entries = new TempidEntry[map?.Count ?? 0];
        var size = 0;
        if (map is null) return (entries, 0);
        var i = 0;
        foreach (var (key, entity) in map)
        {
            var entry = key switch
            {
                string s => TempidOf(s, entity),
                long l => new TempidEntry(null, l, 0, entity,
                    Wire.VarintFieldSize(PTempid.IdFieldNumber, Wire.ZigZag(l)) + Int64FieldSize(PTempid.EntityFieldNumber, entity)),
                _ => throw new SerializationException(
                    $"tempid key {key} of type {key.GetType().FullName} cannot be persisted (tempids are strings or longs)"),
            };
            entries[i++] = entry;
            size += Wire.LenFieldSize(field, entry.Size);
        }
        return (entries, size);
    }

    private static void WriteTempids(ref SpanWriter w, int field, TempidEntry[] tempids)
    {
        foreach (var t in tempids)
        {
            w.WriteLenHeader(field, t.Size);
            if (t.Name is not null) w.WriteStringField(PTempid.NameFieldNumber, t.Name, t.NameBytes);
            else w.WriteVarintField(PTempid.IdFieldNumber, Wire.ZigZag(t.Id));
            WriteInt64(ref w, PTempid.EntityFieldNumber, t.Entity);
        }
    }

    private static RecentRequest ReadRequest(ReadOnlySpan<byte> bytes)
    {
        var requestId = "";
        long t = 0;
        var tempids = new Dictionary<object, long>();
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PRequest.RequestIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    requestId = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PRequest.TFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    t = (long)r.ReadVarint();
                    break;
                case PRequest.TempidsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    var (key, entity) = ReadTempid(r.ReadLenPayload());
                    tempids[key] = entity;
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        return new RecentRequest(requestId, t, tempids);
    }

    private static TempidEntry TempidOf(string name, long entity)
    {
        var nameBytes = Wire.Utf8Length(name);
        return new TempidEntry(name, 0, nameBytes, entity,
            Wire.LenFieldSize(PTempid.NameFieldNumber, nameBytes) + Int64FieldSize(PTempid.EntityFieldNumber, entity));
    }

    public static TxRecord DecodeTxRecord(ReadOnlySpan<byte> bytes)
    {
        ulong version = 0;
        long t = 0, txId = 0, ticks = 0, maxEntityId = 0;
        ReadOnlySpan<byte> block = default;
        var hasBlock = false;
        var tempids = new Dictionary<object, long>();
        var requestId = "";
        string? meta = null, databaseId = null;
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PTx.FormatVersionFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    version = r.ReadVarint();
                    break;
                case PTx.TFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    t = (long)r.ReadVarint();
                    break;
                case PTx.TxIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    txId = (long)r.ReadVarint();
                    break;
                case PTx.TxInstantTicksFieldNumber:
                    WireReader.Expect(field, wt, Wire.Fixed64);
                    ticks = (long)r.ReadFixed64();
                    break;
                case PTx.DatomsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    block = r.ReadLenPayload();
                    hasBlock = true;
                    break;
                case PTx.TempidsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    var (key, entity) = ReadTempid(r.ReadLenPayload());
                    tempids[key] = entity;
                    break;
                case PTx.RequestIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    requestId = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PTx.MetaFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    meta = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PTx.MaxEntityIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    maxEntityId = (long)r.ReadVarint();
                    break;
                case PTx.DatabaseIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    databaseId = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        CheckVersion("TxRecord", version);
        if (!hasBlock) throw Wire.Corrupt("the TxRecord has no datoms field");
        if ((ulong)ticks > (ulong)DateTime.MaxValue.Ticks) throw Wire.Corrupt($"tx instant ticks {ticks} are out of range");
        var datoms = DatomBlockReader.Read(block);
        return new TxRecord(t, txId, new DateTime(ticks, DateTimeKind.Utc), datoms, tempids, requestId, meta, maxEntityId,
            string.IsNullOrEmpty(databaseId) ? null : databaseId);
    }

    private static (object Key, long Entity) ReadTempid(ReadOnlySpan<byte> bytes)
    {
        object? key = null;
        long entity = 0;
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PTempid.NameFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    key = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case PTempid.IdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    key = Wire.UnZigZag(r.ReadVarint());
                    break;
                case PTempid.EntityFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    entity = (long)r.ReadVarint();
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        return (key ?? throw Wire.Corrupt("a tempid has neither a name nor an id"), entity);
    }

    // ------------------------------------------------------------------ helpers

    internal static long InstantTicks(DateTime dt) => (dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt).Ticks;

    internal static int Int64FieldSize(int field, long value) => value == 0 ? 0 : Wire.VarintFieldSize(field, (ulong)value);

    internal static void WriteInt64(ref SpanWriter w, int field, long value)
    {
        if (value != 0) w.WriteVarintField(field, (ulong)value);
    }

    internal static void CheckVersion(string message, ulong version)
    {
        if (version != FormatVersion)
            throw new SerializationException(
                $"{message} format_version {version} is not supported by this Datsync.Actors (it reads version {FormatVersion})");
    }

    internal static void CheckSize(in SpanWriter w, int size)
    {
        if (w.Position != size) throw new InvalidOperationException($"encoder wrote {w.Position} bytes into a {size}-byte message");
    }
}
