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

    /// <summary>
    /// The text of a value for an error message, never longer than <see cref="CoreLimits.MaxErrorFormLength"/> plus a
    /// short note: a longer text is cut to that many characters followed by <c>… (size)</c>. Printing stops at the
    /// bound, so a huge value costs no more than a small one. Never throws for a value that has no EDN text.
    /// </summary>
    internal static string Describe(object? value) => Describe(value, CoreLimits.Current.MaxErrorFormLength);

    internal static string Describe(object? value, int max)
    {
        var output = new EdnOutput(null, max + 1);
        try
        {
            Write(output, value);
            if (output.Length <= max) return output.ToString();
            return string.Concat(output.ToString(max), "… ", SizeNote(value));
        }
        catch (ArgumentException)
        {
            return value?.GetType().Name ?? "nil";
        }
        finally
        {
            output.Dispose();
        }
    }

    /// <summary>Raw text (a token, a timestamp) for an error message, shortened like <see cref="Describe(object?)"/>.</summary>
    internal static string DescribeText(ReadOnlySpan<char> text)
    {
        var max = CoreLimits.Current.MaxErrorFormLength;
        if (text.Length <= max) return text.ToString();
        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max; // never half a character
        return string.Concat(text[..cut], "… ", Characters(text.Length));
    }

    private static string SizeNote(object? value) => value switch
    {
        string s => Characters(s.Length),
        Keyword k => Characters(k.FullName.Length + 1),
        Symbol y => Characters(y.FullName.Length),
        EdnMap m => Count(m.Count, "entries"),
        IReadOnlyCollection<object?> c => Count(c.Count, "elements"),
        ICollection c => Count(c.Count, "elements"),
        _ => "(more)",
    };

    private static string Characters(int n) => Count(n, "characters");

    private static string Count(int n, string what) =>
        n == 1 ? $"(1 {(what == "entries" ? "entry" : what[..^1])})" : string.Create(CultureInfo.InvariantCulture, $"({n:N0} {what})");

    /// <summary>Writes any value without recursion: collections open a frame on an explicit stack, so nesting depth is
    /// bounded by memory only, never by the thread's stack.</summary>
    private static void Write(EdnOutput o, object? value)
    {
        if (TryWriteScalar(o, value)) return;
        var stack = new Frame[8];
        var sp = 0;
        Open(o, value!, ref stack[sp++]);
        try
        {
            while (sp > 0)
            {
                if (o.Full) return;
                ref var top = ref stack[sp - 1];
                if (top.RunOfScalars(o) is { } composite)
                {
                    // the run stopped at a collection: open it (growing the stack invalidates top; it is not used again)
                    if (sp == stack.Length) Array.Resize(ref stack, sp * 2);
                    Open(o, composite, ref stack[sp++]);
                    continue;
                }
                if (!top.TryNext(out var item))
                {
                    if (top.Close != '\0') o.Append(top.Close);
                    top.Dispose();
                    sp--;
                    continue;
                }
                if (top.Written++ > 0) o.Append(' ');
                if (TryWriteScalar(o, item)) continue;
                if (sp == stack.Length) Array.Resize(ref stack, sp * 2);
                Open(o, item!, ref stack[sp++]);
            }
        }
        finally
        {
            for (var i = 0; i < sp; i++) stack[i].Dispose();
        }
    }

    /// <summary>Writes the opening of a collection and sets <paramref name="f"/> to write its elements.</summary>
    private static void Open(EdnOutput o, object value, ref Frame f)
    {
        switch (value)
        {
            case EdnVector v:
                o.Append('[');
                f = Frame.OfItems(v.RawItems, ']');
                return;
            case EdnMap m:
                o.Append('{');
                f = Frame.OfEntries(m.RawEntries);
                return;
            case EdnList list:
                o.Append('(');
                f = Frame.OfItems(list.RawItems, ')');
                return;
            case EdnSet set:
                o.Append("#{");
                f = Frame.OfItems(set.RawItems, '}');
                return;
            case TaggedValue tv:
                o.Append('#');
                o.Append(tv.Tag.FullName);
                o.Append(' ');
                f = Frame.OfItems([tv.Value], '\0');
                return;
            case IDictionary dict:
                o.Append('{');
                f = Frame.OfDictionary(dict.GetEnumerator());
                return;
            case IEnumerable seq:
                var pairs = PairAccess.IsGenericDictionary(seq.GetType());
                o.Append(pairs ? '{' : '[');
                f = Frame.OfEnumerator(seq.GetEnumerator(), pairs);
                return;
            default:
                PairAccess.TryGetPair(value, out var key, out var val);
                o.Append('[');
                f = Frame.OfItems([key, val], ']');
                return;
        }
    }

    /// <summary>Writes a scalar; false (nothing written) for a collection, which <see cref="Open"/> takes.</summary>
    private static bool TryWriteScalar(EdnOutput o, object? value)
    {
        switch (value)
        {
            case null:
                o.Append("nil");
                return true;
            case string s:
                WriteString(o, s);
                return true;
            case Keyword k:
                o.Append(':');
                o.Append(k.FullName);
                return true;
            case long l:
                WriteInteger(o, l);
                return true;
            case bool b:
                o.Append(b ? "true" : "false");
                return true;
            case EdnVector or EdnMap or EdnList or EdnSet:
                return false;
            case Symbol sym:
                o.Append(sym.FullName);
                return true;
            case double d:
                WriteDouble(o, d);
                return true;
            case BigInteger big:
                o.Append(big.ToString(CultureInfo.InvariantCulture));
                o.Append('N');
                return true;
            case decimal dec:
            {
                var span = o.GetSpan(48);
                dec.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
                o.Advance(n);
                o.Append('M');
                return true;
            }
            case char c:
                WriteChar(o, c);
                return true;
            case DateTime dt:
                WriteInstant(o, dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt);
                return true;
            case DateTimeOffset dto:
                WriteInstant(o, dto.UtcDateTime);
                return true;
            case Guid g:
            {
                o.Append("#uuid \"");
                var span = o.GetSpan(36);
                g.TryFormat(span, out var n, "D");
                o.Advance(n);
                o.Append('"');
                return true;
            }
            case Uri uri:
                o.Append("#uri ");
                WriteString(o, uri.OriginalString);
                return true;
            case TaggedValue:
                return false;
            case int i:
                WriteInteger(o, i);
                return true;
            case short sh:
                WriteInteger(o, sh);
                return true;
            case byte by:
                WriteInteger(o, by);
                return true;
            case sbyte sb:
                WriteInteger(o, sb);
                return true;
            case ushort us:
                WriteInteger(o, us);
                return true;
            case uint ui:
                WriteInteger(o, ui);
                return true;
            case ulong ul:
                o.Append(ul.ToString(CultureInfo.InvariantCulture));
                return true;
            case Int128 i128:
                o.Append(i128.ToString(CultureInfo.InvariantCulture));
                return true;
            case UInt128 u128:
                o.Append(u128.ToString(CultureInfo.InvariantCulture));
                return true;
            case float f:
                WriteFloat(o, f);
                return true;
            case IEnumerable:
                return false;
            default:
                if (PairAccess.TryGetPair(value, out _, out _)) return false;
                throw new ArgumentException($"cannot print a value of type {value.GetType()} as EDN", nameof(value));
        }
    }

    /// <summary>The elements of one collection still to print; a map yields each key, then its value.</summary>
    private struct Frame
    {
        private object?[]? _items;
        private KeyValuePair<object?, object?>[]? _entries;
        private IEnumerator? _enumerator;
        private bool _pairs;      // the enumerator yields key-value pairs
        private bool _hasPending; // the value of the last key is next
        private object? _pending;
        private int _index;
        public char Close;
        public int Written;

        public static Frame OfItems(object?[] items, char close) => new() { _items = items, Close = close };

        public static Frame OfEntries(KeyValuePair<object?, object?>[] entries) => new() { _entries = entries, Close = '}' };

        public static Frame OfDictionary(IDictionaryEnumerator e) => new() { _enumerator = e, Close = '}' };

        public static Frame OfEnumerator(IEnumerator e, bool pairs) => new() { _enumerator = e, _pairs = pairs, Close = pairs ? '}' : ']' };

        /// <summary>Writes the elements of an array or map frame while they are scalars; returns the first collection
        /// (already counted and separated), or null when the frame has no array elements left.</summary>
        public object? RunOfScalars(EdnOutput o)
        {
            if (_items is { } items)
            {
                while (_index < items.Length)
                {
                    if (o.Full) return null;
                    var item = items[_index];
                    if (_index++ > 0) o.Append(' ');
                    if (!TryWriteScalar(o, item)) return item;
                }
            }
            else if (_entries is { } entries)
            {
                while (_index < entries.Length * 2)
                {
                    if (o.Full) return null;
                    var kv = entries[_index >> 1];
                    var item = (_index & 1) == 0 ? kv.Key : kv.Value;
                    if (_index++ > 0) o.Append(' ');
                    if (!TryWriteScalar(o, item)) return item;
                }
            }
            return null;
        }

        public bool TryNext(out object? item)
        {
            if (_items is not null)
            {
                if (_index < _items.Length)
                {
                    item = _items[_index++];
                    return true;
                }
            }
            else if (_entries is not null)
            {
                if (_index < _entries.Length * 2)
                {
                    var kv = _entries[_index >> 1];
                    item = (_index & 1) == 0 ? kv.Key : kv.Value;
                    _index++;
                    return true;
                }
            }
            else if (_hasPending)
            {
                item = _pending;
                _hasPending = false;
                _pending = null;
                return true;
            }
            else if (_enumerator is not null && _enumerator.MoveNext())
            {
                if (_enumerator is IDictionaryEnumerator de)
                {
                    item = de.Key;
                    _pending = de.Value;
                    _hasPending = true;
                    return true;
                }
                var current = _enumerator.Current;
                if (!_pairs)
                {
                    item = current;
                    return true;
                }
                if (current is null || !PairAccess.TryGetPair(current, out item, out _pending))
                {
                    throw new ArgumentException($"unexpected dictionary element {current?.GetType().ToString() ?? "null"}");
                }
                _hasPending = true;
                return true;
            }
            item = null;
            return false;
        }

        public void Dispose()
        {
            (_enumerator as IDisposable)?.Dispose();
            _enumerator = null;
        }
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
        if (span.Length > o.Remaining) span = span[..Math.Max(0, o.Remaining)]; // past an error's bound: the rest is cut anyway
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
    private readonly int _limit;
    private char[] _buffer;
    private int _length;

    /// <param name="writer">Where to flush, or null to build a string.</param>
    /// <param name="limit">For a string: the output stops growing past this many characters (error text).</param>
    public EdnOutput(TextWriter? writer, int limit = int.MaxValue)
    {
        _writer = writer;
        _limit = writer is null ? limit : int.MaxValue;
        _buffer = ArrayPool<char>.Shared.Rent(writer is null ? 256 : 4096);
    }

    public void Append(char c)
    {
        if (_length == _buffer.Length) MakeRoom(1);
        _buffer[_length++] = c;
    }

    public void Append(string s) => Append(s.AsSpan());

    /// <summary>Characters written so far (string output).</summary>
    public int Length => _length;

    /// <summary>True once the output reached its limit: the rest of the value is not printed.</summary>
    public bool Full => _length >= _limit;

    /// <summary>Characters the output still takes before its limit.</summary>
    public int Remaining => _limit - _length;

    public void Append(ReadOnlySpan<char> s)
    {
        if (s.Length > _limit - _length) s = s[..Math.Max(0, _limit - _length)];
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

    /// <summary>The first <paramref name="length"/> characters, one fewer when that would split a surrogate pair.</summary>
    public string ToString(int length)
    {
        length = Math.Min(length, _length);
        if (length > 0 && char.IsHighSurrogate(_buffer[length - 1])) length--;
        return new(_buffer, 0, length);
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = Array.Empty<char>();
        _length = 0;
        if (b.Length > 0) ArrayPool<char>.Shared.Return(b);
    }
}
