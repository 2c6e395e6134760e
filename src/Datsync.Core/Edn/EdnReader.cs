using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Datsync.Core;

/// <summary>
/// Reads EDN text into .NET values.
/// </summary>
/// <remarks>
/// Representation: nil → <c>null</c>; booleans → <see cref="bool"/>; strings → <see cref="string"/>;
/// characters → <see cref="char"/>; integers → <see cref="long"/>, or <see cref="BigInteger"/> when suffixed
/// <c>N</c> or outside the range of <c>long</c>; floats → <see cref="double"/>, or <see cref="decimal"/> when suffixed
/// <c>M</c>; <c>##NaN</c>, <c>##Inf</c>, <c>##-Inf</c> → the <see cref="double"/> specials; keywords →
/// <see cref="Keyword"/>; symbols → <see cref="Symbol"/>; <c>(...)</c> → <see cref="EdnList"/>; <c>[...]</c> →
/// <see cref="EdnVector"/>; <c>{...}</c> → <see cref="EdnMap"/>; <c>#{...}</c> → <see cref="EdnSet"/>;
/// <c>#inst "..."</c> → <see cref="DateTime"/> (UTC); <c>#uuid "..."</c> → <see cref="Guid"/>; <c>#uri "..."</c> →
/// <see cref="Uri"/>; any other <c>#tag form</c> → <see cref="TaggedValue"/>.
/// Malformed text throws <see cref="EdnReadException"/>.
/// </remarks>
public static class EdnReader
{
    /// <summary>Reads exactly one form; anything but whitespace, comments and discarded forms after it is an error.</summary>
    /// <exception cref="EdnReadException">The text is not exactly one well-formed EDN form.</exception>
    public static object? Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new EdnParser(text).ReadSingle();
    }

    /// <summary>Reads exactly one form from the rest of <paramref name="reader"/>.</summary>
    /// <exception cref="EdnReadException">The text is not exactly one well-formed EDN form.</exception>
    public static object? Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Read(reader.ReadToEnd());
    }

    /// <summary>Reads every top-level form (possibly none).</summary>
    /// <exception cref="EdnReadException">The text is not a sequence of well-formed EDN forms.</exception>
    public static IReadOnlyList<object?> ReadAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new EdnParser(text).ReadAll();
    }

    /// <summary>Reads every top-level form from the rest of <paramref name="reader"/>.</summary>
    /// <exception cref="EdnReadException">The text is not a sequence of well-formed EDN forms.</exception>
    public static IReadOnlyList<object?> ReadAll(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadAll(reader.ReadToEnd());
    }
}

/// <summary>The hand-written scanner/parser behind <see cref="EdnReader"/>. One instance per text.</summary>
internal sealed class EdnParser
{
    private enum Kind : byte
    {
        List,
        Vector,
        Map,
        Set,
        Tag,     // #tag form: the form is next
        Discard, // #_ form: the form is next, then dropped
    }

    /// <summary>An open collection, tag or discard. Nesting lives on an explicit stack of these, not on the thread's
    /// stack, so the depth is bounded by <see cref="CoreLimits.MaxEdnNestingDepth"/> alone.</summary>
    private struct Frame
    {
        public Kind Kind;
        public int Start;     // offset of the opener or of '#'
        public int BaseSp;    // collections: the first element's slot in _stack
        public int TagLength; // tags: the name follows the '#'
    }

    private const int SmallLongMin = -128;
    private const int SmallLongMax = 1023;
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;
    private static readonly object[] SmallLongs = CreateSmallLongs();

    // ASCII classification: bit 1 = delimiter (ends a token), bit 2 = whitespace, bit 4 = symbol constituent.
    private const byte Delim = 1;
    private const byte Space = 2;
    private const byte SymChar = 4;
    private static readonly byte[] Ascii = CreateAsciiTable();

    private readonly string _s;
    private int _pos;
    private object?[] _stack = new object?[64];
    private int[] _stackPos = new int[64];
    private int _sp;
    private StringBuilder? _sb;

    private readonly int _maxDepth;
    private Frame[] _frames = new Frame[16];
    private int _fp;

    public EdnParser(string text, CoreLimits? limits = null)
    {
        _s = text;
        _maxDepth = (limits ?? CoreLimits.Current).MaxEdnNestingDepth;
        if (text.Length > 0 && text[0] == '\uFEFF') _pos = 1; // byte-order mark
    }

    public object? ReadSingle()
    {
        SkipIgnorable();
        if (_pos >= _s.Length) throw Error(_pos, "unexpected end of input: expected a form");
        var c = _s[_pos];
        if (c is ')' or ']' or '}') throw Error(_pos, $"unmatched '{c}'");
        var value = ReadForm();
        SkipIgnorable();
        if (_pos < _s.Length) throw Error(_pos, "unexpected content after the form; expected end of input");
        return value;
    }

    public List<object?> ReadAll()
    {
        var result = new List<object?>();
        while (true)
        {
            SkipIgnorable();
            if (_pos >= _s.Length) return result;
            var c = _s[_pos];
            if (c is ')' or ']' or '}') throw Error(_pos, $"unmatched '{c}'");
            result.Add(ReadForm());
        }
    }

    // ---------------------------------------------------------------- whitespace, comments, discard

    private void SkipWhitespace()
    {
        var s = _s;
        var i = _pos;
        while ((uint)i < (uint)s.Length)
        {
            var c = s[i];
            if (c < 128)
            {
                if ((Ascii[c] & Space) != 0)
                {
                    i++;
                    continue;
                }
                if (c == ';')
                {
                    var nl = s.AsSpan(i).IndexOf('\n');
                    i = nl < 0 ? s.Length : i + nl + 1;
                    continue;
                }
                break;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            break;
        }
        _pos = i;
    }

    /// <summary>Skips whitespace, comments and <c>#_ form</c> discards between top-level forms.</summary>
    private void SkipIgnorable()
    {
        while (true)
        {
            SkipWhitespace();
            if (_pos + 1 < _s.Length && _s[_pos] == '#' && _s[_pos + 1] == '_')
            {
                Push(Kind.Discard, _pos, 0);
                _pos += 2;
                Read(discarding: true);
                continue;
            }
            return;
        }
    }

    // ---------------------------------------------------------------- forms

    /// <summary>Reads the form at <see cref="_pos"/> (not whitespace, a closer or the end).</summary>
    private object? ReadForm() => Read(discarding: false);

    /// <summary>
    /// The reading loop. Each step either starts a form (a scalar is complete at once; an opener, a tag or a discard
    /// pushes a frame) or takes the next element of the innermost frame; a complete value goes to the frame that
    /// waits for it. Returns when the frame it started with (or, discarding, the one it was given) is complete.
    /// </summary>
    private object? Read(bool discarding)
    {
        var s = _s;
        var floor = discarding ? _fp - 1 : _fp;
        object? value;
        int valueStart;
        if (discarding) goto Operand;

        Form:
        {
            var c = s[_pos];
            valueStart = _pos;
            switch (c)
            {
                case '(':
                    Push(Kind.List, _pos, 1);
                    goto Items;
                case '[':
                    Push(Kind.Vector, _pos, 1);
                    goto Items;
                case '{':
                    Push(Kind.Map, _pos, 1);
                    goto Items;
                case '#':
                    if (_pos + 1 < s.Length)
                    {
                        var d = s[_pos + 1];
                        if (d == '{')
                        {
                            Push(Kind.Set, _pos, 2);
                            goto Items;
                        }
                        if (char.IsLetter(d))
                        {
                            var end = ScanToken(_pos + 1);
                            var tag = s.AsSpan(_pos + 1, end - _pos - 1);
                            CheckWholeCharacters(tag, _pos + 1, "a tag");
                            if (!IsValidSymbol(tag, keyword: false)) throw Error(_pos, $"invalid tag #{Truncate(tag)}");
                            Push(Kind.Tag, _pos, 0);
                            _frames[_fp - 1].TagLength = tag.Length;
                            _pos = end;
                            goto Operand;
                        }
                    }
                    value = ReadDispatch();
                    goto Deliver;
                default:
                    value = ReadScalar(c);
                    goto Deliver;
            }
        }

        Items: // the innermost frame is a collection: its next element, or its end
        {
            SkipWhitespace();
            ref var f = ref _frames[_fp - 1];
            if (_pos >= s.Length) throw Error(f.Start, $"unterminated {KindName(f.Kind)}");
            var c = s[_pos];
            if (c == '#' && _pos + 1 < s.Length && s[_pos + 1] == '_')
            {
                Push(Kind.Discard, _pos, 0);
                _pos += 2;
                goto Operand;
            }
            var close = f.Kind switch
            {
                Kind.List => ')',
                Kind.Vector => ']',
                _ => '}',
            };
            if (c == close)
            {
                _pos++;
                valueStart = f.Start;
                value = Close(ref f);
                _fp--;
                goto Deliver;
            }
            if (c is ')' or ']' or '}')
            {
                var (line, column) = LineColumn(f.Start);
                throw Error(_pos, $"unexpected '{c}': expected '{close}' to close the {KindName(f.Kind)} opened at line {line}, column {column}");
            }
            goto Form;
        }

        Operand: // the innermost frame is a tag or a discard: the form it applies to
        {
            SkipWhitespace();
            ref var f = ref _frames[_fp - 1];
            if (_pos + 1 < s.Length && s[_pos] == '#' && s[_pos + 1] == '_')
            {
                Push(Kind.Discard, _pos, 0);
                _pos += 2;
                goto Operand;
            }
            if (_pos >= s.Length || s[_pos] is ')' or ']' or '}')
            {
                if (f.Kind == Kind.Discard) throw Error(f.Start, "#_ must be followed by a form to discard");
                throw Error(f.Start, $"the tag #{Truncate(s.AsSpan(f.Start + 1, f.TagLength))} must be followed by a form");
            }
            goto Form;
        }

        Deliver: // a complete value: to the frame that waits for it
        while (true)
        {
            if (_fp == floor) return value;
            ref var f = ref _frames[_fp - 1];
            switch (f.Kind)
            {
                case Kind.Tag:
                    valueStart = f.Start;
                    value = Tagged(f.Start, s.AsSpan(f.Start + 1, f.TagLength), value);
                    _fp--;
                    continue;
                case Kind.Discard:
                    _fp--;
                    if (_fp == floor) return null;
                    if (_frames[_fp - 1].Kind is Kind.Tag or Kind.Discard) goto Operand;
                    goto Items;
                default:
                    if (_sp == _stack.Length) GrowStack();
                    _stack[_sp] = value;
                    _stackPos[_sp] = valueStart;
                    _sp++;
                    goto Items;
            }
        }
    }

    private void Push(Kind kind, int start, int openerLength)
    {
        if (_fp >= _maxDepth)
        {
            var what = kind switch
            {
                Kind.Tag => "tagged literals",
                Kind.Discard => "discards",
                _ => "collections",
            };
            throw Error(start, string.Create(CultureInfo.InvariantCulture, $"{what} are nested more than {_maxDepth:N0} deep (the limit is CoreLimits.MaxEdnNestingDepth)"));
        }
        if (_fp == _frames.Length) Array.Resize(ref _frames, _fp * 2);
        _frames[_fp++] = new Frame { Kind = kind, Start = start, BaseSp = _sp };
        _pos = start + openerLength;
    }

    /// <summary>Reads the scalar form starting at <see cref="_pos"/>, whose first character is <paramref name="c"/>.</summary>
    private object? ReadScalar(char c)
    {
        switch (c)
        {
            case '"':
                return ReadString();
            case ':':
                return ReadKeyword();
            case '\\':
                return ReadCharacter();
            default:
                if (IsDigit(c)) return ReadNumber();
                if ((c == '+' || c == '-') && _pos + 1 < _s.Length && IsDigit(_s[_pos + 1])) return ReadNumber();
                return ReadSymbolOrConstant();
        }
    }

    /// <summary>The value of a collection frame whose closer was just read.</summary>
    private object Close(ref Frame f)
    {
        var kind = f.Kind;
        var opener = f.Start;
        var baseSp = f.BaseSp;
        var count = _sp - baseSp;
        _sp = baseSp;
        switch (kind)
        {
            case Kind.Vector:
                return EdnVector.Wrap(TakeItems(baseSp, count));
            case Kind.List:
                return EdnList.Wrap(TakeItems(baseSp, count));
            case Kind.Set:
            {
                EdnSet? set;
                int dup;
                try
                {
                    set = EdnSet.TryCreateOwned(TakeItems(baseSp, count), out dup);
                }
                catch (InsufficientExecutionStackException)
                {
                    throw TooDeepToCompare(opener);
                }
                if (set is null)
                {
                    throw Error(_stackPos[baseSp + dup], $"duplicate set element {EdnPrinter.Describe(_stack[baseSp + dup])}");
                }
                return set;
            }
            default:
            {
                if ((count & 1) != 0)
                {
                    throw Error(opener, "a map literal must contain an even number of forms (a key has no value)");
                }
                var entries = new KeyValuePair<object?, object?>[count / 2];
                for (var i = 0; i < entries.Length; i++)
                {
                    entries[i] = new KeyValuePair<object?, object?>(_stack[baseSp + (2 * i)], _stack[baseSp + (2 * i) + 1]);
                }
                EdnMap? map;
                int dup;
                try
                {
                    map = EdnMap.TryCreateOwned(entries, out dup);
                }
                catch (InsufficientExecutionStackException)
                {
                    throw TooDeepToCompare(opener);
                }
                if (map is null)
                {
                    throw Error(_stackPos[baseSp + (2 * dup)], $"duplicate map key {EdnPrinter.Describe(entries[dup].Key)}");
                }
                return map;
            }
        }
    }

    /// <summary>Elements of a set or map too deep to hash or compare on this thread's stack.</summary>
    private EdnReadException TooDeepToCompare(int opener) => Error(opener, "collections are nested too deeply to compare their elements");

    private object?[] TakeItems(int from, int count)
    {
        if (count == 0) return Array.Empty<object?>();
        var items = new object?[count];
        Array.Copy(_stack, from, items, 0, count);
        return items;
    }

    private void GrowStack()
    {
        Array.Resize(ref _stack, _stack.Length * 2);
        Array.Resize(ref _stackPos, _stackPos.Length * 2);
    }

    private static string KindName(Kind kind) => kind switch
    {
        Kind.List => "list",
        Kind.Vector => "vector",
        Kind.Map => "map",
        _ => "set",
    };

    // ---------------------------------------------------------------- strings and characters

    private string ReadString()
    {
        var s = _s;
        var start = _pos;
        var i = start + 1;
        var rel = s.AsSpan(i).IndexOfAny('"', '\\');
        if (rel < 0) throw Error(start, "unterminated string");
        if (s[i + rel] == '"')
        {
            _pos = i + rel + 1;
            if (rel == 0) return string.Empty;
            CheckSurrogates(s.AsSpan(i, rel), i, exact: true);
            return s.Substring(i, rel);
        }

        var sb = _sb ??= new StringBuilder();
        sb.Clear();
        while (true)
        {
            sb.Append(s, i, rel);
            i += rel;
            if (s[i] == '"')
            {
                _pos = i + 1;
                var text = sb.ToString();
                CheckSurrogates(text, start, exact: false);
                return text;
            }

            var escape = i;
            i++;
            if (i >= s.Length) throw Error(start, "unterminated string");
            var e = s[i++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    if (!TryHex4(s, i, out var u)) throw Error(escape, "invalid \\u escape in string: expected four hexadecimal digits");
                    sb.Append(u);
                    i += 4;
                    break;
                default:
                    throw Error(escape, $"unsupported escape sequence \\{e} in string");
            }

            rel = s.AsSpan(i).IndexOfAny('"', '\\');
            if (rel < 0) throw Error(start, "unterminated string");
        }
    }

    private object ReadCharacter()
    {
        var s = _s;
        var start = _pos;
        var first = start + 1;
        if (first >= s.Length) throw Error(start, "a character literal needs a character after the backslash");
        var c = s[first];
        if (IsWhitespaceOnly(c)) throw Error(start, "a character literal needs a character after the backslash, not whitespace");
        var end = ScanToken(first + 1);
        _pos = end;
        var token = s.AsSpan(first, end - first);
        if (token.Length == 1) return c;
        switch (token)
        {
            case "newline": return '\n';
            case "space": return ' ';
            case "tab": return '\t';
            case "return": return '\r';
            case "backspace": return '\b';
            case "formfeed": return '\f';
        }
        if (token.Length == 5 && token[0] == 'u' && TryHex4(s, first + 1, out var u)) return u;
        if (token.Length == 2 && char.IsSurrogatePair(token[0], token[1]))
        {
            throw Error(start, "character literals outside the Basic Multilingual Plane are not supported; use a string");
        }
        throw Error(start, $"invalid character literal \\{Truncate(token)}");
    }

    private static bool TryHex4(string s, int at, out char value)
    {
        value = '\0';
        if (at + 4 > s.Length) return false;
        var v = 0;
        for (var k = 0; k < 4; k++)
        {
            var d = HexValue(s[at + k]);
            if (d < 0) return false;
            v = (v << 4) | d;
        }
        value = (char)v;
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    // ---------------------------------------------------------------- numbers

    private object ReadNumber()
    {
        var start = _pos;
        var end = ScanToken(start);
        _pos = end;
        var tok = _s.AsSpan(start, end - start);

        var i = 0;
        var negative = false;
        if (tok[0] is '+' or '-')
        {
            negative = tok[0] == '-';
            i = 1;
        }
        var digitsStart = i;
        while (i < tok.Length && IsDigit(tok[i])) i++;
        var intDigits = i - digitsStart;
        var isFloat = false;
        if (i < tok.Length && tok[i] == '.')
        {
            isFloat = true;
            i++;
            while (i < tok.Length && IsDigit(tok[i])) i++;
        }
        if (i < tok.Length && tok[i] is 'e' or 'E')
        {
            isFloat = true;
            i++;
            if (i < tok.Length && tok[i] is '+' or '-') i++;
            var expStart = i;
            while (i < tok.Length && IsDigit(tok[i])) i++;
            if (i == expStart) throw Error(start, $"invalid number {Truncate(tok)}: the exponent has no digits");
        }
        var suffix = '\0';
        if (i < tok.Length && tok[i] is 'N' or 'M')
        {
            suffix = tok[i];
            i++;
        }
        if (i != tok.Length)
        {
            if (tok[i] == '/') throw Error(start, $"ratios are not supported: {Truncate(tok)}");
            if (tok[i] is 'x' or 'X' && intDigits == 1 && tok[digitsStart] == '0') throw Error(start, $"hexadecimal numbers are not valid EDN: {Truncate(tok)}");
            throw Error(start, $"invalid number {Truncate(tok)}");
        }
        if (intDigits > 1 && tok[digitsStart] == '0')
        {
            throw Error(start, $"invalid number {Truncate(tok)}: only 0 itself may start with the digit 0");
        }

        var numeric = suffix == '\0' ? tok : tok[..^1];
        if (suffix == 'M')
        {
            decimal m;
            try
            {
                m = decimal.Parse(numeric, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                throw Error(start, $"decimal {Truncate(tok)} is outside the range of System.Decimal (about ±7.9e28)");
            }
            if (m == 0m && HasNonZeroMantissaDigit(numeric))
            {
                throw Error(start, $"decimal {Truncate(tok)} is too small for System.Decimal (it would read as zero)");
            }
            return m;
        }
        if (isFloat)
        {
            if (suffix == 'N') throw Error(start, $"invalid number {Truncate(tok)}: N applies to integers only");
            return double.Parse(numeric, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        if (suffix == 'N') return BigInteger.Parse(numeric, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        // Plain integer: accumulate the magnitude; fall back to BigInteger beyond the range of long.
        if (intDigits <= 19)
        {
            ulong magnitude = 0;
            for (var k = digitsStart; k < tok.Length; k++) magnitude = (magnitude * 10) + (ulong)(tok[k] - '0');
            if (!negative && magnitude <= long.MaxValue) return BoxLong((long)magnitude);
            if (negative && magnitude <= 9223372036854775808UL) return BoxLong(unchecked(-(long)magnitude));
        }
        return BigInteger.Parse(numeric, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    private static bool HasNonZeroMantissaDigit(ReadOnlySpan<char> numeric)
    {
        foreach (var c in numeric)
        {
            if (c is 'e' or 'E') return false;
            if (c is >= '1' and <= '9') return true;
        }
        return false;
    }

    private static object BoxLong(long value) =>
        value is >= SmallLongMin and <= SmallLongMax ? SmallLongs[value - SmallLongMin] : value;

    private static object[] CreateSmallLongs()
    {
        var a = new object[SmallLongMax - SmallLongMin + 1];
        for (var i = 0; i < a.Length; i++) a[i] = (long)(i + SmallLongMin);
        return a;
    }

    // ---------------------------------------------------------------- symbols, keywords, constants

    private object? ReadSymbolOrConstant()
    {
        var start = _pos;
        var end = ScanToken(start);
        if (end == start) throw Error(start, $"unexpected character {DescribeChar(_s[start])}");
        _pos = end;
        var tok = _s.AsSpan(start, end - start);
        CheckWholeCharacters(tok, start, "a symbol");
        switch (tok)
        {
            case "nil": return null;
            case "true": return BoxedTrue;
            case "false": return BoxedFalse;
        }
        if (IsValidSymbol(tok, keyword: false)) return new Symbol(tok.ToString());
        if (!IsSymbolStart(tok[0], keyword: false)) throw Error(start, $"unexpected character {DescribeChar(tok[0])}");
        throw Error(start, $"invalid symbol {Truncate(tok)}");
    }

    private Keyword ReadKeyword()
    {
        var start = _pos;
        var end = ScanToken(start + 1);
        _pos = end;
        var name = _s.AsSpan(start + 1, end - start - 1);
        if (name.IsEmpty) throw Error(start, "a keyword needs a name after ':'");
        CheckWholeCharacters(name, start + 1, "a keyword");
        if (name[0] == ':') throw Error(start, $"auto-resolved keywords (::) are not valid EDN: {Truncate(_s.AsSpan(start, end - start))}");
        if (!IsValidSymbol(name, keyword: true)) throw Error(start, $"invalid keyword :{Truncate(name)}");
        return Keyword.InternChars(name);
    }

    /// <summary>
    /// EDN symbol rules: one optional <c>/</c> separating non-empty namespace and name (or <c>/</c> alone, or
    /// <c>ns//</c>); parts start with a non-digit (keywords may start with a digit, as Clojure reads them), and
    /// a leading <c>+ - .</c> is not followed by a digit.
    /// </summary>
    internal static bool IsValidSymbol(ReadOnlySpan<char> tok, bool keyword)
    {
        if (tok.Length == 1 && tok[0] == '/') return true;
        var slash = tok.IndexOf('/');
        if (slash < 0) return IsValidPart(tok, keyword);
        var ns = tok[..slash];
        var name = tok[(slash + 1)..];
        if (ns.IsEmpty || name.IsEmpty || !IsValidPart(ns, keyword)) return false;
        return (name.Length == 1 && name[0] == '/') || IsValidPart(name, keyword);
    }

    private static bool IsValidPart(ReadOnlySpan<char> part, bool keyword)
    {
        var c0 = part[0];
        if (!IsSymbolStart(c0, keyword)) return false;
        if (!keyword && c0 is '+' or '-' or '.' && part.Length > 1 && IsDigit(part[1])) return false;
        for (var i = 1; i < part.Length; i++)
        {
            var c = part[i];
            if (c == '/' || !IsSymbolChar(c)) return false;
        }
        return true;
    }

    private static bool IsSymbolStart(char c, bool keyword)
    {
        if (!IsSymbolChar(c) || c is '/' or ':' or '#' or '\'' or '\uFEFF') return false;
        return keyword || !IsDigit(c);
    }

    private static bool IsSymbolChar(char c)
    {
        if (c < 128) return (Ascii[c] & SymChar) != 0;
        return !char.IsWhiteSpace(c) && !char.IsControl(c);
    }

    // ---------------------------------------------------------------- dispatch: sets, tags, ##specials

    /// <summary>A <c>#</c> form that does not nest (sets and tags are frames): <c>##NaN</c> and friends, or an error.</summary>
    private object? ReadDispatch()
    {
        var s = _s;
        var start = _pos;
        if (start + 1 >= s.Length) throw Error(start, "'#' at end of input");
        var d = s[start + 1];
        if (d == '#')
        {
            var end = ScanToken(start + 2);
            _pos = end;
            var name = s.AsSpan(start + 2, end - start - 2);
            switch (name)
            {
                case "NaN": return double.NaN;
                case "Inf": return double.PositiveInfinity;
                case "-Inf": return double.NegativeInfinity;
            }
            throw Error(start, $"unknown symbolic value ##{Truncate(name)}");
        }
        if (d == '"') throw Error(start, "regular expressions (#\"...\") are not valid EDN");
        if (d == ':') throw Error(start, "namespaced map literals (#:ns{...}) are not valid EDN");
        throw Error(start, $"unsupported dispatch #{DescribeChar(d)}");
    }

    /// <summary>The value of <c>#tag form</c>: <c>#inst</c>, <c>#uuid</c> and <c>#uri</c> are read, other tags kept.</summary>
    private object Tagged(int start, ReadOnlySpan<char> tag, object? value)
    {
        switch (tag)
        {
            case "inst":
                if (value is not string instText) throw Error(start, "#inst must be followed by a string");
                if (!TryParseInstant(instText, out var instant)) throw Error(start, $"invalid #inst timestamp \"{Truncate(instText)}\" (expected RFC 3339, e.g. 2024-01-31T12:00:00.000Z)");
                return instant;
            case "uuid":
                if (value is not string uuidText) throw Error(start, "#uuid must be followed by a string");
                if (!Guid.TryParseExact(uuidText, "D", out var guid)) throw Error(start, $"invalid #uuid \"{Truncate(uuidText)}\" (expected 8-4-4-4-12 hexadecimal digits)");
                return guid;
            case "uri":
                if (value is not string uriText) throw Error(start, "#uri must be followed by a string");
                if (!Uri.TryCreate(uriText, UriKind.RelativeOrAbsolute, out var uri)) throw Error(start, $"invalid #uri \"{Truncate(uriText)}\"");
                return uri;
            default:
                return new TaggedValue(new Symbol(tag.ToString()), value);
        }
    }

    /// <summary>
    /// RFC 3339 timestamps, with the truncations Clojure accepts: <c>yyyy[-MM[-dd[THH:mm[:ss[.fraction]]]]][Z|±HH:MM]</c>.
    /// Fractions are kept to 100 ns (further digits are truncated); offsets are converted to UTC.
    /// </summary>
    internal static bool TryParseInstant(string text, out DateTime result)
    {
        result = default;
        var s = text.AsSpan();
        var i = 0;
        if (!TakeDigits(s, ref i, 4, out var year)) return false;
        int month = 1, day = 1, hour = 0, minute = 0, second = 0;
        long fraction = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
            if (!TakeDigits(s, ref i, 2, out month)) return false;
            if (i < s.Length && s[i] == '-')
            {
                i++;
                if (!TakeDigits(s, ref i, 2, out day)) return false;
                if (i < s.Length && s[i] is 'T' or 't')
                {
                    i++;
                    if (!TakeDigits(s, ref i, 2, out hour) || i >= s.Length || s[i] != ':') return false;
                    i++;
                    if (!TakeDigits(s, ref i, 2, out minute)) return false;
                    if (i < s.Length && s[i] == ':')
                    {
                        i++;
                        if (!TakeDigits(s, ref i, 2, out second)) return false;
                        if (i < s.Length && s[i] == '.')
                        {
                            i++;
                            var fracStart = i;
                            while (i < s.Length && IsDigit(s[i]))
                            {
                                if (i - fracStart < 7) fraction = (fraction * 10) + (s[i] - '0');
                                i++;
                            }
                            var digits = i - fracStart;
                            if (digits == 0) return false;
                            for (var k = digits; k < 7; k++) fraction *= 10;
                        }
                    }
                }
            }
        }
        var offsetMinutes = 0;
        if (i < s.Length)
        {
            var c = s[i];
            if (c is 'Z' or 'z')
            {
                i++;
            }
            else if (c is '+' or '-')
            {
                i++;
                if (!TakeDigits(s, ref i, 2, out var oh) || i >= s.Length || s[i] != ':') return false;
                i++;
                if (!TakeDigits(s, ref i, 2, out var om) || oh > 23 || om > 59) return false;
                offsetMinutes = ((oh * 60) + om) * (c == '-' ? -1 : 1);
            }
            else
            {
                return false;
            }
        }
        if (i != s.Length) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        if (hour > 23 || minute > 59 || second > 59) return false;
        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + fraction
                    - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return false;
        result = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    private static bool TakeDigits(ReadOnlySpan<char> s, ref int i, int count, out int value)
    {
        value = 0;
        if (i + count > s.Length) return false;
        for (var k = 0; k < count; k++)
        {
            var c = s[i + k];
            if (!IsDigit(c)) return false;
            value = (value * 10) + (c - '0');
        }
        i += count;
        return true;
    }

    // ---------------------------------------------------------------- helpers

    private int ScanToken(int from)
    {
        var s = _s;
        var i = from;
        while ((uint)i < (uint)s.Length)
        {
            var c = s[i];
            if (c < 128 ? (Ascii[c] & Delim) != 0 : char.IsWhiteSpace(c)) break;
            i++;
        }
        return i;
    }

    private static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    private static bool IsWhitespaceOnly(char c) => c < 128 ? (Ascii[c] & Space) != 0 && c != ',' : char.IsWhiteSpace(c);

    private static byte[] CreateAsciiTable()
    {
        var t = new byte[128];
        foreach (var c in " \t\n\r\f\v,") t[c] |= Space | Delim;
        foreach (var c in "()[]{}\";\\") t[c] |= Delim;
        for (var c = 'a'; c <= 'z'; c++) t[c] |= SymChar;
        for (var c = 'A'; c <= 'Z'; c++) t[c] |= SymChar;
        for (var c = '0'; c <= '9'; c++) t[c] |= SymChar;
        foreach (var c in ".*+!-_?$%&=<>:#'/") t[c] |= SymChar;
        return t;
    }

    private static string DescribeChar(char c) =>
        c < ' ' || c == 0x7F || char.IsWhiteSpace(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : $"'{c}'";

    private static string Truncate(ReadOnlySpan<char> text) => EdnPrinter.DescribeText(text);


    /// <summary>Keywords, symbols and tags hold whole characters too (see <see cref="CheckSurrogates"/>).</summary>
    private void CheckWholeCharacters(ReadOnlySpan<char> token, int offset, string what)
    {
        var at = Utf8Strict.IndexOfUnpairedSurrogate(token);
        if (at >= 0) throw Error(offset + at, $"{what} contains an unpaired surrogate U+{(int)token[at]:X4}");
    }

    /// <summary>Strings must hold whole characters: an unpaired surrogate has no UTF-8 form and would be stored as U+FFFD.</summary>
    private void CheckSurrogates(ReadOnlySpan<char> text, int offset, bool exact)
    {
        var at = Utf8Strict.IndexOfUnpairedSurrogate(text);
        if (at < 0) return;
        var where = exact ? offset + at : offset;
        throw Error(where, $"string contains an unpaired surrogate U+{(int)text[at]:X4} (at character {at} of the string)");
    }

    private (int Line, int Column) LineColumn(int offset)
    {
        var before = _s.AsSpan(0, Math.Min(offset, _s.Length));
        var line = before.Count('\n') + 1;
        var lastNewline = before.LastIndexOf('\n');
        return (line, offset - lastNewline);
    }

    private EdnReadException Error(int offset, string reason)
    {
        var (line, column) = LineColumn(offset);
        return new EdnReadException(reason, line, column, offset);
    }
}
