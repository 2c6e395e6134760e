namespace Datsync.Core;

/// <summary>
/// What each client of a master may read and write, declared on the server in Datalog over the master's value.
/// </summary>
/// <remarks>
/// <para><b>Visibility.</b> <see cref="VisibilityRules"/> is a rule set (EDN, as a query's <c>%</c> input) that defines
/// <c>(visible ?client ?roles ?e)</c>: <c>?client</c> is the client id (a string), <c>?roles</c> the set of its roles,
/// <c>?e</c> an entity the client sees. Every branch that binds <c>?e</c> adds entities; an entity held by several
/// branches stays while one holds it. The rule <c>(has-role ?roles "name")</c> is predefined for branches that depend on
/// a role. The visible set is evaluated as a live query, so its topics say which transactions may change it.</para>
/// <para><b>Attributes.</b> <see cref="ReadAttributes"/> is the allow-list of the attributes a client sees and writes on
/// visible entities: idents (<c>:doc/title</c>) or namespaces (<c>doc/*</c>); null (the default) allows every
/// non-schema attribute. <see cref="RoleAttributes"/> adds patterns for clients holding a role.</para>
/// <para><b>A datom is visible</b> at a value when its attribute is a schema attribute (<c>:db/ident</c> ..
/// <c>:db/noHistory</c>: schema is always visible, idents included), or when its entity is visible and its attribute
/// allowed and — for a reference attribute — its value entity is visible too or is an ident entity (an enum such as
/// <c>:color/red</c>, which is schema). <b>A reference to an invisible entity is dropped</b>, never kept as a bare id:
/// filtering, bootstrap, deltas and the write rules all hold this one rule (<see cref="ScopeView.IsVisible(Datom)"/>).
/// Transaction entities are entities like any other: their datoms (<c>:db/txInstant</c> too) are visible only when a
/// rule makes them so.</para>
/// <para><b>Writes.</b> See <see cref="WriteRules"/>: by default a client writes only what it sees, no schema unless
/// one of its roles is in <see cref="SchemaWriters"/>; <see cref="CustomWriteRules"/> add named Datalog checks.</para>
/// </remarks>
internal sealed class ScopePolicy
{
    /// <summary>The predefined rule <c>(has-role ?roles ?role)</c>: true when <c>?role</c> is one of <c>?roles</c>.</summary>
    public const string HasRoleRule = "[(has-role ?roles ?role) [(ground ?roles) [?role ...]]]";

    private static readonly Symbol Visible = new("visible");

    /// <summary>The query a client's visible set is: the entities of <c>(visible ?client ?roles ?e)</c>.</summary>
    internal static readonly string VisibleQuery = "[:find ?e :in $ % ?client ?roles :where (visible ?client ?roles ?e)]";

    /// <summary>The rule text as given.</summary>
    public string VisibilityRules { get; }

    /// <summary>The visibility rules with the predefined ones, as the <c>%</c> input of every scope query.</summary>
    internal EdnVector Rules { get; }

    /// <summary>The attribute allow-list (idents and <c>ns/*</c>); null: every non-schema attribute.</summary>
    public IReadOnlyList<string>? ReadAttributes { get; }

    /// <summary>Patterns a role adds to <see cref="ReadAttributes"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RoleAttributes { get; }

    /// <summary>The roles that may write schema (install or alter attributes, idents).</summary>
    public IReadOnlySet<string> SchemaWriters { get; }

    /// <summary>The custom write rules, checked in order after the default ones.</summary>
    public IReadOnlyList<WriteRule> CustomWriteRules { get; }

    private readonly AttributeFilter? _base;
    private readonly Dictionary<string, AttributeFilter> _byRole;

    private ScopePolicy(string visibilityRules, EdnVector rules, IReadOnlyList<string>? readAttributes,
        IReadOnlyDictionary<string, IReadOnlyList<string>> roleAttributes, IReadOnlySet<string> schemaWriters, IReadOnlyList<WriteRule> writeRules)
    {
        VisibilityRules = visibilityRules;
        Rules = rules;
        ReadAttributes = readAttributes;
        RoleAttributes = roleAttributes;
        SchemaWriters = schemaWriters;
        CustomWriteRules = writeRules;
        _base = readAttributes is null ? null : AttributeFilter.Parse(readAttributes, "the attribute allow-list");
        _byRole = roleAttributes.ToDictionary(kv => kv.Key, kv => AttributeFilter.Parse(kv.Value, $"the attributes of role {kv.Key}"), StringComparer.Ordinal);
    }

    /// <summary>
    /// A policy, parsed and checked once.
    /// </summary>
    /// <param name="visibilityRules">EDN rules defining <c>(visible ?client ?roles ?e)</c>.</param>
    /// <param name="readAttributes">The attribute allow-list; null: every non-schema attribute.</param>
    /// <param name="roleAttributes">Patterns each role adds to the allow-list.</param>
    /// <param name="schemaWriters">Roles that may write schema.</param>
    /// <param name="writeRules">Custom write rules (name, query); see <see cref="WriteRule"/>.</param>
    /// <exception cref="ScopeException">A rule does not parse, <c>visible</c> is missing or has another arity, or an
    /// allow-list pattern is malformed; the message names the rule.</exception>
    public static ScopePolicy Create(string visibilityRules, IEnumerable<string>? readAttributes = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? roleAttributes = null, IEnumerable<string>? schemaWriters = null,
        IEnumerable<(string Name, string Query)>? writeRules = null)
    {
        ArgumentNullException.ThrowIfNull(visibilityRules);
        object? form;
        try { form = EdnReader.Read(visibilityRules); }
        catch (EdnReadException e) { throw new ScopeException($"Cannot read the visibility rules: {e.Message}", e); }
        if (form is not IReadOnlyList<object?> list || form is EdnList)
            throw new ScopeException($"The visibility rules must be a vector of rules, got {EdnPrinter.Describe(form)}");
        var items = list.ToList();
        items.Add(EdnReader.Read(HasRoleRule));
        var rules = new EdnVector(items);
        Dictionary<Symbol, Rule> parsed;
        try { parsed = QueryCache.ParseRules(rules); }
        catch (QueryException e) { throw new ScopeException($"The visibility rules do not parse: {e.Message}", e); }
        if (!parsed.TryGetValue(Visible, out var visible))
            throw new ScopeException("The visibility rules do not define (visible ?client ?roles ?e)");
        foreach (var b in visible.Branches)
            if (b.Head.Length != 3)
                throw new ScopeException($"Rule visible takes 3 arguments (?client ?roles ?e), a branch takes {b.Head.Length}: {EdnPrinter.Describe(b.Form)}");
        try { QueryCache.Parse(VisibleQuery); }
        catch (QueryException e) { throw new ScopeException($"The visibility query does not parse: {e.Message}", e); }
        var custom = (writeRules ?? []).Select(r => WriteRule.Parse(r.Name, r.Query)).ToList();
        var dup = custom.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ScopeException($"Two write rules are named {dup.Key}");
        var roleAttrs = roleAttributes ?? new Dictionary<string, IReadOnlyList<string>>();
        return new ScopePolicy(visibilityRules, rules, readAttributes?.ToList(), roleAttrs,
            new HashSet<string>(schemaWriters ?? [], StringComparer.Ordinal), custom);
    }

    /// <summary>The live query of <paramref name="identity"/>'s visible set.</summary>
    internal LiveQuery VisibleLive(ClientIdentity identity) =>
        LiveQuery.Of(VisibleQuery, [Rules, identity.ClientId, identity.RolesInput()]);

    /// <summary>True when <paramref name="identity"/> may write schema.</summary>
    public bool MayWriteSchema(ClientIdentity identity) => identity.Roles.Any(SchemaWriters.Contains);

    /// <summary>The ids of the non-schema attributes of <paramref name="schema"/> that <paramref name="identity"/> may
    /// read and write.</summary>
    public IReadOnlySet<int> AllowedAttributes(Schema schema, ClientIdentity identity)
    {
        var roleFilters = identity.Roles.Select(r => _byRole.GetValueOrDefault(r)).OfType<AttributeFilter>().ToList();
        var allowed = new HashSet<int>();
        foreach (var a in schema.Attributes)
        {
            if (SchemaRules.IsSchemaAttr(a.Id)) continue;
            if (_base is null || _base.Allows(a.Ident) || roleFilters.Any(f => f.Allows(a.Ident))) allowed.Add(a.Id);
        }
        return allowed;
    }

    /// <summary>Idents and namespaces.</summary>
    private sealed class AttributeFilter(HashSet<Keyword> idents, HashSet<string> namespaces)
    {
        public bool Allows(Keyword ident) => idents.Contains(ident) || ident.Namespace is { } ns && namespaces.Contains(ns);

        public static AttributeFilter Parse(IEnumerable<string> patterns, string where)
        {
            var idents = new HashSet<Keyword>();
            var namespaces = new HashSet<string>(StringComparer.Ordinal);
            foreach (var raw in patterns)
            {
                var p = raw.StartsWith(':') ? raw[1..] : raw;
                if (p.EndsWith("/*") && p.Length > 2 && !p[..^2].Contains('/')) namespaces.Add(p[..^2]);
                else if (p.Length > 0 && !p.Contains('*') && !p.Contains(' ')) idents.Add(Keyword.Intern(p));
                else throw new ScopeException($"{raw} in {where} is neither an attribute ident (:ns/name) nor a namespace (ns/*)");
            }
            return new AttributeFilter(idents, namespaces);
        }
    }
}

/// <summary>
/// A named write check: a Datalog query over the transaction's report that finds what breaks the rule (no tuple: the
/// transaction passes). Its inputs, in this order: <c>$before</c> (the value before), <c>$</c> (the value after), the
/// transaction's datoms as the relation <c>[[?e ?a ?v ?added]]</c> (<c>?a</c> the attribute's ident, <c>?v</c> an entity
/// id for references), <c>?client</c>, <c>?roles</c>, and <c>%</c> (the policy's rules, <c>visible</c> and
/// <c>has-role</c> among them). A query without <c>:in</c> gets exactly that one. A tuple whose first four elements are
/// a datom of the transaction names that datom in the refusal.
/// </summary>
internal sealed record WriteRule(string Name, object Form)
{
    internal const string DefaultIn = "[$before $ [[?e ?a ?v ?added]] ?client ?roles %]";
    private static readonly Keyword KIn = Keyword.Intern("in"), KWhere = Keyword.Intern("where");

    public static WriteRule Parse(string name, string query)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ScopeException("A write rule needs a name");
        object? form;
        try { form = EdnReader.Read(query); }
        catch (EdnReadException e) { throw new ScopeException($"Cannot read write rule {name}: {e.Message}", e); }
        form = WithDefaultIn(form);
        ParsedQuery parsed;
        try { parsed = QueryCache.Parse(form!); }
        catch (QueryException e) { throw new ScopeException($"Write rule {name} does not parse: {e.Message}", e); }
        if (parsed.In.Length != 6)
            throw new ScopeException($"Write rule {name} must take the inputs {DefaultIn} ({parsed.In.Length} given)");
        if (parsed.Shape != FindShape.Relation)
            throw new ScopeException($"Write rule {name} must find a relation (the tuples that break it)");
        return new WriteRule(name, form!);
    }

    private static object? WithDefaultIn(object? form)
    {
        var dflt = (IReadOnlyList<object?>)EdnReader.Read(DefaultIn)!;
        switch (form)
        {
            case IReadOnlyList<object?> v when form is not EdnList && !v.Contains(KIn):
                var items = v.ToList();
                var at = items.IndexOf(KWhere);
                if (at < 0) return form;
                items.InsertRange(at, [KIn, .. dflt]);
                return new EdnVector(items);
            case EdnMap m when !m.ContainsKey(KIn):
                return new EdnMap(m.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)).Append(new KeyValuePair<object?, object?>(KIn, new EdnVector(dflt))));
            default:
                return form;
        }
    }
}
