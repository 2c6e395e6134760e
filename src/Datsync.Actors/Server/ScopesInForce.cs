namespace Datsync.Actors.Server;

/// <summary>
/// The scopes a master's actors use now: its transactor's write rules, its server's sessions and scope hub. One per
/// master (<see cref="Master.MasterHandle.Scopes"/>), replaced as a whole (<see cref="ReplaceScopes"/>); each reader
/// takes <see cref="Current"/> when it decides, so a replacement is in force for the next transaction and the next
/// bootstrap. Thread-safe.
/// <para>On a cluster node they are the node's: its server's, and its transactor's while the singleton runs there,
/// replaced on every node by the cluster's transactor (<see cref="Adopt"/>, with the version it gave them).</para>
/// </summary>
internal sealed class ScopesInForce(ServerScopes initial)
{
    private readonly object _gate = new();
    private Versioned _current = new(initial, 0);

    public ServerScopes Current => Volatile.Read(ref _current).Scopes;

    /// <summary>On a cluster node, the version of the cluster's replacement in force (<see cref="Adopt"/>); 0 while
    /// the node's configured scopes are.</summary>
    public long Version => Volatile.Read(ref _current).Version;

    /// <summary>The scopes in force with their version, read together.</summary>
    public (ServerScopes Scopes, long Version) Now
    {
        get
        {
            var now = Volatile.Read(ref _current);
            return (now.Scopes, now.Version);
        }
    }

    /// <summary>Puts <paramref name="scopes"/> in force, keeping the version.</summary>
    public void Replace(ServerScopes scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        lock (_gate) Volatile.Write(ref _current, _current with { Scopes = scopes });
    }

    /// <summary>Puts a cluster's replacement in force unless a newer one is already; true when it is now.</summary>
    public bool Adopt(ServerScopes scopes, long version)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        lock (_gate)
        {
            if (version < _current.Version) return false;
            Volatile.Write(ref _current, new Versioned(scopes, version));
            return true;
        }
    }

    private sealed record Versioned(ServerScopes Scopes, long Version);
}

/// <summary>
/// Tells the server actor to put <paramref name="Scopes"/> in force (policy and roles) from now on: the transactor
/// checks the next transaction against them, and every scoped client whose visible entities or attributes change is
/// bootstrapped again with its new filtered value (what it no longer sees leaves its replica; what it now sees comes).
/// In-process only: no protocol message (no wire binding), taken only from an actor of the server's own system (ask it).
/// Answered with <see cref="ScopesReplaced"/> or <see cref="ScopesNotReplaced"/>.
/// </summary>
/// <para>On a cluster node the server hands it to the node's master (<see cref="Master.MasterHandle.ClusterNode"/>), which has
/// the cluster's transactor put the scopes in force on every node; <paramref name="Adopted"/> marks the node's own
/// message that then puts them in force on this server.</para>
internal sealed record ReplaceScopes(ServerScopes Scopes, bool Adopted = false);

/// <summary>The new scopes are in force; <paramref name="Rebootstrapped"/> are the client ids whose replicas are
/// bootstrapped again (their view changed).</summary>
internal sealed record ScopesReplaced(IReadOnlyList<string> Rebootstrapped);

/// <summary>The scopes were left as they were, and why.</summary>
internal sealed record ScopesNotReplaced(string Reason);

/// <summary>Asking a server to replace its scopes, for the master's API, the CLI's reload and the host's options
/// watch alike.</summary>
internal static class ScopesReload
{
    /// <summary>The scopes of <paramref name="config"/> (<c>datsync.server.scopes</c>, over the library defaults) put in
    /// force on <paramref name="server"/>: the client ids bootstrapped again.</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">The scopes do not parse, or name no rules (which
    /// would let every client read and write the whole master); nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The server refused (e.g. it was started without scopes); nothing changed.</exception>
    public static async Task<IReadOnlyList<string>> ReplaceAsync(Akka.Actor.IActorRef server, Akka.Configuration.Config config, CancellationToken cancellationToken = default)
    {
        var scopes = ServerScopes.From(config) ?? throw new Akka.Configuration.ConfigurationException(ServerScopes.NoRules);
        var reply = await Akka.Actor.Futures.Ask<object>(server, new ReplaceScopes(scopes), TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            ScopesReplaced r => r.Rebootstrapped,
            ScopesNotReplaced n => throw new InvalidOperationException(n.Reason),
            _ => throw new InvalidOperationException($"unexpected answer {reply}"),
        };
    }

    /// <summary>One line for a reload's outcome.</summary>
    public static string Line(IReadOnlyList<string> rebootstrapped) =>
        "replaced the scopes; " + (rebootstrapped.Count == 0 ? "no client's view changed" : "bootstrapped again (their view changed): " + string.Join(", ", rebootstrapped));
}

/// <summary>Scopes as they travel between a cluster's nodes: <see cref="ServerScopes.Hocon"/>.</summary>
internal static class ClusterScopeText
{
    /// <summary>Reads <paramref name="hocon"/> into <paramref name="scopes"/>; null, or why it cannot be used.</summary>
    public static string? Read(string hocon, out ServerScopes? scopes)
    {
        scopes = null;
        try
        {
            scopes = ServerScopes.From(Akka.Configuration.ConfigurationFactory.ParseString(hocon ?? ""));
        }
        catch (Exception e) // text that is not HOCON, or scopes that do not parse: either way not used
        {
            return $"the scopes cannot be used: {e.Message}";
        }
        return scopes is null ? ServerScopes.NoRules : null;
    }
}
