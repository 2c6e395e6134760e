using Datsync.Actors;
using Datsync.Core;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`transact --server` with transactions bigger than Akka's default frame, against a `serve` with no
/// configuration files: a big one is committed, one too big for any frame fails at once with one clear line.</summary>
public sealed class BigTransactTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-big-").FullName;

    private const string Schema = """
        [{:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :k/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Entities(int count, int textLength) =>
        "[" + string.Concat(Enumerable.Range(0, count).Select(i => $$"""{:k/id {{i}} :k/text "{{new string('t', textLength)}}"}""")) + "]";

    [Fact]
    public async Task A_transaction_over_128_KB_is_committed_and_one_over_the_frame_fails_at_once()
    {
        using var server = await ServeProcess.Start($"--db \"{_dir}\" --port 0");
        var schema = await DatsyncProcess.Run($"transact --server {server.HostPort} -", Schema);
        Assert.True(schema.ExitCode == 0, schema.Stderr);

        var big = Entities(1_000, 300); // about 320 KB of EDN
        var r = await DatsyncProcess.Run($"transact --server {server.HostPort} -", big);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal(2L, (long)((EdnMap)EdnReader.Read(r.Stdout)!)[Keyword.Intern("t")]!);

        var huge = Entities(20_000, 300); // about 6.4 MB
        var h = await DatsyncProcess.Run($"transact --server {server.HostPort} -", huge);
        Assert.NotEqual(0, h.ExitCode);
        var line = Assert.Single(h.StderrLines);
        Assert.Contains("maximum-frame-size", line);
        Assert.Contains("nothing was sent", line);
    }
}
