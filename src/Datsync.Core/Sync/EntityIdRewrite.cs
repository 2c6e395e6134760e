using System.Collections;

namespace Datsync.Core;

/// <summary>
/// Rewrites the explicit entity ids of transaction forms — in entity position, <c>:db/id</c>, and values of ref
/// attributes (nested maps, reverse refs and lookup refs included) — through a map, leaving everything else as written.
/// A replica uses it to translate its local ids into master ids. Forms that hold nothing to rewrite come back as the
/// same objects.
/// </summary>
internal static class EntityIdRewrite
{
    private static readonly Keyword Add = Keyword.Intern("db/add"), Retract = Keyword.Intern("db/retract"),
        Cas = Keyword.Intern("db/cas"), CasFn = Keyword.Intern("db.fn/cas");

    /// <summary>The forms with every explicit entity id <c>e</c> for which <paramref name="map"/> gives a value replaced
    /// by it. <paramref name="schema"/> tells ref attributes apart.</summary>
    public static IReadOnlyList<object?> Rewrite(IReadOnlyList<object?> txData, Schema schema, Func<long, long?> map) =>
        Rewrite(txData, schema, (Func<long, object?>)(e => map(e) is { } m ? m : null));

    /// <summary>The forms with every explicit entity id <c>e</c> for which <paramref name="map"/> gives an entity
    /// identifier (an id, or a lookup ref <c>[:attr value]</c>) replaced by it.</summary>
    public static IReadOnlyList<object?> Rewrite(IReadOnlyList<object?> txData, Schema schema, Func<long, object?> map)
    {
        var r = new Rewriter(schema, map);
        object?[]? copy = null;
        for (var i = 0; i < txData.Count; i++)
        {
            var f = r.Form(txData[i]);
            if (ReferenceEquals(f, txData[i])) continue;
            copy ??= txData.ToArray();
            copy[i] = f;
        }
        return copy is null ? txData : new EdnVector(copy);
    }

    /// <summary>Every explicit entity id the forms mention (the same positions <see cref="Rewrite(IReadOnlyList{object?}, Schema, Func{long, object?})"/> looks at).</summary>
    public static IReadOnlySet<long> EntityIds(IReadOnlyList<object?> txData, Schema schema)
    {
        var found = new HashSet<long>();
        Rewrite(txData, schema, (Func<long, object?>)(e => { found.Add(e); return null; }));
        return found;
    }

    private sealed class Rewriter(Schema schema, Func<long, object?> map)
    {
        public object? Form(object? form)
        {
            if (AsList(form) is { } list) return ListForm(list, form);
            if (AsMap(form) is { } entries) return MapForm(entries, form);
            return form;
        }

        private object? ListForm(IReadOnlyList<object?> f, object? form)
        {
            if (f.Count < 2 || f[0] is not Keyword op) return form;
            var items = new object?[f.Count];
            for (var i = 0; i < f.Count; i++) items[i] = f[i];
            items[1] = Eid(f[1]);
            if ((op == Add || op == Retract || op == Cas || op == CasFn) && f.Count >= 4 && IsRef(f[2]))
                for (var i = 3; i < f.Count; i++) items[i] = RefValue(f[i]);
            return Same(items, f) ? form : new EdnVector(items);
        }

        private object? MapForm(List<KeyValuePair<object?, object?>> entries, object? form)
        {
            var changed = false;
            for (var i = 0; i < entries.Count; i++)
            {
                var (k, v) = (entries[i].Key, entries[i].Value);
                object? nv = v;
                if (k is Keyword kw && ReferenceEquals(kw, BuiltIns.DbId)) nv = Eid(v);
                else if (k is Keyword attr && (IsRef(attr) || attr.IsReverse && IsRef(attr.Reversed))) nv = RefValues(v);
                if (ReferenceEquals(nv, v)) continue;
                entries[i] = new(k, nv);
                changed = true;
            }
            return changed ? new EdnMap(entries) : form;
        }

        /// <summary>A ref attribute's value: one entity identifier, a nested map, or a collection of them.</summary>
        private object? RefValues(object? v)
        {
            if (AsMap(v) is not null) return Form(v);
            if (AsList(v) is { } list && !IsLookupRef(list))
            {
                var items = new object?[list.Count];
                for (var i = 0; i < list.Count; i++) items[i] = RefValue(list[i]);
                return Same(items, list) ? v : new EdnVector(items);
            }
            return Eid(v);
        }

        private object? RefValue(object? v) => AsMap(v) is not null ? Form(v) : Eid(v);

        private object? Eid(object? x)
        {
            switch (x)
            {
                case long l when l > 0: return map(l) is { } m && !(m is long ml && ml == l) ? m : x;
                case int i when i > 0: return map(i) is { } mi && !(mi is long mil && mil == i) ? mi : x;
                default:
                    if (AsList(x) is { } lr && IsLookupRef(lr) && IsRef(lr[0]))
                    {
                        var v = Eid(lr[1]);
                        return ReferenceEquals(v, lr[1]) ? x : new EdnVector(lr[0], v);
                    }
                    return x;
            }
        }

        private bool IsLookupRef(IReadOnlyList<object?> l) => l.Count == 2 && l[0] is Keyword k && schema[k] is not null;

        private bool IsRef(object? attr) => attr switch
        {
            Keyword k => schema[k] is { IsRef: true },
            long l when l is > 0 and <= int.MaxValue => schema[(int)l] is { IsRef: true },
            _ => false,
        };
    }

    private static bool Same(object?[] items, IReadOnlyList<object?> original)
    {
        for (var i = 0; i < items.Length; i++)
            if (!ReferenceEquals(items[i], original[i])) return false;
        return true;
    }

    private static IReadOnlyList<object?>? AsList(object? x) => x switch
    {
        string => null,
        IReadOnlyList<object?> l => l,
        IList l and not Array { Rank: > 1 } => l.Cast<object?>().ToArray(),
        _ => null,
    };

    private static List<KeyValuePair<object?, object?>>? AsMap(object? x) => x switch
    {
        EdnMap em => em.Entries.ToList(),
        IReadOnlyDictionary<object, object?> rd => rd.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)).ToList(),
        IDictionary d => d.Cast<DictionaryEntry>().Select(e => new KeyValuePair<object?, object?>(e.Key, e.Value)).ToList(),
        _ => null,
    };
}
