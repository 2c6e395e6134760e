namespace Datsync.Core;

/// <summary>
/// Bounds that keep hostile input from exhausting the stack or memory: how deep data may nest, and how much of an
/// offending form an error message shows. One process-wide value (<see cref="Current"/>); a host sets it once at
/// startup, e.g. from its configuration.
/// </summary>
public sealed record CoreLimits
{
    /// <summary>The defaults: generous for real data.</summary>
    public static CoreLimits Default { get; } = new();

    private static CoreLimits _current = Default;

    /// <summary>The limits the reader, the printer's error text and the transaction engine apply.</summary>
    public static CoreLimits Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value ?? throw new ArgumentNullException(nameof(value)));
    }

    private readonly int _maxTxNestingDepth = 1_000;
    private readonly int _maxEdnNestingDepth = 10_000;
    private readonly int _maxErrorFormLength = 200;

    /// <summary>How deep entity maps may nest in one transaction form (the outermost map is depth 1).</summary>
    public int MaxTxNestingDepth { get => _maxTxNestingDepth; init => _maxTxNestingDepth = Positive(value); }

    /// <summary>How deep collections, tagged literals and discards may nest in EDN text.</summary>
    public int MaxEdnNestingDepth { get => _maxEdnNestingDepth; init => _maxEdnNestingDepth = Positive(value); }

    /// <summary>How many characters of an offending form's printed text an error message shows.</summary>
    public int MaxErrorFormLength { get => _maxErrorFormLength; init => _maxErrorFormLength = Positive(value); }

    private static int Positive(int value) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a limit must be positive");
}
