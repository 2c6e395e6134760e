using System.CommandLine;
using Datsync.Actors;
using Datsync.Actors.Server;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync token new</c> and <c>datsync token hash</c>: client tokens and the lines of
/// <c>datsync.server.clients</c> that admit them (the server keeps only the hash).</summary>
internal static class TokenCommand
{
    /// <summary>The client id a line names when no --client-id is given.</summary>
    public const string PlaceholderId = "CLIENT-ID";

    /// <summary>Label of the token line of <c>token new</c>.</summary>
    public const string TokenLabel = "token: ";

    /// <summary>Label of the config line of <c>token new</c>.</summary>
    public const string LineLabel = "datsync.server.clients line: ";

    public static Command Create()
    {
        var cmd = new Command("token", "Client tokens: make one, or hash one for datsync.server.clients");
        cmd.Subcommands.Add(New());
        cmd.Subcommands.Add(Hash());
        return cmd;
    }

    private static Option<string?> ClientId() => new("--client-id")
    {
        Description = $"The client id the config line admits (default: {PlaceholderId}, to replace)",
    };

    private static Command New()
    {
        var clientId = ClientId();
        var cmd = new Command("new",
            "Print a new random token (32 bytes, base64url) for the client, and the datsync.server.clients line for the server, each on its own labelled line");
        cmd.Options.Add(clientId);
        cmd.SetAction(parse => CliSupport.Guarded("token new", parse.GetValue(CliSupport.Verbose), () =>
        {
            var id = Id(parse.GetValue(clientId));
            var token = TokenHash.NewToken();
            Console.Out.WriteLine(TokenLabel + token);
            Console.Out.WriteLine(LineLabel + TokenHash.ConfigLine(id, token));
            Console.Out.Flush();
            Console.Error.WriteLine("datsync token new: give the token to the client (--token); put the line in datsync.server.clients { ... } " +
                                    "of the server's config (it holds only a hash of the token)" + Placeholder(id));
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static Command Hash()
    {
        var clientId = ClientId();
        var token = new Argument<string>("TOKEN") { Description = "The token; - reads it from the first line of standard input (out of the shell's history)" };
        var cmd = new Command("hash", "Print the datsync.server.clients line (\"ID\" = \"pbkdf2-sha256$...\") that admits an existing token");
        cmd.Arguments.Add(token);
        cmd.Options.Add(clientId);
        cmd.SetAction(parse => CliSupport.Guarded("token hash", parse.GetValue(CliSupport.Verbose), () =>
        {
            var id = Id(parse.GetValue(clientId));
            var t = parse.GetValue(token)!;
            if (t == "-") t = (Console.In.ReadLine() ?? "").TrimEnd('\r', '\n');
            if (t.Length == 0) throw new CliException("the token is empty");
            if (TokenHash.LooksHashed(t)) throw new CliException($"that is already a token hash ({TokenHash.Scheme}$...); give the token itself");
            Console.Out.WriteLine(TokenHash.ConfigLine(id, t));
            Console.Out.Flush();
            if (id == PlaceholderId) Console.Error.WriteLine("datsync token hash:" + Placeholder(id));
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static string Id(string? clientId)
    {
        if (clientId is null) return PlaceholderId;
        if (string.IsNullOrWhiteSpace(clientId)) throw new CliException("--client-id is empty");
        return clientId;
    }

    private static string Placeholder(string id) => id == PlaceholderId ? $" (no --client-id: replace {PlaceholderId} with the client's id)" : "";
}
