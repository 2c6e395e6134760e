using System.Collections.Frozen;
using System.Reflection;
using Hyperion;

namespace Datsync.Actors.Remote;

/// <summary>
/// A Hyperion type filter that admits exactly a set of types, compared by the name Hyperion writes for a type (its
/// short assembly-qualified name). A name is never resolved to decide: a peer's name that is not in the set is refused
/// before any type is loaded.
/// </summary>
internal sealed partial class WireTypeFilter : ITypeFilter
{
    private readonly FrozenSet<string> _names;

    public WireTypeFilter(IEnumerable<Type> types)
    {
        Types = types.ToList();
        _names = Types.Select(t => Normal(WireName(t))).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The admitted types.</summary>
    public IReadOnlyList<Type> Types { get; }

    /// <summary>The names the filter admits (without versions and spaces).</summary>
    public IReadOnlyCollection<string> Names => _names;

    public bool IsAllowed(string typeName) => typeName.Length <= 2048 && _names.Contains(Normal(typeName));

    /// <summary>True when the filter admits <paramref name="type"/>.</summary>
    public bool Admits(Type type) => _names.Contains(Normal(WireName(type)));

    // Hyperion asks about a name in the forms it has at hand (short, with the core library as %core%, or fully
    // qualified with versions): compared without versions, cultures, keys and spaces, the core library by its name
    private static string Normal(string name) =>
        VersionParts().Replace(name, "").Replace(",%core%", "", StringComparison.Ordinal)
            .Replace("%core%", "System.Private.CoreLib", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@",\s*(Version|Culture|PublicKeyToken)=[^,\]]*")]
    private static partial System.Text.RegularExpressions.Regex VersionParts();

    private static readonly Func<Type, string>? HyperionName = FindHyperionName();

    /// <summary>The name Hyperion writes for <paramref name="type"/>.</summary>
    public static string WireName(Type type) => HyperionName?.Invoke(type) ?? ShortName(type);

    private static Func<Type, string>? FindHyperionName()
    {
        var m = typeof(Hyperion.Serializer).Assembly.GetType("Hyperion.Extensions.TypeEx")
            ?.GetMethod("GetShortAssemblyQualifiedName", BindingFlags.Public | BindingFlags.Static, [typeof(Type)]);
        return m is null || m.ReturnType != typeof(string) ? null : m.CreateDelegate<Func<Type, string>>();
    }

    // Hyperion's format: the assembly-qualified name without version, culture and key, the core library as %core%
    private static string ShortName(Type type)
    {
        var name = type.AssemblyQualifiedName ?? type.FullName ?? type.Name;
        var parts = name.Split(',', StringSplitOptions.TrimEntries)
            .Where(p => !p.StartsWith("Version=", StringComparison.Ordinal) && !p.StartsWith("Culture=", StringComparison.Ordinal)
                        && !p.StartsWith("PublicKeyToken=", StringComparison.Ordinal));
        return string.Join(", ", parts).Replace("System.Private.CoreLib", "%core%", StringComparison.Ordinal);
    }
}
