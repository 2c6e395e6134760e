namespace Datsync.Core;

/// <summary>Who a client is, as its authenticated handshake and the server's configuration say: its client id and the
/// roles the server gives it. Scope and write rules read it as the inputs <c>?client</c> (a string) and <c>?roles</c>
/// (a set of strings).</summary>
internal sealed record ClientIdentity(string ClientId, IReadOnlySet<string> Roles)
{
    /// <summary>An identity with the given roles.</summary>
    public static ClientIdentity Of(string clientId, params string[] roles) => new(clientId, new HashSet<string>(roles, StringComparer.Ordinal));

    /// <summary>True when the identity holds <paramref name="role"/>.</summary>
    public bool Has(string role) => Roles.Contains(role);

    /// <summary>The roles as the Datalog input <c>?roles</c>.</summary>
    internal EdnSet RolesInput() => new(Roles.OrderBy(r => r, StringComparer.Ordinal).Cast<object?>());

    /// <summary>Same client id and same roles (the record's own equality would compare the set by reference).</summary>
    public bool Equals(ClientIdentity? other) =>
        other is not null && ClientId == other.ClientId && Roles.SetEquals(other.Roles);

    public override int GetHashCode() => ClientId.GetHashCode(StringComparison.Ordinal);
}

/// <summary>The <c>:datsync.error/...</c> category of a write a scope refuses. The keyword's one home: the actor
/// layer's <c>DatsyncErrors</c> should name this constant rather than intern its own.</summary>
internal static class ScopeErrors
{
    /// <summary>A transaction that writes what the client may not write; nothing was committed.</summary>
    public static readonly Keyword Forbidden = Keyword.Intern("datsync.error/forbidden");
}

/// <summary>A scope policy that cannot be used: a visibility rule or a write rule that does not parse, or names the
/// wrong inputs. The message names the rule.</summary>
internal sealed class ScopeException : ArgumentException
{
    public ScopeException(string message, Exception? inner = null) : base(message, inner) { }
}
