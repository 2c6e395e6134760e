using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Properties;

/// <summary>Random transaction streams over a small schema that exercises every attribute kind.</summary>
public static class RandomWorkload
{
    public static Keyword K(string s) => Keyword.Intern(s);

    public static readonly object?[] Schema =
    [
        Attr(":w/key", ":db.type/string", one: true, unique: ":db.unique/identity"),
        Attr(":w/email", ":db.type/string", one: true, unique: ":db.unique/value"),
        Attr(":w/age", ":db.type/long", one: true),
        Attr(":w/score", ":db.type/double", one: true),
        Attr(":w/tags", ":db.type/keyword", one: false),
        Attr(":w/friend", ":db.type/ref", one: false),
        Attr(":w/parent", ":db.type/ref", one: true),
        Attr(":w/part", ":db.type/ref", one: false, component: true),
        Attr(":w/rank", ":db.type/long", one: true, indexed: true),
    ];

    private static Dictionary<object, object?> Attr(string ident, string type, bool one, string? unique = null, bool component = false, bool indexed = false)
    {
        var m = new Dictionary<object, object?>
        {
            [K(":db/ident")] = K(ident),
            [K(":db/valueType")] = K(type),
            [K(":db/cardinality")] = K(one ? ":db.cardinality/one" : ":db.cardinality/many"),
        };
        if (unique is not null) m[K(":db/unique")] = K(unique);
        if (component) m[K(":db/isComponent")] = true;
        if (indexed) m[K(":db/index")] = true;
        return m;
    }

    public readonly record struct OpSpec(int Kind, int Key, int Key2, int Attr, int Value);

    public static readonly Gen<OpSpec> Op =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 7], Gen.Int[0, 7], Gen.Int[0, 8], Gen.Int[0, 4], (k, a, b, at, v) => new OpSpec(k, a, b, at, v));

    public static readonly Gen<OpSpec[][]> Stream = Op.Array[1, 5].Array[1, 25];

    private static readonly string[] Attrs = [":w/key", ":w/email", ":w/age", ":w/score", ":w/tags", ":w/friend", ":w/parent", ":w/part", ":w/rank"];

    private static object?[] Lookup(int key) => [K(":w/key"), "k" + key];

    private static object? Value(string attr, int v, int key2) => attr switch
    {
        ":w/key" => "k" + v,
        ":w/email" => "e" + v + "@x",
        ":w/age" or ":w/rank" => (long)v,
        ":w/score" => v * 0.5,
        ":w/tags" => K(":tag/t" + v),
        ":w/friend" or ":w/parent" => Lookup(key2),
        ":w/part" => new Dictionary<object, object?> { [K(":w/age")] = (long)v },
        _ => throw new ArgumentOutOfRangeException(nameof(attr)),
    };

    /// <summary>The tx forms of one generated transaction.</summary>
    public static List<object?> Forms(OpSpec[] ops)
    {
        var forms = new List<object?>();
        foreach (var op in ops)
        {
            var attr = Attrs[op.Attr];
            switch (op.Kind)
            {
                case 0 or 1 or 2: // entity map, upserting on :w/key
                    forms.Add(EntityMap(op, attr));
                    break;
                case 3 or 4: // add through a lookup ref
                    if (attr == ":w/part") { forms.Add(EntityMap(op, attr)); break; }
                    forms.Add(new object?[] { K(":db/add"), Lookup(op.Key), K(attr), Value(attr, op.Value, op.Key2) });
                    break;
                case 5: // retract
                    if (attr == ":w/part") attr = ":w/friend";
                    forms.Add(new object?[] { K(":db/retract"), Lookup(op.Key), K(attr), Value(attr, op.Value, op.Key2) });
                    break;
                case 6:
                    forms.Add(new object?[] { K(":db/retractEntity"), Lookup(op.Key) });
                    break;
                case 7:
                    forms.Add(new object?[] { K(":db/cas"), Lookup(op.Key), K(":w/age"), op.Value == 0 ? null : (long)op.Value - 1, (long)op.Key2 });
                    break;
                case 8: // list-form upsert with a tempid
                    forms.Add(new object?[] { K(":db/add"), "u" + op.Key, K(":w/key"), "k" + op.Key });
                    forms.Add(new object?[] { K(":db/add"), "u" + op.Key, K(":w/age"), (long)op.Value });
                    break;
                default: // a tempid only used as a value: always an error
                    forms.Add(new object?[] { K(":db/add"), Lookup(op.Key), K(":w/friend"), "orphan" });
                    break;
            }
        }
        return forms;
    }

    private static Dictionary<object, object?> EntityMap(OpSpec op, string attr)
    {
        var m = new Dictionary<object, object?> { [K(":w/key")] = "k" + op.Key };
        if (attr != ":w/key") m[K(attr)] = Value(attr, op.Value, op.Key2);
        if (op.Kind == 1) m[K(":db/id")] = "t" + op.Key;
        return m;
    }

    public static Db Installed() => Db.Empty.Transact(Schema).DbAfter;
}
