namespace Datsync.Core;
public static class EdnPrinter { public static string Print(object? v) => v?.ToString() ?? "nil"; }
public sealed class EdnMap { public IReadOnlyList<KeyValuePair<object?, object?>> Entries { get; } = []; }
