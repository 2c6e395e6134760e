using System.Text;
using Datsync.Actors.Server;

namespace Datsync.Actors;

/// <summary>
/// What each client of a master may read and write (<c>datsync.server.scopes</c>), e.g. bound from
/// <c>Datsync:Master:Scopes</c>. A scoped client's replica holds the master filtered to its scope, and the transactor
/// refuses a transaction of the client that writes what it may not (<see cref="DatsyncErrors.Forbidden"/>, naming the
/// first datom that broke which rule). The master's own connection is not a client and is not checked.
/// </summary>
/// <remarks>
/// <para><see cref="Rules"/> defines <c>(visible ?client ?roles ?e)</c> in Datalog over the master's value:
/// <c>?client</c> is the client id of the authenticated handshake, <c>?roles</c> the set of its <see cref="Roles"/>,
/// <c>?e</c> an entity the client sees; <c>(has-role ?roles "name")</c> is predefined. Schema is always visible. A
/// datom is visible when its entity is, its attribute is allowed (<see cref="Attributes"/>), and — for a reference —
/// its value entity is visible or an ident.</para>
/// <para>By default a client writes only what it sees (on both sides of the write), and no schema unless one of its
/// roles is in <see cref="SchemaWriters"/>; <see cref="WriteRules"/> add named checks.</para>
/// </remarks>
public sealed class DatsyncScopesOptions
{
    /// <summary>EDN rules defining <c>(visible ?client ?roles ?e)</c>; null or empty: no scopes (every client reads and
    /// writes the whole master).</summary>
    public string? Rules { get; set; }

    /// <summary>The attributes a client reads and writes on the entities it sees: idents (<c>:doc/title</c>) or
    /// namespaces (<c>doc/*</c>). Empty: every non-schema attribute.</summary>
    public List<string> Attributes { get; set; } = [];

    /// <summary>Patterns each role adds to <see cref="Attributes"/>: role = patterns.</summary>
    public Dictionary<string, List<string>> RoleAttributes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The roles of each client id (a client not listed has none): client id = roles.</summary>
    public Dictionary<string, List<string>> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The roles that may write schema (install or alter attributes and idents).</summary>
    public List<string> SchemaWriters { get; set; } = [];

    /// <summary>Custom write rules, name = query, checked after the default ones in the order of their names. A query
    /// takes <c>$before $ [[?e ?a ?v ?added]] ?client ?roles %</c> (its <c>:in</c> may be left out) and finds the
    /// tuples that break it; one found refuses the transaction (a tuple <c>[e a v added]</c> of the transaction names
    /// that datom).</summary>
    public Dictionary<string, string> WriteRules { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The HOCON of what is set.</summary>
    internal string ToHocon()
    {
        var hocon = new StringBuilder();
        AppendHocon(hocon);
        return hocon.ToString();
    }

    /// <summary>Appends the HOCON of what is set.</summary>
    internal void AppendHocon(StringBuilder hocon)
    {
        const string root = ServerScopes.ConfigPath;
        if (!string.IsNullOrWhiteSpace(Rules)) hocon.Append(root).Append(".rules = ").AppendLine(Quote(Rules));
        if (Attributes is { Count: > 0 }) hocon.Append(root).Append(".attributes = ").AppendLine(List(Attributes));
        if (SchemaWriters is { Count: > 0 }) hocon.Append(root).Append(".schema-writers = ").AppendLine(List(SchemaWriters));
        foreach (var (role, patterns) in Ordered(RoleAttributes))
            hocon.Append(root).Append(".role-attributes.").Append(Quote(role)).Append(" = ").AppendLine(List(patterns ?? []));
        foreach (var (clientId, roles) in Ordered(Roles))
            hocon.Append(root).Append(".roles.").Append(Quote(clientId)).Append(" = ").AppendLine(List(roles ?? []));
        foreach (var (name, query) in Ordered(WriteRules))
            hocon.Append(root).Append(".write-rules.").Append(Quote(name)).Append(" = ").AppendLine(Quote(query ?? ""));
    }

    private static IEnumerable<KeyValuePair<string, T>> Ordered<T>(Dictionary<string, T>? map) =>
        (map ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal);

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]";

    /// <summary>A HOCON quoted string; rule text spans lines.</summary>
    private static string Quote(string value)
    {
        var s = new StringBuilder("\"");
        foreach (var ch in value)
            s.Append(ch switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => ch.ToString(),
            });
        return s.Append('"').ToString();
    }
}
