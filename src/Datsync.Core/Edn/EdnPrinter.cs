using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// Prints .NET values as EDN text that <see cref="EdnReader"/> reads back to an equal value
/// (per <see cref="EdnEquality"/>).
/// </summary>
/// <remarks>
/// Besides everything the reader produces, it prints: <c>int</c>, <c>short</c>, <c>byte</c>, <c>sbyte</c>,
/// <c>ushort</c>, <c>uint</c>, <c>ulong</c>, <see cref="Int128"/>, <see cref="UInt128"/> as integers;
/// <c>float</c> as a floating-point number; <see cref="DateTimeOffset"/> as <c>#inst</c> (in UTC); a
/// <see cref="DateTime"/> of local kind is converted to UTC and one of unspecified kind is taken as UTC;
/// <see cref="IDictionary"/> and generic (read-only) dictionaries as maps; a boxed
/// <see cref="KeyValuePair{TKey, TValue}"/> as a two-element vector; any other non-string
/// <see cref="IEnumerable"/> as a vector. Other types throw <see cref="ArgumentException"/>.
/// Symbols and keywords are printed by name without validation.
/// </remarks>
public static class EdnPrinter
{
    /// <summary>The EDN text of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The value (or something inside it) has no EDN representation.</exception>
    public static string Print(object? value)
    {
        var output = new EdnOutput(null);
        try
        {
            Write(output, value);
            return output.ToString();
        }
        finally
        {
            output.Dispose();
        }
    }

    /// <summary>Writes the EDN text of <paramref name="value"/> to <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">The value (or something inside it) has no EDN representation.</exception>
    public static void Print(object? value, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var output = new EdnOutput(writer);
        try
        {
            Write(output, value);
            output.Flush();
        }
        finally
        {
            output.Dispose();
        }
    }

    /// <summary>A short EDN rendering for error messages; never throws.</summary>
    internal static string Describe(object? value)
    {
        string text;
        try
        {
            text = Print(value);
        }
        catch (Exception e) when (e is ArgumentException or InsufficientExecutionStackException)
        {
            text = value?.GetType().Name ?? "nil";
        }
        return text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
    }

    private static void Write(EdnOutput o, object? value)
    {
        switch (value)
        {
            case null:
                o.Append("nil");
                return;
            case string s:
                WriteString(o, s);
                return;
            case Keyword k:
                o.Append(':');
                o.Append(k.FullName);
                return;
            case long l:
                WriteInteger(o, l);
                return;
            case bool b:
                o.Append(b ? "true" : "false");
                return;
            case EdnVector v:
                WriteSequence(o, '[', v.AsSpan(), ']');
                return;
            case EdnMap m:
                WriteMap(o, m);
                return;
            case EdnList list:
                WriteSequence(o, '(', list.AsSpan(), ')');
                return;
            case EdnSet set:
                o.Append('#');
                WriteSequence(o, '{', set.AsSpan(), '}');
                return;
            case Symbol sym:
                o.Append(sym.FullName);
                return;
            case double d:
                WriteDouble(o, d);
                return;
            case BigInteger big:
                o.Append(big.ToString(CultureInfo.InvariantCulture));
                o.Append('N');
                return;
            case decimal dec:
            {
                var span = o.GetSpan(48);
                dec.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
                o.Advance(n);
                o.Append('M');
                return;
            }
            case char c:
                WriteChar(o, c);
                return;
            case DateTime dt:
                WriteInstant(o, dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt);
                return;
            case DateTimeOffset dto:
                WriteInstant(o, dto.UtcDateTime);
                return;
            case Guid g:
            {
                o.Append("#uuid \"");
                var span = o.GetSpan(36);
                g.TryFormat(span, out var n, "D");
                o.Advance(n);
                o.Append('"');
                return;
            }
            case Uri uri:
                o.Append("#uri ");
                WriteString(o, uri.OriginalString);
                return;
            case TaggedValue tv:
                RuntimeHelpers.EnsureSufficientExecutionStack();
                o.Append('#');
                o.Append(tv.Tag.FullName);
                o.Append(' ');
                Write(o, tv.Value);
                return;
            case int i:
                WriteInteger(o, i);
                return;
            case short sh:
                WriteInteger(o, sh);
                return;
            case byte by:
                WriteInteger(o, by);
                return;
            case sbyte sb:
                WriteInteger(o, sb);
                return;
            case ushort us:
                WriteInteger(o, us);
                return;
            case uint ui:
                WriteInteger(o, ui);
                return;
            case ulong ul:
                o.Append(ul.ToString(CultureInfo.InvariantCulture));
                return;
            case Int128 i128:
                o.Append(i128.ToString(CultureInfo.InvariantCulture));
                return;
            case UInt128 u128:
                o.Append(u128.ToString(CultureInfo.InvariantCulture));
                return;
            case float f:
                WriteFloat(o, f);
                return;
            case IDictionary dict:
                WriteDictionary(o, dict);
                return;
            case IEnumerable seq:
                if (PairAccess.IsGenericDictionary(seq.GetType())) WritePairs(o, seq);
                else WriteEnumerable(o, seq);
                return;
            default:
                if (PairAccess.TryGetPair(value, out var key, out var val))
                {
                    o.Append('[');
                    Write(o, key);
                    o.Append(' ');
                    Write(o, val);
                    o.Append(']');
                    return;
                }
                throw new ArgumentException($"cannot print a value of type {value.GetType()} as EDN", nameof(value));
        }
    }

    private static void WriteSequence(EdnOutput o, char open, ReadOnlySpan<object?> items, char close)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        o.Append(open);
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0) o.Append(' ');
            Write(o, items[i]);
        }
        o.Append(close);
    }

    private static void WriteMap(EdnOutput o, EdnMap map)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        o.Append('{');
        var entries = map.AsSpan();
        for (var i = 0; i < entries.Length; i++)
        {
            if (i > 0) o.Append(' ');
            Write(o, entries[i].Key);
            o.Append(' ');
            Write(o, entries[i].Value);
        }
        o.Append('}');
    }

    private static void WriteDictionary(EdnOutput o, IDictionary dict)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        o.Append('{');
        var first = true;
        var e = dict.GetEnumerator();
        try
        {
            while (e.MoveNext())
            {
                if (!first) o.Append(' ');
                first = false;
                Write(o, e.Key);
                o.Append(' ');
                Write(o, e.Value);
            }
        }
        finally
        {
            (e as IDisposable)?.Dispose();
        }
        o.Append('}');
    }

    private static void WritePairs(EdnOutput o, IEnumerable pairs)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        o.Append('{');
        var first = true;
        foreach (var item in pairs)
        {
            if (!first) o.Append(' ');
            first = false;
            if (item is null || !PairAccess.TryGetPair(item, out var key, out var value))
            {
                throw new ArgumentException($"unexpected dictionary element {item?.GetType().ToString() ?? "null"}");
            }
            Write(o, key);
            o.Append(' ');
            Write(o, value);
        }
        o.Append('}');
    }

    private static void WriteEnumerable(EdnOutput o, IEnumerable seq)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        o.Append('[');
        var first = true;
        foreach (var item in seq)
        {
            if (!first) o.Append(' ');
            first = false;
            Write(o, item);
        }
        o.Append(']');
    }

    private static void WriteInteger(EdnOutput o, long value)
    {
        var span = o.GetSpan(20);
        value.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
        o.Advance(n);
    }

    private static void WriteDouble(EdnOutput o, double d)
    {
        if (!double.IsFinite(d))
        {
            o.Append(double.IsNaN(d) ? "##NaN" : d > 0 ? "##Inf" : "##-Inf");
            return;
        }
        var span = o.GetSpan(32);
        d.TryFormat(span, out var n, "R", CultureInfo.InvariantCulture);
        o.Advance(n);
        if (span[..n].IndexOfAny('.', 'E') < 0) o.Append(".0");
    }

    private static void WriteFloat(EdnOutput o, float f)
    {
        if (!float.IsFinite(f))
        {
            o.Append(float.IsNaN(f) ? "##NaN" : f > 0 ? "##Inf" : "##-Inf");
            return;
        }
        var span = o.GetSpan(32);
        f.TryFormat(span, out var n, "R", CultureInfo.InvariantCulture);
        o.Advance(n);
        if (span[..n].IndexOfAny('.', 'E') < 0) o.Append(".0");
    }

    private static void WriteChar(EdnOutput o, char c)
    {
        switch (c)
        {
            case '\n': o.Append("\\newline"); return;
            case ' ': o.Append("\\space"); return;
            case '\t': o.Append("\\tab"); return;
            case '\r': o.Append("\\return"); return;
            case '\b': o.Append("\\backspace"); return;
            case '\f': o.Append("\\formfeed"); return;
        }
        if (c < ' ' || c is >= '\u007F' and <= '\u009F' || char.IsSurrogate(c) || char.IsWhiteSpace(c))
        {
            WriteUnicodeEscape(o, c);
            return;
        }
        o.Append('\\');
        o.Append(c);
    }

    private static void WriteString(EdnOutput o, string s)
    {
        o.Append('"');
        var span = s.AsSpan();
        var run = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c < '\u007F' ? c >= ' ' && c != '"' && c != '\\' : c >= '\u00A0' && !char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
                continue;
            }
            if (i > run) o.Append(span[run..i]);
            switch (c)
            {
                case '"': o.Append("\\\""); break;
                case '\\': o.Append("\\\\"); break;
                case '\n': o.Append("\\n"); break;
                case '\t': o.Append("\\t"); break;
                case '\r': o.Append("\\r"); break;
                case '\b': o.Append("\\b"); break;
                case '\f': o.Append("\\f"); break;
                default: WriteUnicodeEscape(o, c); break;
            }
            run = i + 1;
        }
        if (run < span.Length) o.Append(span[run..]);
        o.Append('"');
    }

    private static void WriteUnicodeEscape(EdnOutput o, char c)
    {
        const string hex = "0123456789ABCDEF";
        var span = o.GetSpan(6);
        span[0] = '\\';
        span[1] = 'u';
        span[2] = hex[(c >> 12) & 0xF];
        span[3] = hex[(c >> 8) & 0xF];
        span[4] = hex[(c >> 4) & 0xF];
        span[5] = hex[c & 0xF];
        o.Advance(6);
    }

    /// <summary><c>#inst "yyyy-MM-ddTHH:mm:ss.fff[ffff]Z"</c>: milliseconds always, more digits only when non-zero.</summary>
    private static void WriteInstant(EdnOutput o, DateTime utc)
    {
        o.Append("#inst \"");
        var span = o.GetSpan(32);
        var n = 0;
        Digits(span, ref n, utc.Year, 4);
        span[n++] = '-';
        Digits(span, ref n, utc.Month, 2);
        span[n++] = '-';
        Digits(span, ref n, utc.Day, 2);
        span[n++] = 'T';
        Digits(span, ref n, utc.Hour, 2);
        span[n++] = ':';
        Digits(span, ref n, utc.Minute, 2);
        span[n++] = ':';
        Digits(span, ref n, utc.Second, 2);
        span[n++] = '.';
        var fraction = (int)(utc.Ticks % TimeSpan.TicksPerSecond);
        var digits = 7;
        while (digits > 3 && fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }
        Digits(span, ref n, fraction, digits);
        span[n++] = 'Z';
        span[n++] = '"';
        o.Advance(n);
    }

    private static void Digits(Span<char> span, ref int n, int value, int width)
    {
        for (var k = width - 1; k >= 0; k--)
        {
            span[n + k] = (char)('0' + (value % 10));
            value /= 10;
        }
        n += width;
    }

    /// <summary>Reads boxed <see cref="KeyValuePair{TKey, TValue}"/>s of any type arguments.</summary>
    private static class PairAccess
    {
        private static readonly ConcurrentDictionary<Type, (PropertyInfo Key, PropertyInfo Value)?> Pairs = new();
        private static readonly ConcurrentDictionary<Type, bool> Dictionaries = new();

        public static bool TryGetPair(object item, out object? key, out object? value)
        {
            switch (item)
            {
                case KeyValuePair<object?, object?> kv:
                    key = kv.Key;
                    value = kv.Value;
                    return true;
                case DictionaryEntry de:
                    key = de.Key;
                    value = de.Value;
                    return true;
            }
            var accessors = Pairs.GetOrAdd(item.GetType(), static t =>
                t.IsGenericType && t.GetGenericTypeDefinition() == typeof(KeyValuePair<,>)
                    ? (t.GetProperty("Key")!, t.GetProperty("Value")!)
                    : null);
            if (accessors is { } a)
            {
                key = a.Key.GetValue(item);
                value = a.Value.GetValue(item);
                return true;
            }
            key = null;
            value = null;
            return false;
        }

        public static bool IsGenericDictionary(Type type) => Dictionaries.GetOrAdd(type, static t =>
        {
            foreach (var i in t.GetInterfaces())
            {
                if (!i.IsGenericType) continue;
                var def = i.GetGenericTypeDefinition();
                if (def == typeof(IReadOnlyDictionary<,>) || def == typeof(IDictionary<,>)) return true;
            }
            return false;
        });
    }
}

/// <summary>A pooled character buffer that flushes to a <see cref="TextWriter"/> or grows to build a string.</summary>
internal sealed class EdnOutput : IDisposable
{
    private readonly TextWriter? _writer;
    private char[] _buffer;
    private int _length;

    public EdnOutput(TextWriter? writer)
    {
        _writer = writer;
        _buffer = ArrayPool<char>.Shared.Rent(writer is null ? 256 : 4096);
    }

    public void Append(char c)
    {
        if (_length == _buffer.Length) MakeRoom(1);
        _buffer[_length++] = c;
    }

    public void Append(string s) => Append(s.AsSpan());

    public void Append(ReadOnlySpan<char> s)
    {
        if (s.Length > _buffer.Length - _length)
        {
            if (_writer is not null && s.Length > _buffer.Length / 2)
            {
                Flush();
                _writer.Write(s);
                return;
            }
            MakeRoom(s.Length);
        }
        s.CopyTo(_buffer.AsSpan(_length));
        _length += s.Length;
    }

    /// <summary>At least <paramref name="size"/> writable characters; commit them with <see cref="Advance"/>.</summary>
    public Span<char> GetSpan(int size)
    {
        if (size > _buffer.Length - _length) MakeRoom(size);
        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    private void MakeRoom(int size)
    {
        if (_writer is not null)
        {
            Flush();
            if (size <= _buffer.Length) return;
        }
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + size));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Flush()
    {
        if (_writer is null || _length == 0) return;
        _writer.Write(_buffer, 0, _length);
        _length = 0;
    }

    public override string ToString() => new(_buffer, 0, _length);

    public void Dispose()
    {
        var b = _buffer;
        _buffer = Array.Empty<char>();
        _length = 0;
        if (b.Length > 0) ArrayPool<char>.Shared.Return(b);
    }
}
