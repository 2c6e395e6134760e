using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text.Unicode;
using Datsync.Core;
using Block = Datsync.Actors.Persistence.Proto.DatomBlock;
using Kind = Datsync.Actors.Persistence.Proto.ValueKind;

namespace Datsync.Actors.Persistence;

/// <summary>
/// Encodes datoms into the columns of a <c>DatomBlock</c> (see persistence_v1.proto). Each column goes to its own
/// pooled buffer in one pass; <see cref="WriteTo"/> then lays them out as the block's fields. Not thread-safe;
/// dispose to return the buffers.
/// </summary>
internal sealed class DatomBlockWriter : IDisposable
{
    private readonly PooledBuffer _e, _a, _t, _kinds, _retracted, _ints, _bits, _strings, _blobs;
    private readonly Dictionary<string, int> _stringIds = new(StringComparer.Ordinal);
    private readonly Dictionary<Keyword, int> _keywordIds = new();
    private long _prevE, _prevT;
    private int _prevA, _count;

    private static readonly uint StringTag = Wire.Tag(Block.StringsFieldNumber, Wire.Len);
    private static readonly int StringTagSize = Wire.VarintSize(StringTag);

    /// <param name="expectedCount">About how many datoms will be added (sizes the first buffers).</param>
    public DatomBlockWriter(int expectedCount)
    {
        var n = Math.Clamp(expectedCount + 16, 64, 1 << 26);
        _e = new PooledBuffer(n);
        _a = new PooledBuffer(n);
        _t = new PooledBuffer(n);
        _kinds = new PooledBuffer(n);
        _ints = new PooledBuffer(2 * n);
        _retracted = new PooledBuffer(64);
        _bits = new PooledBuffer(256);
        _strings = new PooledBuffer(256);
        _blobs = new PooledBuffer(256);
    }

    public int Count => _count;

    public void Add(Datom d)
    {
        unchecked
        {
            var e = d.E;
            _e.WriteVarint(Wire.ZigZag(e - _prevE));
            _prevE = e;
            var a = d.A;
            _a.WriteVarint(Wire.ZigZag(a - _prevA));
            _prevA = a;
            var t = d.T;
            _t.WriteVarint(Wire.ZigZag(t - _prevT));
            _prevT = t;
        }
        if (!d.Added) _retracted.WriteVarint((uint)_count);
        WriteValue(d.V);
        _count++;
    }

    private void WriteValue(object v)
    {
        switch (v)
        {
            case long l:
                _kinds.WriteByte((byte)Kind.Long);
                _ints.WriteVarint(Wire.ZigZag(l));
                break;
            case string s:
                _kinds.WriteByte((byte)Kind.String);
                _ints.WriteVarint(Wire.ZigZag((long)StringId(s)));
                break;
            case Keyword k:
                _kinds.WriteByte((byte)Kind.Keyword);
                _ints.WriteVarint(Wire.ZigZag((long)KeywordId(k)));
                break;
            case double x:
                _kinds.WriteByte((byte)Kind.Double);
                _bits.WriteFixed64(BitConverter.DoubleToUInt64Bits(x));
                break;
            case bool b:
                _kinds.WriteByte((byte)Kind.Boolean);
                _ints.WriteVarint(b ? 2UL : 0UL); // zigzag of 1 and 0
                break;
            case DateTime dt:
                _kinds.WriteByte((byte)Kind.Instant);
                _bits.WriteFixed64((ulong)(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt).Ticks);
                break;
            case float f:
                _kinds.WriteByte((byte)Kind.Float);
                _bits.WriteFixed64(BitConverter.DoubleToUInt64Bits(f));
                break;
            case BigInteger bi:
            {
                _kinds.WriteByte((byte)Kind.Bigint);
                var n = bi.GetByteCount();
                _ints.WriteVarint(Wire.ZigZag((long)n));
                if (!bi.TryWriteBytes(_blobs.GetSpan(n), out var written) || written != n)
                    throw new SerializationException($"bigint {bi} did not encode to {n} bytes");
                _blobs.Advance(n);
                break;
            }
            case decimal m:
            {
                _kinds.WriteByte((byte)Kind.Bigdec);
                Span<int> parts = stackalloc int[4];
                decimal.GetBits(m, parts);
                var dest = _blobs.GetSpan(16);
                for (var i = 0; i < 4; i++) BinaryPrimitives.WriteInt32LittleEndian(dest[(4 * i)..], parts[i]);
                _blobs.Advance(16);
                break;
            }
            case Guid g:
                _kinds.WriteByte((byte)Kind.Uuid);
                g.TryWriteBytes(_blobs.GetSpan(16), bigEndian: true, out _);
                _blobs.Advance(16);
                break;
            case Uri u:
                _kinds.WriteByte((byte)Kind.Uri);
                _ints.WriteVarint(Wire.ZigZag((long)StringId(u.OriginalString)));
                break;
            case Symbol y:
                _kinds.WriteByte((byte)Kind.Symbol);
                _ints.WriteVarint(Wire.ZigZag((long)StringId(y.FullName)));
                break;
            default:
                throw new SerializationException($"a datom value of type {v.GetType().FullName} has no persistent encoding");
        }
    }

    private int KeywordId(Keyword k)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_keywordIds, k, out var exists);
        if (!exists) id = StringId(k.FullName);
        return id;
    }

    private int StringId(string s)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_stringIds, s, out var exists);
        if (exists) return id;
        id = _stringIds.Count - 1;
        AppendString(s);
        return id;
    }

    /// <summary>Appends one <c>strings</c> field: tag, UTF-8 length, UTF-8 bytes (strict: unpaired surrogates throw).</summary>
    private void AppendString(string s)
    {
        var maxBytes = (long)s.Length * 3;
        if (maxBytes > int.MaxValue / 2) throw new SerializationException($"a string of {s.Length} chars is too long to persist");
        var lenSize = Wire.VarintSize((ulong)maxBytes);
        var span = _strings.GetSpan(StringTagSize + lenSize + (int)maxBytes);
        // UTF-8 goes after room for the longest length prefix, then moves left if the real prefix is shorter
        var status = Utf8.FromUtf16(s, span[(StringTagSize + lenSize)..], out _, out var written, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done) throw Wire.InvalidUtf16(s);
        var actualLenSize = Wire.VarintSize((ulong)written);
        if (actualLenSize < lenSize) span.Slice(StringTagSize + lenSize, written).CopyTo(span[(StringTagSize + actualLenSize)..]);
        var w = new SpanWriter(span);
        w.WriteVarint(StringTag);
        w.WriteVarint((ulong)written);
        _strings.Advance(StringTagSize + actualLenSize + written);
    }

    /// <summary>Size of the block's fields (the payload of the enclosing <c>DatomBlock</c> field).</summary>
    public int ContentSize
    {
        get
        {
            var size = 0;
            if (_count != 0) size += Wire.VarintFieldSize(Block.CountFieldNumber, (uint)_count);
            size += Packed(Block.EntityDeltasFieldNumber, _e);
            size += Packed(Block.AttributeDeltasFieldNumber, _a);
            size += Packed(Block.TDeltasFieldNumber, _t);
            size += Packed(Block.KindsFieldNumber, _kinds);
            size += Packed(Block.RetractedFieldNumber, _retracted);
            size += Packed(Block.IntsFieldNumber, _ints);
            size += Packed(Block.BitsFieldNumber, _bits);
            size += _strings.Length;
            size += Packed(Block.BlobsFieldNumber, _blobs);
            return size;
        }
    }

    private static int Packed(int field, PooledBuffer b) => b.Length == 0 ? 0 : Wire.LenFieldSize(field, b.Length);

    /// <summary>Writes the block's fields (not the enclosing field's tag and length).</summary>
    public void WriteTo(ref SpanWriter w)
    {
        if (_count != 0) w.WriteVarintField(Block.CountFieldNumber, (uint)_count);
        WritePacked(ref w, Block.EntityDeltasFieldNumber, _e);
        WritePacked(ref w, Block.AttributeDeltasFieldNumber, _a);
        WritePacked(ref w, Block.TDeltasFieldNumber, _t);
        WritePacked(ref w, Block.KindsFieldNumber, _kinds);
        WritePacked(ref w, Block.RetractedFieldNumber, _retracted);
        WritePacked(ref w, Block.IntsFieldNumber, _ints);
        WritePacked(ref w, Block.BitsFieldNumber, _bits);
        w.WriteRaw(_strings.Written);
        WritePacked(ref w, Block.BlobsFieldNumber, _blobs);
    }

    private static void WritePacked(ref SpanWriter w, int field, PooledBuffer b)
    {
        if (b.Length != 0) w.WriteLenField(field, b.Written);
    }

    public void Dispose()
    {
        _e.Dispose();
        _a.Dispose();
        _t.Dispose();
        _kinds.Dispose();
        _retracted.Dispose();
        _ints.Dispose();
        _bits.Dispose();
        _strings.Dispose();
        _blobs.Dispose();
    }
}

/// <summary>Decodes a <c>DatomBlock</c> into datoms, reading all columns side by side without intermediate arrays.</summary>
internal static class DatomBlockReader
{
    private static readonly object True = true, False = false;

    public static Datom[] Read(ReadOnlySpan<byte> block)
    {
        ulong count = 0;
        ReadOnlySpan<byte> e = default, a = default, t = default, kinds = default, retracted = default,
            ints = default, bits = default, blobs = default;
        var seen = 0;
        var strings = new List<string>();
        var r = new WireReader(block);
        while (!r.End)
        {
            var (field, wt) = r.ReadTag();
            switch (field)
            {
                case Block.CountFieldNumber:
                    WireReader.Expect(field, wt, Wire.Varint);
                    count = r.ReadVarint();
                    break;
                case Block.EntityDeltasFieldNumber: e = Column(ref r, field, wt, ref seen); break;
                case Block.AttributeDeltasFieldNumber: a = Column(ref r, field, wt, ref seen); break;
                case Block.TDeltasFieldNumber: t = Column(ref r, field, wt, ref seen); break;
                case Block.KindsFieldNumber: kinds = Column(ref r, field, wt, ref seen); break;
                case Block.RetractedFieldNumber: retracted = Column(ref r, field, wt, ref seen); break;
                case Block.IntsFieldNumber: ints = Column(ref r, field, wt, ref seen); break;
                case Block.BitsFieldNumber: bits = Column(ref r, field, wt, ref seen); break;
                case Block.BlobsFieldNumber: blobs = Column(ref r, field, wt, ref seen); break;
                case Block.StringsFieldNumber:
                    WireReader.Expect(field, wt, Wire.Len);
                    strings.Add(Wire.ReadUtf8(r.ReadLenPayload()));
                    break;
                default: r.Skip(wt); break;
            }
        }
        if (count > (ulong)Array.MaxLength) throw Wire.Corrupt($"datom count {count} is out of range");
        var n = (int)count;
        if (kinds.Length != n) throw Wire.Corrupt($"{kinds.Length} value kinds for {n} datoms");
        var datoms = new Datom[n];
        var strs = CollectionsMarshal.AsSpan(strings);
        object?[]? keywords = null, uris = null, symbols = null;
        int pe = 0, pa = 0, pt = 0, pr = 0, pi = 0, pb = 0, pbl = 0;
        long ev = 0, tv = 0;
        int av = 0;
        var nextRetracted = retracted.IsEmpty ? -1L : (long)Wire.ReadVarint(retracted, ref pr);
        for (var i = 0; i < n; i++)
        {
            unchecked
            {
                ev += Wire.UnZigZag(Wire.ReadVarint(e, ref pe));
                av += Wire.UnZigZag((uint)Wire.ReadVarint(a, ref pa));
                tv += Wire.UnZigZag(Wire.ReadVarint(t, ref pt));
            }
            object v;
            switch ((Kind)kinds[i])
            {
                case Kind.Long:
                    v = Wire.UnZigZag(Wire.ReadVarint(ints, ref pi));
                    break;
                case Kind.String:
                    v = strs[Index(ints, ref pi, strs.Length)];
                    break;
                case Kind.Keyword:
                {
                    var k = Index(ints, ref pi, strs.Length);
                    keywords ??= new object?[strs.Length];
                    v = keywords[k] ??= InternKeyword(strs[k]);
                    break;
                }
                case Kind.Double:
                    v = BitConverter.UInt64BitsToDouble(Wire.ReadFixed64(bits, ref pb));
                    break;
                case Kind.Boolean:
                    v = Wire.ReadVarint(ints, ref pi) != 0 ? True : False;
                    break;
                case Kind.Instant:
                {
                    var ticks = (long)Wire.ReadFixed64(bits, ref pb);
                    if ((ulong)ticks > (ulong)DateTime.MaxValue.Ticks) throw Wire.Corrupt($"instant ticks {ticks} are out of range");
                    v = new DateTime(ticks, DateTimeKind.Utc);
                    break;
                }
                case Kind.Float:
                    v = (float)BitConverter.UInt64BitsToDouble(Wire.ReadFixed64(bits, ref pb));
                    break;
                case Kind.Bigint:
                {
                    var len = Wire.UnZigZag(Wire.ReadVarint(ints, ref pi));
                    v = new BigInteger(Blob(blobs, ref pbl, len), isUnsigned: false, isBigEndian: false);
                    break;
                }
                case Kind.Bigdec:
                {
                    var src = Blob(blobs, ref pbl, 16);
                    Span<int> parts = stackalloc int[4];
                    for (var j = 0; j < 4; j++) parts[j] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * j)..]);
                    v = DecodeDecimal(parts);
                    break;
                }
                case Kind.Uuid:
                    v = new Guid(Blob(blobs, ref pbl, 16), bigEndian: true);
                    break;
                case Kind.Uri:
                {
                    var k = Index(ints, ref pi, strs.Length);
                    uris ??= new object?[strs.Length];
                    v = uris[k] ??= new Uri(strs[k], UriKind.RelativeOrAbsolute);
                    break;
                }
                case Kind.Symbol:
                {
                    var k = Index(ints, ref pi, strs.Length);
                    symbols ??= new object?[strs.Length];
                    v = symbols[k] ??= new Symbol(strs[k]);
                    break;
                }
                default:
                    throw Wire.Corrupt($"unknown value kind {kinds[i]} (datom {i})");
            }
            var added = true;
            if (nextRetracted == i)
            {
                added = false;
                nextRetracted = pr < retracted.Length ? (long)Wire.ReadVarint(retracted, ref pr) : -1;
            }
            datoms[i] = Datom.Create(ev, av, v, tv, added);
        }
        if (pe != e.Length || pa != a.Length || pt != t.Length || pi != ints.Length || pb != bits.Length
            || pbl != blobs.Length || pr != retracted.Length || nextRetracted != -1)
            throw Wire.Corrupt("the datom columns do not line up with the datom count");
        return datoms;
    }

    private static ReadOnlySpan<byte> Column(scoped ref WireReader r, int field, int wireType, scoped ref int seen)
    {
        WireReader.Expect(field, wireType, Wire.Len);
        var bit = 1 << field;
        if ((seen & bit) != 0) throw Wire.Corrupt($"datom block column {field} appears twice (split packed runs are not supported)");
        seen |= bit;
        return r.ReadLenPayload();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Index(ReadOnlySpan<byte> ints, ref int pos, int tableSize)
    {
        var k = Wire.UnZigZag(Wire.ReadVarint(ints, ref pos));
        if ((ulong)k >= (ulong)tableSize) throw Wire.Corrupt($"string index {k} is outside the table of {tableSize}");
        return (int)k;
    }

    private static ReadOnlySpan<byte> Blob(ReadOnlySpan<byte> blobs, ref int pos, long length)
    {
        if (length < 0 || length > blobs.Length - pos) throw Wire.Corrupt("a value runs past the end of the blobs column");
        var s = blobs.Slice(pos, (int)length);
        pos += (int)length;
        return s;
    }

    private static decimal DecodeDecimal(ReadOnlySpan<int> parts)
    {
        try
        {
            return new decimal(parts);
        }
        catch (ArgumentException ex)
        {
            throw new SerializationException("corrupt Datsync persistence payload: invalid bigdec bits", ex);
        }
    }

    /// <summary>The keyword with this full name (a full name that itself starts with ':' keeps it).</summary>
    private static Keyword InternKeyword(string fullName) =>
        Keyword.Intern(fullName.Length > 0 && fullName[0] == ':' ? ":" + fullName : fullName);
}
