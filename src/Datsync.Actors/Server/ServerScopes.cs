using Akka.Configuration;
using Datsync.Core;

namespace Datsync.Actors.Server;

/// <summary>
/// The scope policy of a server (<c>datsync.server.scopes</c>) and the roles it gives each client id: what each
/// client's replica holds and what the transactor lets the client write. Empty rules (the default): no scopes, every
/// client reads and writes the whole master.
/// </summary>
internal sealed class ServerScopes
{
    /// <summary>The HOCON path of the scopes.</summary>
    public const string ConfigPath = "datsync.server.scopes";

    /// <summary>Why scopes without rules are not put in force.</summary>
    public const string NoRules = ConfigPath + ".rules is empty: no scopes would let every client read and write the whole master; the old scopes stay";

    private static readonly IReadOnlySet<string> NoRoles = new HashSet<string>();

    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _roles;

    public ScopePolicy Policy { get; }

    /// <summary>These scopes as HOCON (<c>datsync.server.scopes</c> only, in one canonical form): what a cluster node
    /// sends the others when it replaces them (<see cref="From"/> reads it back).</summary>
    public string Hocon { get; init; } = "";

    public ServerScopes(ScopePolicy policy, IReadOnlyDictionary<string, IReadOnlyList<string>>? roles = null)
    {
        Policy = policy;
        _roles = (roles ?? new Dictionary<string, IReadOnlyList<string>>()).ToDictionary(
            kv => kv.Key, kv => (IReadOnlySet<string>)new HashSet<string>(kv.Value, StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>The identity of an admitted client: its id and the roles this configuration gives it (none when it is
    /// not listed).</summary>
    public ClientIdentity IdentityOf(string clientId) => new(clientId, _roles.GetValueOrDefault(clientId) ?? NoRoles);

    /// <summary>The scopes at <c>datsync.server.scopes</c> of <paramref name="config"/> (over the library defaults), or
    /// null when its rules are empty.</summary>
    /// <exception cref="ConfigurationException">A rule does not parse or a value has the wrong shape; the message names
    /// the path.</exception>
    public static ServerScopes? From(Config config) => Read(config.WithFallback(DatsyncConfig.Default));

    /// <summary><see cref="From"/> for a configuration that has the library defaults behind it already.</summary>
    internal static ServerScopes? Read(Config withDefaults)
    {
        var c = withDefaults.GetConfig(ConfigPath);
        var rules = c?.GetString("rules", "") ?? "";
        if (string.IsNullOrWhiteSpace(rules)) return null;
        try
        {
            var attributes = c!.GetStringList("attributes", []);
            var roleAttributes = Lists(c, "role-attributes");
            var schemaWriters = c.GetStringList("schema-writers", []);
            var writeRules = Strings(c, "write-rules");
            var roles = Lists(c, "roles");
            var policy = ScopePolicy.Create(rules,
                readAttributes: attributes.Count == 0 ? null : attributes,
                roleAttributes: roleAttributes,
                schemaWriters: schemaWriters,
                writeRules: writeRules.Select(kv => (kv.Key, kv.Value)).ToList());
            var text = new DatsyncScopesOptions
            {
                Rules = rules,
                Attributes = [.. attributes],
                RoleAttributes = roleAttributes.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal),
                SchemaWriters = [.. schemaWriters],
                WriteRules = writeRules.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
                Roles = roles.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal),
            }.ToHocon();
            return new ServerScopes(policy, roles) { Hocon = text };
        }
        catch (ScopeException e)
        {
            throw new ConfigurationException($"{ConfigPath}: {e.Message}", e);
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> Lists(Config c, string path)
    {
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var sub = c.GetConfig(path);
        if (sub is null || sub.IsEmpty) return map;
        foreach (var (key, value) in sub.AsEnumerable())
        {
            // [] reads as neither array nor string here: an empty list
            if (value.IsObject() || value.IsString() && !value.IsArray()) throw new ConfigurationException($"{ConfigPath}.{path}.\"{key}\" must be a list of strings");
            map[key] = value.IsArray() ? value.GetStringList().ToList() : [];
        }
        return map;
    }

    private static List<KeyValuePair<string, string>> Strings(Config c, string path)
    {
        var list = new List<KeyValuePair<string, string>>();
        var sub = c.GetConfig(path);
        if (sub is null || sub.IsEmpty) return list;
        foreach (var (key, value) in sub.AsEnumerable())
        {
            if (!value.IsString()) throw new ConfigurationException($"{ConfigPath}.{path}.\"{key}\" must be a query in quotes");
            list.Add(new(key, value.GetString()));
        }
        return list;
    }
}
