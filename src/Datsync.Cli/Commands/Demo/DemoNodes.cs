using System.Diagnostics;
using System.Globalization;
using Datsync.Actors;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Cli.Commands.Demo;

/// <summary>How one replica compared with the master: its digest (null when it gave none), and what is wrong.</summary>
internal sealed record DemoCheck(DbDigest? Digest, bool Equal, string? Problem);

/// <summary>A demo replica with its writer, in this process or in a child process.</summary>
internal interface IDemoNode : IAsyncDisposable
{
    string Name { get; }
    Task Ready { get; }
    /// <summary>The master's t the replica has applied, as last known.</summary>
    long BasisT { get; }
    DemoStats Stats { get; }
    bool WriterDone { get; }
    void StartWriter(long fromT, long quota, int seed);
    Task StopWriter();
    Task<DemoCheck> Check(Db master, DbDigest expected, TimeSpan timeout);
    /// <summary>The replica's answer to a Datalog query on its synced value, printed as EDN.</summary>
    Task<string> Query(string query, TimeSpan timeout);
}

/// <summary>A replica in this process, connecting (<paramref name="connecting"/> completes once it is bootstrapped).</summary>
internal sealed class InProcessNode(string name, Task<DatsyncReplica> connecting, string run, Action<string>? verbose) : IDemoNode
{
    private readonly CancellationTokenSource _stop = new();
    private Task _writer = Task.CompletedTask;

    public string Name => name;
    public Task Ready => connecting;
    private DatsyncReplica? Replica => connecting.IsCompletedSuccessfully ? connecting.Result : null;
    private DatsyncReplica Connected => connecting.Result;
    public long BasisT => Replica?.Status.BasisT ?? -1;
    public DemoStats Stats { get; } = new();
    public bool WriterDone => _writer.IsCompleted;

    public void StartWriter(long fromT, long quota, int seed) =>
        _writer = Task.Run(async () =>
        {
            await Connected.SyncAsync(fromT);
            await DemoWorkload.RunWriter(name, run, seed, DemoWorkload.Through(Connected, TimeSpan.FromSeconds(60)), Stats, quota, _stop.Token, verbose);
        });

    public async Task StopWriter()
    {
        await _stop.CancelAsync();
        await _writer;
    }

    public async Task<DemoCheck> Check(Db master, DbDigest expected, TimeSpan timeout)
    {
        try { await Connected.SyncAsync(master.BasisT).WaitAsync(timeout); }
        catch (TimeoutException)
        {
            return new DemoCheck(null, false, $"did not reach t={master.BasisT} within {timeout.TotalSeconds:0}s (at t={Connected.Status.BasisT})");
        }
        var db = Connected.SyncedDb;
        var digest = DbDigest.Of(db);
        if (digest == expected) return new DemoCheck(digest, true, null);
        if (db.BasisT != master.BasisT) return new DemoCheck(digest, false, $"at t={db.BasisT}, not {master.BasisT}");
        var difference = DbDigest.FirstDifference(master, db);
        return new DemoCheck(digest, false, difference ?? "different digests of the same datoms");
    }

    public Task<string> Query(string query, TimeSpan timeout) =>
        Task.Run(() => EdnPrinter.Print(Connected.SyncedDb.Q(query))).WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _writer; } catch (Exception) { }
        _stop.Dispose();
        if (Replica is { } r) await r.DisposeAsync();
    }
}

/// <summary>A replica in a child process (<c>datsync demo-replica</c>), driven through its standard input and output.</summary>
internal sealed class ProcessNode : IDemoNode
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _digest = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<string> _err;
    private readonly Action<string>? _other;
    private readonly Queue<string> _lastStderr = new();
    private long _basisT = -1, _quota = -1, _attempted, _pending = -1;
    private volatile bool _started;

    public string Name { get; }
    public Task Ready => _ready.Task;
    public long BasisT => Interlocked.Read(ref _basisT);
    public DemoStats Stats { get; } = new();
    public bool WriterDone => _exited.Task.IsCompleted || (_started && _quota >= 0 && Interlocked.Read(ref _attempted) >= _quota);
    /// <summary>The replica's pending local transactions, as last reported (-1: no report yet).</summary>
    public long Pending => Interlocked.Read(ref _pending);
    public int Pid => _process.Id;
    /// <summary>Completes when the process has exited (for any reason).</summary>
    public Task Exited => _exited.Task;
    public string ExitCode => SafeExitCode(_process);

    /// <summary>The last lines the process wrote on standard error (at most 20).</summary>
    public IReadOnlyList<string> LastStderr
    {
        get { lock (_lastStderr) return _lastStderr.ToList(); }
    }

    private ProcessNode(string name, Process process, Action<string> err, Action<string>? other)
    {
        Name = name;
        _process = process;
        _err = err;
        _other = other;
    }

    /// <summary>How to start this program again: the <c>datsync</c> executable itself, or <c>dotnet datsync.dll</c>
    /// (when running under the dotnet host, e.g. <c>dotnet datsync.dll</c> or a test host).</summary>
    public static (string File, string[] Prefix) SelfCommand()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "datsync") return (self, []);
        var dll = typeof(DemoCommand).Assembly.Location;
        var host = self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        return (host, [dll]);
    }

    /// <summary>Starts <c>datsync demo-replica</c>: <paramref name="extraArgs"/> go after its usual options, the
    /// lines of standard output it does not know go to <paramref name="other"/>, and its standard error goes to
    /// <paramref name="err"/> unless <paramref name="forwardStderr"/> is off (the last lines are kept either way).</summary>
    public static ProcessNode Start(string name, string server, string run, bool verbose, Action<string> err,
        IEnumerable<string>? extraArgs = null, Action<string>? other = null, bool forwardStderr = true)
    {
        var (file, prefix) = SelfCommand();
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8, StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var a in prefix) info.ArgumentList.Add(a);
        foreach (var a in new[] { DemoReplicaProcess.CommandName, "--server", server, "--client-id", name, "--run", run }) info.ArgumentList.Add(a);
        foreach (var a in extraArgs ?? []) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new ProcessNode(name, process, err, other);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) node.OnLine(line); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (node._lastStderr)
            {
                node._lastStderr.Enqueue(line);
                if (node._lastStderr.Count > 20) node._lastStderr.Dequeue();
            }
            if (forwardStderr && (verbose || !string.IsNullOrWhiteSpace(line))) err($"[{name}] {line}");
        };
        process.Exited += (_, _) =>
        {
            node._exited.TrySetResult();
            var why = new InvalidOperationException($"replica process {name} exited (code {SafeExitCode(process)})");
            node._ready.TrySetException(why);
            node._stopped.TrySetResult();
            node._digest.TrySetException(why);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private static string SafeExitCode(Process p)
    {
        try { return p.ExitCode.ToString(CultureInfo.InvariantCulture); } catch (InvalidOperationException) { return "?"; }
    }

    private void OnLine(string line)
    {
        if (DemoReplicaProcess.Fields(line, "status") is { } s)
        {
            if (long.TryParse(s.GetValueOrDefault("t"), out var t)) Interlocked.Exchange(ref _basisT, t);
            if (long.TryParse(s.GetValueOrDefault("pending"), out var p)) Interlocked.Exchange(ref _pending, p);
            UpdateCounts(s);
        }
        else if (DemoReplicaProcess.Fields(line, "ready") is { } r)
        {
            if (long.TryParse(r.GetValueOrDefault("t"), out var t)) Interlocked.Exchange(ref _basisT, t);
            _ready.TrySetResult();
        }
        else if (DemoReplicaProcess.Fields(line, "stopped") is { } st)
        {
            UpdateCounts(st);
            _stopped.TrySetResult();
        }
        else if (line.StartsWith("unexpected ", StringComparison.Ordinal)) Stats.AddUnexpectedSample(line["unexpected ".Length..]);
        else if (line.StartsWith("digest ", StringComparison.Ordinal)) _digest.TrySetResult(line);
        else if (line.StartsWith("answer ", StringComparison.Ordinal)) _answer.TrySetResult(line["answer ".Length..]);
        else if (line.StartsWith("error ", StringComparison.Ordinal))
        {
            var message = line["error ".Length..];
            _err($"[{Name}] {message}");
            _ready.TrySetException(new InvalidOperationException(message));
            _digest.TrySetException(new InvalidOperationException(message));
        }
        else _other?.Invoke(line);
    }

    private void UpdateCounts(Dictionary<string, string> f)
    {
        long Get(string k) => long.TryParse(f.GetValueOrDefault(k), out var v) ? v : 0;
        var (c, r, u) = (Get("committed"), Get("rejected"), Get("unexpected"));
        Stats.Set(c, r, u);
        Interlocked.Exchange(ref _attempted, c + r + u);
    }

    /// <summary>Sends one line to the process (nothing when it is gone).</summary>
    public void Send(string command)
    {
        try
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException) { }
    }

    public void StartWriter(long fromT, long quota, int seed)
    {
        _quota = quota;
        _started = true;
        Send(FormattableString.Invariant($"start {fromT} {quota} {seed}"));
    }

    public async Task StopWriter()
    {
        Send("stop");
        await _stopped.Task.WaitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Has the replica sync to <paramref name="t"/> and print its digest (once per process): the digest, or
    /// why there is none.</summary>
    public async Task<(DbDigest? Digest, string? Problem)> DigestAt(long t, TimeSpan timeout)
    {
        Send(FormattableString.Invariant($"sync {t}"));
        string line;
        try { line = await _digest.Task.WaitAsync(timeout + TimeSpan.FromSeconds(10)); }
        catch (Exception e) { return (null, e is TimeoutException ? "no digest in time" : e.Message); }
        return DbDigest.TryParse(line) is { } d ? (d, null) : (null, $"unreadable digest: {line}");
    }

    public async Task<string> Query(string query, TimeSpan timeout)
    {
        Send("query " + query.ReplaceLineEndings(" "));
        return await _answer.Task.WaitAsync(timeout);
    }

    /// <summary>SIGKILL: the process ends at once, without any shutdown.</summary>
    public void Kill()
    {
        try { _process.Kill(); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    public async Task<DemoCheck> Check(Db master, DbDigest expected, TimeSpan timeout)
    {
        var (digest, problem) = await DigestAt(master.BasisT, timeout);
        if (digest is not { } d) return new DemoCheck(null, false, problem);
        if (d.T != expected.T) return new DemoCheck(d, false, $"at t={d.T}, not {expected.T}");
        if (d.Datoms != expected.Datoms) return new DemoCheck(d, false, $"{d.Datoms:N0} datoms, the master {expected.Datoms:N0}");
        return d.Sha256 == expected.Sha256 ? new DemoCheck(d, true, null) : new DemoCheck(d, false, "same number of datoms, different datoms (sha256)");
    }

    public async ValueTask DisposeAsync()
    {
        Send("exit");
        try { _process.StandardInput.Close(); } catch (Exception) { }
        try { await _exited.Task.WaitAsync(TimeSpan.FromSeconds(15)); }
        catch (TimeoutException)
        {
            _err($"[{Name}] did not exit within 15s: killed");
            try { _process.Kill(entireProcessTree: true); } catch (Exception) { }
        }
        try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        _process.Dispose();
    }
}
