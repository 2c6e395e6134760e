using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Datsync.Integration.Tests.Cli;

/// <summary>The `datsync` command as a child process (the build next to the tests).</summary>
public static class DatsyncProcess
{
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>How the tests start a child process: standard streams redirected (UTF-8), no shell.</summary>
    public static ProcessStartInfo Info(string fileName, string args) => new(fileName, args)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        RedirectStandardInput = true,
        UseShellExecute = false,
        StandardOutputEncoding = Encoding.UTF8,
        StandardErrorEncoding = Encoding.UTF8,
    };

    private static ProcessStartInfo Datsync(string args) =>
        Info("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "datsync.dll")}\" {args}");

    public static Process Start(string args, string? stdin = null, bool keepInputOpen = false) =>
        Start(Datsync(args), stdin, keepInputOpen);

    public static Process Start(ProcessStartInfo psi, string? stdin = null, bool keepInputOpen = false)
    {
        var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        if (!keepInputOpen) p.StandardInput.Close();
        return p;
    }

    public static Task<Result> Run(string args, string? stdin = null) => Run(Datsync(args), Limit, $"datsync {args}", stdin);

    /// <summary>Runs any process to its end (<see cref="Info"/> makes its start info); killed, with a
    /// <see cref="TimeoutException"/> that holds its standard error, after <paramref name="limit"/>.</summary>
    public static async Task<Result> Run(ProcessStartInfo psi, TimeSpan limit, string what, string? stdin = null)
    {
        using var p = Start(psi, stdin);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException($"{what} did not finish within {limit}: {await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A TCP port nothing listens on (it was free a moment ago).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>`datsync serve` running as a child process; disposing kills it.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly StringBuilder _stderr;

    public Process Process { get; }

    /// <summary>host:port from its `listening on` line.</summary>
    public string HostPort { get; }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private ServeProcess(Process process, string hostPort, StringBuilder stderr)
    {
        _stderr = stderr;
        Process = process;
        HostPort = hostPort;
    }

    public static async Task<ServeProcess> Start(string args)
    {
        var p = DatsyncProcess.Start("serve " + args);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(DatsyncProcess.Limit);
        string? line;
        try { line = await p.StandardOutput.ReadLineAsync(cts.Token); }
        catch (OperationCanceledException) { line = null; }
        if (line is null || !line.StartsWith("listening on ", StringComparison.Ordinal))
        {
            if (!p.HasExited) p.Kill(true);
            lock (stderr) throw new InvalidOperationException($"datsync serve {args} printed \"{line}\"; stderr: {stderr}");
        }
        return new ServeProcess(p, line["listening on ".Length..].Trim(), stderr);
    }

    /// <summary>SIGTERM, as a service manager stops it; the exit code once it exited.</summary>
    public async Task<int> Terminate()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", $"-TERM {Process.Id}")) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(DatsyncProcess.Limit);
        await Process.WaitForExitAsync(cts.Token);
        return Process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown of any kind.</summary>
    public void KillHard()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit(DatsyncProcess.Limit);
    }

    public void Dispose()
    {
        KillHard();
        Process.Dispose();
    }
}
