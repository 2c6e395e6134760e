using Datsync.Actors;
using Datsync.Actors.Server;

namespace Datsync.Integration.Tests;

/// <summary>The <c>datsync.server.clients</c> HOCON that admits these clients with these tokens (their hashes).</summary>
internal static class TestTokens
{
    public static string Clients(params (string ClientId, string Token)[] clients) =>
        "datsync.server.clients { " + string.Join("\n", clients.Select(c => TokenHash.ConfigLine(c.ClientId, c.Token))) + " }";
}
