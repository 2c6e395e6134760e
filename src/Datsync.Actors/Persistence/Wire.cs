using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using System.Text;

namespace Datsync.Actors.Persistence;

/// <summary>Protocol-buffers wire primitives (varints, zigzag, tags) shared by the writers and readers.</summary>
internal static class Wire
{
    public const int Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Tag(int field, int wireType) => (uint)(field << 3 | wireType);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnZigZag(uint v) => (int)(v >> 1) ^ -(int)(v & 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarintSize(ulong v) => 1 + (63 - BitOperations.LeadingZeroCount(v | 1)) / 7;

    /// <summary>Size of a length-delimited field: tag, length, payload.</summary>
    public static int LenFieldSize(int field, int length) =>
        VarintSize(Tag(field, Len)) + VarintSize((ulong)length) + length;

    /// <summary>Size of a varint field (tag and value).</summary>
    public static int VarintFieldSize(int field, ulong value) => VarintSize(Tag(field, Varint)) + VarintSize(value);

    /// <summary>Reads a varint at <paramref name="pos"/>; throws <see cref="SerializationException"/> when truncated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadVarint(ReadOnlySpan<byte> s, ref int pos)
    {
        if ((uint)pos < (uint)s.Length)
        {
            var b = s[pos];
            if (b < 0x80)
            {
                pos++;
                return b;
            }
        }
        return ReadVarintSlow(s, ref pos);
    }

    private static ulong ReadVarintSlow(ReadOnlySpan<byte> s, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if ((uint)pos >= (uint)s.Length) throw Corrupt("a varint runs past the end of its field");
            var b = s[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Corrupt("a varint is longer than 10 bytes");
    }

    public static ulong ReadFixed64(ReadOnlySpan<byte> s, ref int pos)
    {
        if (pos > s.Length - 8) throw Corrupt("a fixed64 runs past the end of its field");
        var v = BinaryPrimitives.ReadUInt64LittleEndian(s[pos..]);
        pos += 8;
        return v;
    }

    public static SerializationException Corrupt(string what) => new($"corrupt Datsync persistence payload: {what}");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 byte count of a string; throws <see cref="SerializationException"/> when it is not valid UTF-16.</summary>
    public static int Utf8Length(string s)
    {
        try
        {
            return StrictUtf8.GetByteCount(s);
        }
        catch (EncoderFallbackException e)
        {
            throw InvalidUtf16(s, e);
        }
    }

    public static SerializationException InvalidUtf16(string s, Exception? inner = null) => new(
        $"a string of {s.Length} chars (starting \"{s[..Math.Min(s.Length, 20)]}\") holds an unpaired surrogate and cannot be stored as UTF-8",
        inner);

    public static string ReadUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SerializationException("corrupt Datsync persistence payload: a string is not valid UTF-8", e);
        }
    }
}

/// <summary>A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>; one per column while encoding.</summary>
internal sealed class PooledBuffer : IDisposable
{
    private byte[] _buf;
    private int _len;

    public PooledBuffer(int initialCapacity) => _buf = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 64));

    public int Length => _len;

    public ReadOnlySpan<byte> Written => _buf.AsSpan(0, _len);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(ulong v)
    {
        if (_buf.Length - _len < 10) Grow(10);
        var b = _buf;
        var p = _len;
        while (v >= 0x80)
        {
            b[p++] = (byte)(v | 0x80);
            v >>= 7;
        }
        b[p++] = (byte)v;
        _len = p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte v)
    {
        if (_len == _buf.Length) Grow(1);
        _buf[_len++] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFixed64(ulong v)
    {
        if (_buf.Length - _len < 8) Grow(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buf.AsSpan(_len), v);
        _len += 8;
    }

    /// <summary>Room for at least <paramref name="size"/> bytes at the end; commit with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_buf.Length - _len < size) Grow(size);
        return _buf.AsSpan(_len);
    }

    public void Advance(int count) => _len += count;

    private void Grow(int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(2L * _buf.Length, (long)_len + needed)));
        _buf.AsSpan(0, _len).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    public void Dispose()
    {
        if (_buf.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
        _len = 0;
    }
}

/// <summary>Writes protocol-buffers fields into a span sized beforehand.</summary>
internal ref struct SpanWriter(Span<byte> dest)
{
    private readonly Span<byte> _dest = dest;
    private int _pos;

    public readonly int Position => _pos;

    public void WriteVarint(ulong v)
    {
        while (v >= 0x80)
        {
            _dest[_pos++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _dest[_pos++] = (byte)v;
    }

    public void WriteTag(int field, int wireType) => WriteVarint(Wire.Tag(field, wireType));

    public void WriteVarintField(int field, ulong v)
    {
        WriteTag(field, Wire.Varint);
        WriteVarint(v);
    }

    public void WriteFixed64Field(int field, ulong v)
    {
        WriteTag(field, Wire.Fixed64);
        BinaryPrimitives.WriteUInt64LittleEndian(_dest[_pos..], v);
        _pos += 8;
    }

    public void WriteLenField(int field, ReadOnlySpan<byte> payload)
    {
        WriteLenHeader(field, payload.Length);
        WriteRaw(payload);
    }

    public void WriteLenHeader(int field, int length)
    {
        WriteTag(field, Wire.Len);
        WriteVarint((ulong)length);
    }

    /// <summary>A string field whose UTF-8 length was measured with <see cref="Wire.Utf8Length"/>.</summary>
    public void WriteStringField(int field, string s, int utf8Length)
    {
        WriteLenHeader(field, utf8Length);
        _pos += Encoding.UTF8.GetBytes(s, _dest[_pos..]);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_dest[_pos..]);
        _pos += bytes.Length;
    }
}

/// <summary>Reads protocol-buffers fields from a span; every overrun is a <see cref="SerializationException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _s = source;
    private int _pos;

    public readonly bool End => _pos >= _s.Length;

    /// <summary>The next field's number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        var tag = Wire.ReadVarint(_s, ref _pos);
        var field = tag >> 3;
        if (field == 0 || field > int.MaxValue) throw Wire.Corrupt($"invalid field tag {tag}");
        return ((int)field, (int)(tag & 7));
    }

    public ulong ReadVarint() => Wire.ReadVarint(_s, ref _pos);

    public ulong ReadFixed64() => Wire.ReadFixed64(_s, ref _pos);

    public ReadOnlySpan<byte> ReadLenPayload()
    {
        var len = Wire.ReadVarint(_s, ref _pos);
        if (len > (ulong)(_s.Length - _pos)) throw Wire.Corrupt("a length-delimited field runs past the end of its message");
        var payload = _s.Slice(_pos, (int)len);
        _pos += (int)len;
        return payload;
    }

    /// <summary>Skips the payload of a field (an unknown one, kept for forward compatibility).</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Wire.Varint: ReadVarint(); break;
            case Wire.Fixed64:
                if (_pos > _s.Length - 8) throw Wire.Corrupt("a fixed64 field runs past the end of its message");
                _pos += 8;
                break;
            case Wire.Len: ReadLenPayload(); break;
            case Wire.Fixed32:
                if (_pos > _s.Length - 4) throw Wire.Corrupt("a fixed32 field runs past the end of its message");
                _pos += 4;
                break;
            default: throw Wire.Corrupt($"unsupported wire type {wireType}");
        }
    }

    /// <summary>Checks a known field's wire type.</summary>
    public static void Expect(int field, int wireType, int expected)
    {
        if (wireType != expected) throw Wire.Corrupt($"field {field} has wire type {wireType}, expected {expected}");
    }
}
