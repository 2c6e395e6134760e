using System.Buffers;
using System.Text;

namespace Datsync.Core;

/// <summary>
/// Decodes UTF-8 text strictly: invalid bytes are an error instead of becoming U+FFFD, so a value is stored as it
/// was sent or not at all. Every place that turns bytes into EDN text should decode through here.
/// </summary>
public static class Utf8Strict
{
    /// <summary>The text of <paramref name="bytes"/> (a leading byte-order mark is kept; the reader skips it).</summary>
    /// <exception cref="EdnReadException">The bytes are not valid UTF-8; the position is that of the first bad byte.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var at = 0;
        while (at < bytes.Length && Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) == OperationStatus.Done) at += consumed;
        var before = bytes[..at];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        var line = before.Count((byte)'\n') + 1;
        var column = Encoding.UTF8.GetCharCount(before[lineStart..]) + 1;
        throw new EdnReadException($"invalid UTF-8: byte 0x{bytes[at]:X2} at byte offset {at} does not start or continue a character", line, column, Encoding.UTF8.GetCharCount(before));
    }

    /// <summary>The index of the first surrogate that is not half of a pair, or -1.</summary>
    internal static int IndexOfUnpairedSurrogate(ReadOnlySpan<char> text)
    {
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return i;
            i += 2;
            var next = text[i..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + next;
        }
        return -1;
    }
}
