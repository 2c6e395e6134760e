using System.Diagnostics;
using System.Text;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;

namespace Datsync.Cli.Commands.Chaos;

/// <summary>One hostile input: the bytes given to <c>datsync transact --server HOST:PORT -</c> on its standard input
/// (with a wrong token for one of them), and, for those the command would refuse before sending, the text sent to
/// the server anyway as a <c>TransactOnce</c> from <c>datsync chaos</c> itself.</summary>
internal sealed record HostileInput(string Name, string What, byte[] Stdin, bool WrongToken = false, bool AlsoDirect = false)
{
    public string Text => Encoding.UTF8.GetString(Stdin);
}

internal static class ChaosHostile
{
    public static IReadOnlyList<HostileInput> All()
    {
        static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
        var nested = new StringBuilder("[");
        for (var i = 0; i < 6000; i++) nested.Append("{:chaos/next ");
        nested.Append("{:chaos/op \"hostile-nested\"}").Append('}', 6000).Append(']');
        var vector = "[[:db/add \"e\" :chaos/text " + new string('[', 20_000) + new string(']', 20_000) + "]]";
        var utf8 = new List<byte>(U("[{:chaos/text \"bad "));
        utf8.AddRange([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]); // not UTF-8: stray bytes, a broken pair, an encoded surrogate
        utf8.AddRange(U(" bytes\"}]"));
        return
        [
            new("nested-6000", "an entity map nested 6,000 deep through a component ref", U(nested.ToString()), AlsoDirect: true),
            new("vector-20000", "a vector nested 20,000 deep as a value", U(vector), AlsoDirect: true),
            new("string-5mb", "a 5 MB string for a string attribute", U("[{:chaos/text \"" + new string('x', 5_000_000) + "\"}]")),
            new("unknown-attribute", "a transaction naming an unknown attribute", U("[{:chaos/nope \"x\"}]")),
            new("wrong-token", "a valid transaction with a wrong token", U("[{:chaos/text \"wrong token\"}]"), WrongToken: true),
            new("rename-builtin", "renaming a built-in ident", U("[[:db/add :db.cardinality/one :db/ident :db.cardinality/uno]]")),
            new("invalid-utf8", "invalid UTF-8 inside a string", utf8.ToArray()),
            new("long-into-double", "a long beyond 2^53 into a double attribute", U("[{:chaos/x 9007199254740993}]")),
        ];
    }

    /// <summary>Runs <c>datsync transact --server</c> with <paramref name="stdin"/> as its input: its exit code and the
    /// lines of its standard error (-1 and a note when it did not end within <paramref name="limit"/>).</summary>
    public static async Task<(int Exit, string[] Stderr)> Transact(string hostPort, string clientId, string token, byte[] stdin, TimeSpan limit)
    {
        var (file, prefix) = ProcessNode.SelfCommand();
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8, StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in prefix) info.ArgumentList.Add(a);
        foreach (var a in new[] { "transact", "--server", hostPort, "--client-id", clientId, "--token", token, "--timeout", "10", "-" })
            info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.StandardInput.BaseStream.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        catch (IOException) { } // it stopped reading
        using var cts = new CancellationTokenSource(limit);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            return (-1, [$"did not end within {limit.TotalSeconds:0}s (killed)"]);
        }
        await stdout;
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (p.ExitCode, lines);
    }
}
