using System.Collections;

namespace Datsync.Core;

/// <summary>
/// A parsed pull pattern (Datomic pull grammar). Parsing does not look at a schema, so one pattern can be parsed once
/// and pulled against any database value from any thread. <see cref="Db.Pull"/> accepts either a
/// <see cref="PullPattern"/> or the raw pattern data (a vector: any <see cref="IReadOnlyList{T}"/> of object).
/// </summary>
/// <remarks>
/// Grammar accepted:
/// <code>
/// pattern        = [attr-spec*]
/// attr-spec      = attr-name | wildcard | map-spec | attr-with-opts | attr-expr
/// attr-name      = keyword, :ns/_name for a reverse ref, :db/id for the entity id
/// wildcard       = '* or "*"
/// map-spec       = { (attr-name | attr-with-opts | attr-expr) (pattern | recursion-limit) ... }
/// attr-with-opts = [attr-name (:as any | :limit (positive-int | nil) | :default any)+]   (a list works too)
/// attr-expr      = ('limit | "limit") attr-name (positive-int | nil)  |  ('default | "default") attr-name any
/// recursion-limit = positive-int | '... | "..."
/// </code>
/// Vectors and lists are any <see cref="IReadOnlyList{T}"/> (or <see cref="IList"/>); maps are any
/// <see cref="IReadOnlyDictionary{TKey,TValue}"/> of object, <see cref="IDictionary"/>, or sequence of key/value pairs.
/// </remarks>
public sealed class PullPattern
{
    /// <summary>Datomic's limit on the values of a cardinality-many attribute when a pattern gives none.</summary>
    public const int DefaultLimit = 1000;

    private static readonly Keyword As = Keyword.Intern("as");
    private static readonly Keyword LimitKw = Keyword.Intern("limit");
    private static readonly Keyword DefaultKw = Keyword.Intern("default");

    /// <summary><c>[*]</c>: how components are pulled when nothing else is said about them.</summary>
    internal static readonly PullPattern Everything = new([], [], wildcard: true, source: new object?[] { new Symbol("*") }, recursionSlots: 0);

    internal readonly AttrSpec[] Specs;
    internal readonly bool Wildcard;
    /// <summary>Attributes named by a spec without alias; the wildcard leaves them to that spec.</summary>
    internal readonly Keyword[] Explicit;
    /// <summary>Number of recursion specs in the whole pattern tree (only meaningful on a root pattern).</summary>
    internal int RecursionSlots { get; private set; }

    /// <summary>The attributes resolved against the schema of the last pull (see <see cref="Puller"/>).</summary>
    internal Puller.Plan? Plan;

    /// <summary>The pattern data this was parsed from.</summary>
    public object Source { get; }

    private PullPattern(AttrSpec[] specs, Keyword[] explicitNames, bool wildcard, object source, int recursionSlots)
    {
        Specs = specs;
        Explicit = explicitNames;
        Wildcard = wildcard;
        Source = source;
        RecursionSlots = recursionSlots;
    }

    /// <summary>Parses pattern data; a <see cref="PullPattern"/> is returned as is.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed; the message names the offending element.</exception>
    public static PullPattern Parse(object pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern is PullPattern p) return p;
        var items = AsList(pattern) ?? throw Bad(pattern, "a pull pattern must be a vector of attribute specs");
        var slots = 0;
        var root = ParsePattern(items, pattern, ref slots);
        root.RecursionSlots = slots;
        return root;
    }

    /// <summary>The pattern as EDN text.</summary>
    public override string ToString() => EdnPrinter.Print(Source);

    private static PullPattern ParsePattern(IReadOnlyList<object?> items, object source, ref int slots)
    {
        var specs = new List<AttrSpec>(items.Count);
        var wildcard = false;
        foreach (var item in items)
        {
            if (IsSymbolic(item, "*")) { wildcard = true; continue; }
            switch (item)
            {
                case Keyword k:
                    specs.Add(new AttrSpec(k));
                    continue;
                case null:
                    throw Bad(item, "nil is not a pull attribute spec");
            }
            if (AsMap(item) is { } map)
            {
                foreach (var (key, value) in map) specs.Add(ParseMapEntry(key, value, item, ref slots));
                continue;
            }
            if (AsList(item) is { } list)
            {
                specs.Add(ParseAttrExpr(list, item));
                continue;
            }
            throw Bad(item, "not a pull attribute spec (expected a keyword, *, a map, or [attr options...])");
        }
        var explicitNames = new List<Keyword>();
        foreach (var s in specs)
            if (!s.IsDbId && ReferenceEquals(s.Key, s.Name)) explicitNames.Add(s.Name);
        var pattern = new PullPattern(specs.ToArray(), explicitNames.ToArray(), wildcard, source, 0);
        foreach (var s in pattern.Specs)
            if (s.Recursion != 0 && s.RecursionTarget is null) s.RecursionTarget = pattern;
        return pattern;
    }

    private static AttrSpec ParseMapEntry(object? key, object? value, object mapForm, ref int slots)
    {
        AttrSpec spec = key switch
        {
            Keyword k => new AttrSpec(k),
            _ when AsList(key) is { } list => ParseAttrExpr(list, key!),
            _ => throw Bad(key, $"a map-spec key must be an attribute name or [attr options...], in {EdnPrinter.Describe(mapForm)}"),
        };
        if (spec.IsDbId) throw Bad(key, ":db/id takes no sub-pattern");
        if (IsSymbolic(value, "..."))
        {
            spec.Recursion = -1;
            spec.RecursionSlot = slots++;
        }
        else if (value is long or int)
        {
            var depth = Convert.ToInt64(value);
            if (depth <= 0 || depth > int.MaxValue) throw Bad(value, $"a recursion limit must be a positive number, in {EdnPrinter.Describe(mapForm)}");
            spec.Recursion = (int)depth;
            spec.RecursionSlot = slots++;
        }
        else if (value is not null && AsList(value) is { } sub)
        {
            spec.Sub = ParsePattern(sub, value, ref slots);
        }
        else throw Bad(value, $"the value of {EdnPrinter.Describe(key)} must be a pattern, a recursion limit or ..., in {EdnPrinter.Describe(mapForm)}");
        return spec;
    }

    /// <summary><c>[:attr :opt v ...]</c>, <c>(:attr :opt v ...)</c>, <c>(limit :attr n)</c> or <c>(default :attr v)</c>.</summary>
    private static AttrSpec ParseAttrExpr(IReadOnlyList<object?> list, object form)
    {
        if (list.Count == 3 && (IsSymbolic(list[0], "limit") || IsSymbolic(list[0], "default")))
        {
            if (list[1] is not Keyword name) throw Bad(form, "the attribute of a limit or default expression must be a keyword");
            var legacy = new AttrSpec(name);
            if (IsSymbolic(list[0], "limit")) legacy.Limit = ParseLimit(list[2], form);
            else SetDefault(legacy, list[2]);
            return legacy;
        }
        if (list.Count == 0 || list[0] is not Keyword attr)
            throw Bad(form, "an attribute with options must start with the attribute keyword");
        if (list.Count < 3 || list.Count % 2 == 0)
            throw Bad(form, "an attribute with options needs option/value pairs, e.g. [:attr :limit 10]");
        var spec = new AttrSpec(attr);
        for (var i = 1; i < list.Count; i += 2)
        {
            var opt = list[i];
            var v = list[i + 1];
            if (ReferenceEquals(opt, As))
                spec.Key = v ?? throw Bad(form, ":as needs a non-nil alias");
            else if (ReferenceEquals(opt, LimitKw))
                spec.Limit = ParseLimit(v, form);
            else if (ReferenceEquals(opt, DefaultKw))
                SetDefault(spec, v);
            else
                throw Bad(form, $"unknown attribute option {EdnPrinter.Describe(opt)} (expected :as, :limit or :default)");
        }
        return spec;
    }

    private static int ParseLimit(object? v, object form)
    {
        if (v is null) return AttrSpec.Unlimited;
        if (v is long or int)
        {
            var n = Convert.ToInt64(v);
            if (n > 0) return n > int.MaxValue ? AttrSpec.Unlimited : (int)n;
        }
        throw Bad(form, $"a limit must be a positive number or nil, got {EdnPrinter.Describe(v)}");
    }

    private static void SetDefault(AttrSpec spec, object? v)
    {
        spec.HasDefault = true;
        spec.Default = v;
    }

    private static bool IsSymbolic(object? x, string name) =>
        x is Symbol { Namespace: null } s ? s.Name == name : x is string str && str == name;

    private static ArgumentException Bad(object? element, string why) =>
        new($"invalid pull pattern element {EdnPrinter.Describe(element)}: {why}", "pattern");

    internal static IReadOnlyList<object?>? AsList(object? x)
    {
        switch (x)
        {
            case string: return null;
            case IReadOnlyList<object?> l: return l;
            case IList il:
                var a = new object?[il.Count];
                il.CopyTo(a, 0);
                return a;
            default: return null;
        }
    }

    private static List<(object? key, object? value)>? AsMap(object? x)
    {
        switch (x)
        {
            case IReadOnlyDictionary<object, object?> rd:
            {
                var list = new List<(object?, object?)>(rd.Count);
                foreach (var kv in rd) list.Add((kv.Key, kv.Value));
                return list;
            }
            case IDictionary d:
            {
                var list = new List<(object?, object?)>(d.Count);
                foreach (DictionaryEntry e in d) list.Add((e.Key, e.Value));
                return list;
            }
            case IEnumerable<KeyValuePair<object, object?>> pairs:
            {
                var list = new List<(object?, object?)>();
                foreach (var kv in pairs) list.Add((kv.Key, kv.Value));
                return list;
            }
            default: return null;
        }
    }
}

/// <summary>One attribute of a pull pattern with its options.</summary>
internal sealed class AttrSpec
{
    public const int Unlimited = -1;

    /// <summary>The attribute as written (<c>:ns/_name</c> for a reverse ref).</summary>
    public readonly Keyword Name;
    /// <summary>The forward attribute of a reverse name.</summary>
    public readonly Keyword? Forward;
    public readonly bool IsDbId;
    /// <summary>The key of the result map: the name, or the <c>:as</c> alias.</summary>
    public object Key;
    /// <summary>Most values to return for cardinality-many and reverse refs; <see cref="Unlimited"/> for all.</summary>
    public int Limit = PullPattern.DefaultLimit;
    public bool HasDefault;
    public object? Default;
    public PullPattern? Sub;
    /// <summary>0: no recursion; -1: unbounded (<c>...</c>); n &gt; 0: at most n levels.</summary>
    public int Recursion;
    public int RecursionSlot;
    /// <summary>The pattern that holds this recursion spec: what each recursive step pulls.</summary>
    public PullPattern? RecursionTarget;

    public AttrSpec(Keyword name)
    {
        Name = name;
        Key = name;
        IsDbId = ReferenceEquals(name, BuiltIns.DbId);
        if (name.IsReverse) Forward = name.Reversed;
    }
}
