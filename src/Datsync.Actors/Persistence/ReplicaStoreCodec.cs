using Datsync.Core;
using POutbox = Datsync.Actors.Persistence.Proto.OutboxEntry;
using PDelta = Datsync.Actors.Persistence.Proto.StoredDelta;

namespace Datsync.Actors.Persistence;

/// <summary>A delta as the replica store keeps it: the datoms (at t) of a <see cref="TxDelta"/>, the t it follows
/// and its transaction instant.</summary>
internal readonly record struct StoredDeltaRecord(long T, long? After, DateTime TxInstant, Datom[] Datoms)
{
    /// <summary>The t of the value the delta applies to: <see cref="After"/>, or <c>T - 1</c>.</summary>
    public long Prev => After ?? T - 1;
}

/// <summary>
/// Encodes the <c>StoredDelta</c> and <c>OutboxEntry</c> messages of replica_store_v1.proto, by hand over the wire
/// format like <see cref="PersistenceCodec"/> (whose datom block and snapshot codecs it shares). Thread-safe; every
/// failure to read is a <see cref="System.Runtime.Serialization.SerializationException"/>.
/// </summary>
internal static class ReplicaStoreCodec
{
    /// <summary>The <c>format_version</c> this codec writes and reads.</summary>
    public const uint FormatVersion = 1;

    public static byte[] EncodeDelta(TxDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var datoms = delta.TxData;
        using var block = new DatomBlockWriter(datoms.Count);
        foreach (var d in datoms) block.Add(d);
        var blockSize = block.ContentSize;
        var ticks = PersistenceCodec.InstantTicks(delta.TxInstant);
        var size = Wire.VarintFieldSize(PDelta.FormatVersionFieldNumber, FormatVersion)
            + PersistenceCodec.Int64FieldSize(PDelta.TFieldNumber, delta.T)
            + (delta.After is { } after ? Wire.VarintFieldSize(PDelta.AfterFieldNumber, (ulong)after) : 0)
            + (ticks == 0 ? 0 : Wire.VarintSize(Wire.Tag(PDelta.TxInstantTicksFieldNumber, Wire.Fixed64)) + 8)
            + Wire.LenFieldSize(PDelta.DatomsFieldNumber, blockSize);
        var bytes = new byte[size];
        var w = new SpanWriter(bytes);
        w.WriteVarintField(PDelta.FormatVersionFieldNumber, FormatVersion);
        PersistenceCodec.WriteInt64(ref w, PDelta.TFieldNumber, delta.T);
        if (delta.After is { } a) w.WriteVarintField(PDelta.AfterFieldNumber, (ulong)a); // present even when 0
        if (ticks != 0) w.WriteFixed64Field(PDelta.TxInstantTicksFieldNumber, (ulong)ticks);
        w.WriteLenHeader(PDelta.DatomsFieldNumber, blockSize);
        block.WriteTo(ref w);
        PersistenceCodec.CheckSize(w, size);
        return bytes;
    }

    public static StoredDeltaRecord DecodeDelta(ReadOnlySpan<byte> bytes)
    {
        ulong version = 0;
        long t = 0, ticks = 0;
        long? after = null;
        ReadOnlySpan<byte> block = default;
        var hasBlock = false;
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case PDelta.FormatVersionFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    version = r.ReadVarint();
                    break;
                case PDelta.TFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    t = (long)r.ReadVarint();
                    break;
                case PDelta.AfterFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    after = (long)r.ReadVarint();
                    break;
                case PDelta.TxInstantTicksFieldNumber:
                    WireReader.Expect(field, wt, Wire.Fixed64);
                    ticks = (long)r.ReadFixed64();
                    break;
                case PDelta.DatomsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    block = r.ReadLenPayload();
                    hasBlock = true;
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        PersistenceCodec.CheckVersion("StoredDelta", version);
        if (!hasBlock) throw Wire.Corrupt("the StoredDelta has no datoms field");
        if ((ulong)ticks > (ulong)DateTime.MaxValue.Ticks) throw Wire.Corrupt($"tx instant ticks {ticks} are out of range");
        return new StoredDeltaRecord(t, after, new DateTime(ticks, DateTimeKind.Utc), DatomBlockReader.Read(block));
    }

    public static byte[] EncodeOutboxEntry(long mutationId, string requestId, string txEdn, DateTime created)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        ArgumentNullException.ThrowIfNull(txEdn);
        var requestIdBytes = Wire.Utf8Length(requestId);
        var txBytes = Wire.Utf8Length(txEdn);
        var ticks = PersistenceCodec.InstantTicks(created);
        var size = Wire.VarintFieldSize(POutbox.FormatVersionFieldNumber, FormatVersion)
            + PersistenceCodec.Int64FieldSize(POutbox.MutationIdFieldNumber, mutationId)
            + (requestIdBytes == 0 ? 0 : Wire.LenFieldSize(POutbox.RequestIdFieldNumber, requestIdBytes))
            + (txBytes == 0 ? 0 : Wire.LenFieldSize(POutbox.TxEdnFieldNumber, txBytes))
            + (ticks == 0 ? 0 : Wire.VarintSize(Wire.Tag(POutbox.CreatedTicksFieldNumber, Wire.Fixed64)) + 8);
        var bytes = new byte[size];
        var w = new SpanWriter(bytes);
        w.WriteVarintField(POutbox.FormatVersionFieldNumber, FormatVersion);
        PersistenceCodec.WriteInt64(ref w, POutbox.MutationIdFieldNumber, mutationId);
        if (requestIdBytes != 0) w.WriteStringField(POutbox.RequestIdFieldNumber, requestId, requestIdBytes);
        if (txBytes != 0) w.WriteStringField(POutbox.TxEdnFieldNumber, txEdn, txBytes);
        if (ticks != 0) w.WriteFixed64Field(POutbox.CreatedTicksFieldNumber, (ulong)ticks);
        PersistenceCodec.CheckSize(w, size);
        return bytes;
    }

    public static (long MutationId, string RequestId, string TxEdn, DateTime Created) DecodeOutboxEntry(ReadOnlySpan<byte> bytes)
    {
        ulong version = 0;
        long mutationId = 0, ticks = 0;
        string requestId = "", txEdn = "";
        var r = new WireReader(bytes);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case POutbox.FormatVersionFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    version = r.ReadVarint();
                    break;
                case POutbox.MutationIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    mutationId = (long)r.ReadVarint();
                    break;
                case POutbox.RequestIdFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    requestId = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case POutbox.TxEdnFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    txEdn = Wire.ReadUtf8(r.ReadLenPayload());
                    break;
                case POutbox.CreatedTicksFieldNumber:
                    WireReader.Expect(field, wt, Wire.Fixed64);
                    ticks = (long)r.ReadFixed64();
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
        PersistenceCodec.CheckVersion("OutboxEntry", version);
        if ((ulong)ticks > (ulong)DateTime.MaxValue.Ticks) throw Wire.Corrupt($"created ticks {ticks} are out of range");
        return (mutationId, requestId, txEdn, new DateTime(ticks, DateTimeKind.Utc));
    }
}
