using System.Numerics;

namespace Datsync.Core;

/// <summary>Tells apart the values that are exactly what <see cref="EdnReader"/> yields: immutable, so they can be
/// handed to another thread as they are instead of as text.</summary>
public static class EdnValues
{
    /// <summary>
    /// Transaction forms as an immutable EDN vector (the same object when they are one), when every value in them is
    /// one the reader yields — nil, a string, keyword or symbol of whole characters, long, <see cref="BigInteger"/>,
    /// double, decimal, bool, char, UTC <see cref="DateTime"/>, <see cref="Guid"/>, <see cref="Uri"/>, EDN vector,
    /// list, map, set or tagged value — nested no deeper than the reader takes (<see cref="CoreLimits.MaxEdnNestingDepth"/>);
    /// otherwise null (e.g. a CLR list or dictionary, which its owner may still change, or an int, which text would
    /// turn into a long).
    /// </summary>
    public static IReadOnlyList<object?>? AsImmutableForms(IReadOnlyList<object?> txData)
    {
        ArgumentNullException.ThrowIfNull(txData);
        var maxDepth = CoreLimits.Current.MaxEdnNestingDepth;
        var stack = new Stack<(object? Value, int Depth)>();
        foreach (var form in txData) stack.Push((form, 2)); // the forms sit inside the transaction's vector
        while (stack.Count > 0)
        {
            var (value, depth) = stack.Pop();
            switch (value)
            {
                case null or long or bool or double or decimal or BigInteger or char or Guid or Uri:
                    continue;
                case string s:
                    if (Utf8Strict.IndexOfUnpairedSurrogate(s) >= 0) return null;
                    continue;
                case Keyword k:
                    if (Utf8Strict.IndexOfUnpairedSurrogate(k.FullName) >= 0) return null;
                    continue;
                case Symbol y:
                    if (Utf8Strict.IndexOfUnpairedSurrogate(y.FullName) >= 0) return null;
                    continue;
                case DateTime dt:
                    if (dt.Kind != DateTimeKind.Utc) return null;
                    continue;
            }
            if (depth >= maxDepth) return null;
            switch (value)
            {
                case EdnSequence seq: // a vector or a list
                    foreach (var item in seq) stack.Push((item, depth + 1));
                    break;
                case EdnSet set:
                    foreach (var item in set) stack.Push((item, depth + 1));
                    break;
                case EdnMap map:
                    foreach (var (k, v) in map.Entries)
                    {
                        stack.Push((k, depth + 1));
                        stack.Push((v, depth + 1));
                    }
                    break;
                case TaggedValue tagged:
                    if (Utf8Strict.IndexOfUnpairedSurrogate(tagged.Tag.FullName) >= 0) return null;
                    stack.Push((tagged.Value, depth + 1));
                    break;
                default:
                    return null;
            }
        }
        return txData is EdnVector or EdnList ? txData : new EdnVector(txData);
    }
}
