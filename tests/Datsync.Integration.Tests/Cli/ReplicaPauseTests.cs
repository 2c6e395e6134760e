using System.Diagnostics;

namespace Datsync.Integration.Tests.Cli;

/// <summary>A `datsync replica` stopped (SIGSTOP) for longer than Akka.Remote's failure detectors allow, while
/// transactions flow, comes back after SIGCONT and catches up from its t.</summary>
public sealed class ReplicaPauseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-pause-").FullName;

    private const string Schema = """
        [{:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
        """;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static async Task Signal(Process p, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {p.Id}")!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task Transact(ServeProcess server, string edn)
    {
        var r = await DatsyncProcess.Run($"transact --server {server.HostPort} -", edn);
        Assert.True(r.ExitCode == 0, $"transact exited {r.ExitCode}: {r.Stderr}");
    }

    [Fact]
    public async Task A_replica_paused_past_the_failure_detectors_comes_back_and_catches_up()
    {
        using var server = await ServeProcess.Start($"--db \"{_dir}\" --port 0");
        await Transact(server, Schema); // t=1
        const int last = 8;
        using var replica = DatsyncProcess.Start($"replica --server {server.HostPort} --client-id paused --until-t {last}");
        var seen = new List<string>();
        var atTwo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        replica.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (seen) seen.Add(e.Data);
            if (e.Data.StartsWith("t=2 ", StringComparison.Ordinal)) atTwo.TrySetResult();
        };
        var stderr = new System.Text.StringBuilder();
        replica.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        replica.BeginOutputReadLine();
        replica.BeginErrorReadLine();

        await Transact(server, "[{:k/id 2}]");
        await atTwo.Task.WaitAsync(DatsyncProcess.Limit);

        await Signal(replica, "STOP");
        var paused = Stopwatch.StartNew();
        for (var i = 3; i < last; i++) await Transact(server, $"[{{:k/id {i}}}]");
        // the fault: the replica stays stopped past the remote failure detectors' acceptable pause (10 s)
        var rest = TimeSpan.FromSeconds(16) - paused.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        await Signal(replica, "CONT");
        await Transact(server, $"[{{:k/id {last}}}]");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await replica.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            replica.Kill(true);
            lock (seen) Assert.Fail($"the replica did not reach t={last} after SIGCONT; it printed [{string.Join(", ", seen)}]; stderr: {stderr}");
        }
        replica.WaitForExit();
        Assert.True(replica.ExitCode == 0, stderr.ToString());
        lock (seen) Assert.Contains(seen, l => l.StartsWith($"t={last} ", StringComparison.Ordinal));
    }
}
