using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;

namespace Datsync.Cli.Commands.Chaos;

/// <summary><c>datsync serve</c> as a child process on a fixed port and data directory, so that it can be killed and
/// started again where the replicas look for it.</summary>
internal sealed class ChaosServer(string dataDir, int port, string configFile, bool verbose, Action<string> err) : IAsyncDisposable
{
    private readonly Queue<string> _lastStderr = new();
    private Process? _process;
    private TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _expectingExit;

    public string HostPort { get; } = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    public int? Pid => _process?.Id;
    public bool Up => _process is { } p && !_exited.Task.IsCompleted && !HasExited(p);

    /// <summary>Exits nobody asked for (a crash), each with its exit code and its last lines on standard error.</summary>
    public List<string> UnexpectedExits { get; } = [];

    /// <summary>Completes when the current process exits.</summary>
    public Task Exited => _exited.Task;

    /// <summary>A TCP port on 127.0.0.1 that nothing listened on a moment ago.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    /// <summary>Starts the server and waits for its <c>listening on</c> line (tries again a few times when it exits
    /// first, e.g. while the port is still held); false when it did not come up.</summary>
    public async Task<bool> StartAsync(TimeSpan timeout)
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var (file, prefix) = ProcessNode.SelfCommand();
            var info = new ProcessStartInfo(file)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                StandardOutputEncoding = System.Text.Encoding.UTF8, StandardErrorEncoding = System.Text.Encoding.UTF8,
            };
            foreach (var a in prefix) info.ArgumentList.Add(a);
            foreach (var a in new[] { "serve", "--db", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture), "--config", configFile })
                info.ArgumentList.Add(a);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith("listening on ", StringComparison.Ordinal)) listening.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not { } line) return;
                lock (_lastStderr)
                {
                    _lastStderr.Enqueue(line);
                    if (_lastStderr.Count > 30) _lastStderr.Dequeue();
                }
                if (verbose) err("[server] " + line);
            };
            process.Exited += (_, _) =>
            {
                exited.TrySetResult();
                if (!_expectingExit && listening.Task.IsCompleted)
                {
                    var why = $"the server (pid {process.Id}) exited on its own, code {ExitCode(process)}; its last lines: {string.Join(" | ", LastStderr(8))}";
                    lock (UnexpectedExits) UnexpectedExits.Add(why);
                    err("datsync chaos: " + why);
                }
            };
            _expectingExit = false;
            lock (_lastStderr) _lastStderr.Clear();
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            _exited = exited;
            var first = await Task.WhenAny(listening.Task, exited.Task, Task.Delay(timeout));
            if (first == listening.Task) return true;
            if (first != exited.Task)
            {
                Kill();
                return false;
            }
            err($"datsync chaos: the server did not start (attempt {attempt}, code {ExitCode(process)}): {string.Join(" | ", LastStderr(3))}");
            await Task.Delay(TimeSpan.FromSeconds(attempt)); // a port still held, a journal still locked: give it a moment
        }
        return false;
    }

    public IReadOnlyList<string> LastStderr(int n)
    {
        lock (_lastStderr) return _lastStderr.TakeLast(n).ToList();
    }

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is not { } p) return;
        _expectingExit = true;
        try { p.Kill(); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { p.WaitForExit(TimeSpan.FromSeconds(30)); } catch (InvalidOperationException) { }
    }

    /// <summary>SIGTERM (a clean stop: the journal is closed), then waits; SIGKILL when it does not end in time.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process is not { } p || HasExited(p)) return true;
        _expectingExit = true;
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            Kill();
            return false;
        }
    }

    private static bool HasExited(Process p)
    {
        try { return p.HasExited; } catch (InvalidOperationException) { return true; }
    }

    private static string ExitCode(Process p)
    {
        try { return p.ExitCode.ToString(CultureInfo.InvariantCulture); } catch (InvalidOperationException) { return "?"; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } p)
        {
            await StopAsync(TimeSpan.FromSeconds(15));
            p.Dispose();
        }
    }
}
