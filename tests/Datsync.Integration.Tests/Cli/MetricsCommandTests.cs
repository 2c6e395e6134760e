using Datsync.Cli.Output;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync serve --metrics`: the summary line, and the server printing it.</summary>
public sealed class MetricsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-metrics-").FullName;

    [Fact]
    public void The_summary_sums_counters_takes_the_observed_sessions_and_the_intervals_commit_times()
    {
        var s = new MetricsSummary();
        for (var i = 1; i <= 100; i++) s.Add("datsync.commit.duration", i / 10.0); // 0.1 .. 10.0 ms
        s.Add("datsync.transactions.committed", 1_000);
        s.Add("datsync.transactions.committed", 203);
        s.Add("datsync.transactions.rejected", 3);
        s.Add("datsync.sessions.connected", 3); // two clients' sessions, observed
        s.Add("datsync.sessions.connected", 1);
        s.Add("datsync.deltas.sent", 4_812);
        s.Add("datsync.journal.batch_size", 2);
        s.Add("datsync.journal.batch_size", 4);
        s.Add("datsync.replica.lag", 7); // not in the line
        Assert.Equal("metrics: committed 1,203 (+1,203/5s) rejected 3 sessions 4 deltas-sent 4,812 commit p50 5.0 ms p99 9.9 ms journal-batch avg 3.0",
            s.Render(TimeSpan.FromSeconds(5)));

        // the next interval: totals go on, the interval's figures start again, the sessions are observed again
        s.Add("datsync.transactions.committed", 240);
        s.Add("datsync.bootstrap.bytes", 3 * 1024 * 1024 / 2);
        Assert.Equal("metrics: committed 1,443 (+240/5s) rejected 3 sessions 0 deltas-sent 4,812 bootstrap 1.5 MB commit - journal-batch -",
            s.Render(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Serve_with_metrics_prints_a_metrics_line_on_standard_error()
    {
        using var server = await ServeProcess.Start($"--db \"{_dir}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0 --metrics");
        var r = await DatsyncProcess.Run($"transact --server {server.HostPort} -",
            "[{:db/ident :m/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]");
        Assert.True(r.ExitCode == 0, $"transact exited {r.ExitCode}: {r.Stdout} {r.Stderr}");

        // a line after the commit counts it
        await Waits.Until(() => server.Stderr.Split('\n').Any(l => l.StartsWith("metrics: committed 1 ", StringComparison.Ordinal)),
            DatsyncProcess.Limit, () => $"no metrics line with the commit on standard error: {server.Stderr}");
        var line = server.Stderr.Split('\n').First(l => l.StartsWith("metrics: committed 1 ", StringComparison.Ordinal));
        Assert.Contains(" rejected 0 ", line);
        Assert.Contains(" journal-batch ", line);
        Assert.Equal(0, await server.Terminate());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
