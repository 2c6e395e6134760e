using System.Diagnostics;
using System.Globalization;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;

namespace Datsync.Cli.Commands.Chaos;

/// <summary>One replica of a chaos run: a <c>datsync demo-replica</c> process (the demo's) started again after each
/// kill, with a new generation (so its writer's markers stay unique), and the faults done to it.</summary>
internal sealed class ChaosReplica(string name, Func<ChaosReplica, int, ProcessNode> start, Action<string> log)
{
    private readonly object _gate = new();
    private volatile bool _expectingExit;

    public string Name => name;
    public ProcessNode? Node { get; private set; }
    public int Generation { get; private set; }
    public bool Stopped { get; private set; }
    public int Kills, Restarts, Stops;
    public List<double> StopSeconds { get; } = [];
    public List<string> UnexpectedExits { get; } = [];

    public bool Up => Node is { } n && !n.Exited.IsCompleted;

    /// <summary>Starts a process (the next generation) and waits until its replica is ready; then, with
    /// <paramref name="writerFromT"/>, starts its writer once it holds that t.</summary>
    public async Task<bool> StartAsync(long? writerFromT, TimeSpan timeout)
    {
        ProcessNode node;
        lock (_gate)
        {
            Generation++;
            node = start(this, Generation);
            Node = node;
            Stopped = false;
            _expectingExit = false;
        }
        _ = node.Exited.ContinueWith(_ =>
        {
            if (_expectingExit || !ReferenceEquals(Node, node)) return;
            var why = $"replica {name} (pid {node.Pid}) exited on its own, code {node.ExitCode}; its last lines: {string.Join(" | ", node.LastStderr.TakeLast(6))}";
            lock (UnexpectedExits) UnexpectedExits.Add(why);
            log(why);
        }, TaskScheduler.Default);
        try { await node.Ready.WaitAsync(timeout); }
        catch (Exception e)
        {
            log($"replica {name} did not become ready: {(e is TimeoutException ? $"not within {timeout.TotalSeconds:0}s" : e.Message)}");
            return false;
        }
        if (writerFromT is { } t) node.Send(FormattableString.Invariant($"markers {t} {Generation}"));
        return true;
    }

    /// <summary>SIGKILL (a stopped process too), and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        ProcessNode? node;
        lock (_gate)
        {
            node = Node;
            _expectingExit = true;
            Stopped = false;
        }
        if (node is null) return;
        node.Kill();
        try { await node.Exited.WaitAsync(TimeSpan.FromSeconds(30)); } catch (TimeoutException) { }
    }

    /// <summary>SIGSTOP (<paramref name="stop"/>) or SIGCONT to the current process; false when there is none.</summary>
    public async Task<bool> SignalAsync(bool stop)
    {
        ProcessNode? node;
        lock (_gate)
        {
            node = Node;
            if (node is null || node.Exited.IsCompleted || Stopped == stop) return false;
            Stopped = stop;
        }
        using var kill = Process.Start("kill", [stop ? "-STOP" : "-CONT", node.Pid.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        return kill.ExitCode == 0;
    }

    /// <summary>Ends the process (it is asked to exit; killed when it does not).</summary>
    public async Task DisposeAsync()
    {
        _expectingExit = true;
        if (Node is { } n) await n.DisposeAsync();
    }
}
