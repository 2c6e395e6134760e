namespace Datsync.Core;

/// <summary>Values read as a .NET type the caller names: typed entity reads and typed query results.</summary>
internal static class TypedValues
{
    /// <summary>
    /// <paramref name="value"/> as <paramref name="type"/>: itself when it is one, an entity as its id for
    /// <c>long</c>, an integer in a narrower integral type that holds it; null when it is none of those, with
    /// <paramref name="why"/> saying so ("holds a String, not a Int64").
    /// </summary>
    public static object? As(Type type, object value, out string? why)
    {
        why = null;
        if (type.IsInstanceOfType(value)) return value;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsInstanceOfType(value)) return value;
        if (value is Entity e && target == typeof(long)) return e.Id;
        if (value is long l)
        {
            try
            {
                if (target == typeof(int)) return checked((int)l);
                if (target == typeof(short)) return checked((short)l);
                if (target == typeof(byte)) return checked((byte)l);
                if (target == typeof(ulong)) return checked((ulong)l);
                if (target == typeof(uint)) return checked((uint)l);
            }
            catch (OverflowException)
            {
                why = $"holds {l}, which a {target.Name} cannot hold";
                return null;
            }
        }
        why = $"holds a {value.GetType().Name}, not a {type.Name}";
        return null;
    }
}
