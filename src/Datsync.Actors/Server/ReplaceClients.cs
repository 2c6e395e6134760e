namespace Datsync.Actors.Server;

/// <summary>
/// Tells the server actor to admit clients by <paramref name="Access"/> from now on and to end at once the session of
/// every client it no longer admits with the same credential (removed from the list, or given another token hash);
/// such a replica sees its session gone and its next handshake is refused. In-process only: it is no protocol message
/// (no <c>IDatsyncMessage</c>, so no wire binding), and the server ignores it unless it comes from an actor of its
/// own system (ask it, so there is a sender). Answered with <see cref="ClientsReplaced"/> or
/// <see cref="ClientsNotReplaced"/>.
/// </summary>
internal sealed record ReplaceClients(ClientAccess Access);

/// <summary>The new access is in force; <paramref name="Ended"/> are the client ids whose sessions were stopped.</summary>
internal sealed record ClientsReplaced(IReadOnlyList<string> Ended);

/// <summary>The access was left as it was, and why (e.g. the new list is empty, which would admit any client).</summary>
internal sealed record ClientsNotReplaced(string Reason);
