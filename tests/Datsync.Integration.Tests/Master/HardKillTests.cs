using System.Diagnostics;
using System.Text;
using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Integration.Tests.Master;

/// <summary>The `datsync` command as a child process on a SQLite file, killed hard in the middle of a write.</summary>
public sealed class HardKillTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-kill-").FullName;
    private string DbPath => Path.Combine(_dir, "master.db");

    private static Process Start(string args, string? stdin = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "datsync.dll")}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        return p;
    }

    private static (int code, string stdout) Run(string args, string? stdin = null)
    {
        using var p = Start(args, stdin);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Limit)) { p.Kill(true); throw new TimeoutException($"datsync {args} did not finish"); }
        Assert.True(p.ExitCode is 0 or 1, $"datsync {args} exited {p.ExitCode}: {stderr.Result}");
        return (p.ExitCode, stdout.Result);
    }

    private long Transact(string edn)
    {
        var (code, output) = Run($"transact --db \"{DbPath}\" -", edn);
        Assert.Equal(0, code);
        return (long)((EdnMap)EdnReader.Read(output)!)[Keyword.Intern("t")]!;
    }

    private (long t, List<IReadOnlyList<object?>> datoms) Dump()
    {
        var (code, output) = Run($"dump --db \"{DbPath}\"");
        Assert.Equal(0, code);
        var forms = EdnReader.ReadAll(output);
        var t = (long)((EdnMap)forms[0]!)[Keyword.Intern("t")]!;
        var datoms = ((IReadOnlyList<object?>)((EdnMap)forms[1]!)[Keyword.Intern("master")]!).Cast<IReadOnlyList<object?>>().ToList();
        return (t, datoms);
    }

    [Fact]
    public void Killing_the_process_during_a_write_loses_nothing_acknowledged_and_leaves_no_partial_transaction()
    {
        Assert.Equal(1, Transact("""
            [{:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :k/batch :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """));
        for (var i = 0; i < 3; i++) Assert.Equal(i + 2, Transact($$"""[{:k/id {{i}} :k/batch "acknowledged"}]"""));

        // a large transaction, killed hard at some point of its life: before, during or after its write
        var big = new StringBuilder("[");
        for (var i = 100; i < 30_100; i++) big.Append($$"""{:k/id {{i}} :k/batch "big"}""");
        big.Append(']');
        using (var victim = Start($"transact --db \"{DbPath}\" -", big.ToString()))
        {
            victim.WaitForExit(TimeSpan.FromSeconds(2)); // the kill point; any point must keep the invariants below
            if (!victim.HasExited) victim.Kill(entireProcessTree: true);
            victim.WaitForExit(Limit);
        }

        var (t, datoms) = Dump();
        Assert.True(t is 4 or 5, $"t after the kill is {t}");
        var batches = datoms.Where(d => d[1]!.ToString() == ":k/batch").Select(d => (string)d[2]!).ToList();
        Assert.Equal(3, batches.Count(b => b == "acknowledged"));
        Assert.Equal(t == 5 ? 30_000 : 0, batches.Count(b => b == "big")); // all of it or none of it

        Assert.Equal(t + 1, Transact("""[{:k/id 7 :k/batch "after"}]"""));
        var (code, log) = Run($"log --db \"{DbPath}\" --from {t}");
        Assert.Equal(0, code);
        var delta = (EdnMap)EdnReader.ReadAll(log).Single()!;
        Assert.Equal(t + 1, delta[Keyword.Intern("t")]);
        Assert.Contains("\"after\"", log);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
