namespace Datsync.Actors.Server;

/// <summary>
/// The scopes a master's actors use now: its transactor's write rules, its server's sessions and scope hub. One per
/// master (<see cref="Master.MasterHandle.Scopes"/>), replaced as a whole (<see cref="ReplaceScopes"/>); each reader
/// takes <see cref="Current"/> when it decides, so a replacement is in force for the next transaction and the next
/// bootstrap. Thread-safe.
/// </summary>
internal sealed class ScopesInForce(ServerScopes initial)
{
    private ServerScopes _current = initial;

    public ServerScopes Current => Volatile.Read(ref _current);

    public void Replace(ServerScopes scopes) => Volatile.Write(ref _current, scopes ?? throw new ArgumentNullException(nameof(scopes)));
}

/// <summary>
/// Tells the server actor to put <paramref name="Scopes"/> in force (policy and roles) from now on: the transactor
/// checks the next transaction against them, and every scoped client whose visible entities or attributes change is
/// bootstrapped again with its new filtered value (what it no longer sees leaves its replica; what it now sees comes).
/// In-process only: no protocol message (no wire binding), taken only from an actor of the server's own system (ask it).
/// Answered with <see cref="ScopesReplaced"/> or <see cref="ScopesNotReplaced"/>.
/// </summary>
internal sealed record ReplaceScopes(ServerScopes Scopes);

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
        var scopes = ServerScopes.From(config) ?? throw new Akka.Configuration.ConfigurationException(
            $"{ServerScopes.ConfigPath}.rules is empty: no scopes would let every client read and write the whole master; the old scopes stay");
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
