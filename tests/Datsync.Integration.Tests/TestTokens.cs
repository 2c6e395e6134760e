namespace Datsync.Integration.Tests;

/// <summary>The <c>datsync.server.clients</c> HOCON that admits these clients with these tokens.</summary>
internal static class TestTokens
{
    public static string Clients(params (string ClientId, string Token)[] clients) =>
        "datsync.server.clients { " + string.Join(", ", clients.Select(c => $"\"{c.ClientId}\" = \"{c.Token}\"")) + " }";
}
