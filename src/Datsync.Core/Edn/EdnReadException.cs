namespace Datsync.Core;

/// <summary>Malformed EDN text. <see cref="Line"/> and <see cref="Column"/> are 1-based.</summary>
public sealed class EdnReadException : FormatException
{
    /// <summary>An error at the given 1-based position.</summary>
    public EdnReadException(string reason, int line, int column)
        : this(reason, line, column, -1)
    {
    }

    /// <summary>An error at the given 1-based position and 0-based character offset.</summary>
    public EdnReadException(string reason, int line, int column, int offset)
        : base($"EDN read error at line {line}, column {column}: {reason}")
    {
        Reason = reason;
        Line = line;
        Column = column;
        Offset = offset;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>1-based line of the error (lines end at <c>\n</c>).</summary>
    public int Line { get; }

    /// <summary>1-based column of the error, in UTF-16 code units.</summary>
    public int Column { get; }

    /// <summary>0-based character offset of the error in the text, or -1 when unknown.</summary>
    public int Offset { get; }
}
