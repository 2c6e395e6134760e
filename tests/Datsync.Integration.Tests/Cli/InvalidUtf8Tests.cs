using System.Text;
using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Integration.Tests.Cli;

/// <summary>Bytes that are not UTF-8 inside a transaction's text are an error, never stored as U+FFFD.</summary>
public sealed class InvalidUtf8Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-utf8-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static async Task<DatsyncProcess.Result> RunWithBytes(string args, byte[] stdin)
    {
        using var p = DatsyncProcess.Start(args, stdin: null, keepInputOpen: true);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.BaseStream.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(DatsyncProcess.Limit);
        await p.WaitForExitAsync(cts.Token);
        return new DatsyncProcess.Result(p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_string_with_bytes_that_are_not_UTF8_is_rejected_in_one_line_and_nothing_is_stored()
    {
        var schema = await DatsyncProcess.Run($"transact --db \"{_dir}\" -",
            """[{:db/ident :k/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");
        Assert.True(schema.ExitCode == 0, schema.Stderr);

        byte[] bad = [.. Encoding.UTF8.GetBytes("""[[:db/add "x" :k/s "caf"""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("""!"]]""")];
        var r = await RunWithBytes($"transact --db \"{_dir}\" -", bad);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.Contains("UTF-8", line);

        var dump = await DatsyncProcess.Run($"dump --db \"{_dir}\"");
        Assert.True(dump.ExitCode == 0, dump.Stderr);
        Assert.DoesNotContain("caf", dump.Stdout);
        Assert.DoesNotContain("\uFFFD", dump.Stdout);
    }
}
