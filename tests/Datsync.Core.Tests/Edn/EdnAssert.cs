namespace Datsync.Core.Tests.Edn;

/// <summary>Assertions on EDN values that do not depend on xunit's own collection comparison.</summary>
internal static class EdnAssert
{
    /// <summary>
    /// Structurally equal per <see cref="EdnEquality"/> and of the same shape: the same .NET types throughout,
    /// so <c>[1]</c> does not pass for <c>[1N]</c> nor <c>(1)</c> for <c>[1]</c> (compared through the printed text,
    /// which also fixes map and set order).
    /// </summary>
    public static void Equal(object? expected, object? actual)
    {
        var e = EdnPrinter.Print(expected);
        var a = actual is null || IsPrintable(actual) ? EdnPrinter.Print(actual) : actual.GetType().ToString();
        if (!EdnEquality.Instance.Equals(expected, actual)) Assert.Fail($"Expected {e} but got {a}");
        if (e != a) Assert.Fail($"Expected {e} but got the equal yet differently typed or ordered {a}");
        Assert.Equal(expected?.GetType(), actual?.GetType());
    }

    private static bool IsPrintable(object value)
    {
        try
        {
            EdnPrinter.Print(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
