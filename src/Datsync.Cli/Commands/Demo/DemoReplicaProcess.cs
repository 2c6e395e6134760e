using Datsync.Core;
using System.CommandLine;
using System.Globalization;
using Datsync.Actors;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands.Demo;

/// <summary>
/// <c>datsync demo-replica</c> (hidden): one replica of <c>datsync demo --processes</c>, in its own process. It
/// connects to the demo's master over Akka.Remote and talks to the parent through lines:
/// <list type="bullet">
/// <item>stdout: <c>ready t=T</c>; every 200 ms <c>status t=BASIS master=T pending=N conn=STATE committed=N rejected=N unexpected=N</c>;
/// <c>stopped committed=N rejected=N unexpected=N</c> (then <c>unexpected TEXT</c> lines); <c>digest t=T datoms=N sha256=H</c>;
/// <c>error TEXT</c>.</item>
/// <item>stdin: <c>start T QUOTA SEED</c> (wait for t, then write through the replica; QUOTA &lt; 0: no limit),
/// <c>markers T GENERATION</c> (wait for t, then run the chaos writer of marker transactions through the replica,
/// printing <c>submit MARKER</c> before each and <c>ack</c> / <c>rejected</c> / <c>doubt</c> lines after, see
/// <see cref="Chaos.ChaosOutcome"/>), <c>stop</c>, <c>dump FILE</c> (the synced value's digest lines, then <c>dumped FILE</c>), <c>sync T</c> (wait for t, then print the digest of the replica's value), <c>exit</c> (or end of input).</item>
/// </list>
/// </summary>
internal static class DemoReplicaProcess
{
    public const string CommandName = "demo-replica";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "HOST:PORT of the demo's master", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "this replica's client id", Required = true };
        var run = new Option<string>("--run") { Description = "the demo run's id (part of the emails this replica's writer creates)", DefaultValueFactory = _ => "run" };
        var token = CliSupport.TokenOption();
        var config = new Option<string?>("--config") { Description = "HOCON file layered over the demo's quick replica settings" };
        var cmd = new Command(CommandName, "One replica process of `datsync demo --processes` and `datsync chaos` (internal)") { Hidden = true };
        cmd.Options.Add(server);
        cmd.Options.Add(clientId);
        cmd.Options.Add(run);
        cmd.Options.Add(token);
        cmd.Options.Add(config);
        // synchronous, and deaf to Ctrl+C (which a terminal sends to the parent and its children alike): the parent
        // stops the writer and asks for the digest; the process ends on `exit` or when its standard input closes
        cmd.SetAction(parse =>
        {
            Console.CancelKeyPress += (_, e) => e.Cancel = true;
            var hocon = parse.GetValue(config) is { } file ? File.ReadAllText(file) : "";
            return RunAsync(parse.GetValue(server)!, parse.GetValue(clientId)!, parse.GetValue(run)!, Console.In, Console.Out,
                parse.GetValue(token), hocon).GetAwaiter().GetResult();
        });
        return cmd;
    }

    public static async Task<int> RunAsync(string server, string clientId, string run, TextReader input, TextWriter output,
        string? clientToken = null, string hocon = "")
    {
        var gate = new object();
        void Say(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }

        var system = DatsyncRemote.ClientSystem("datsync-demo-replica", overrides: StderrLogger.Hocon + "\n" + DemoCommand.QuickHocon + "\n" + hocon);
        var stats = new DemoStats();
        using var stopStatus = new CancellationTokenSource();
        try
        {
            var replica = DatsyncReplica.Connect(system, server, clientId, clientToken);
            try { await replica.Ready.WaitAsync(StepTimeout); }
            catch (Exception e)
            {
                Say($"error the replica did not connect to {server}: {replica.Refusal?.Message ?? e.Message}");
                return 2;
            }
            Say($"ready t={replica.Status.BasisT}");
            var status = Task.Run(async () =>
            {
                while (!stopStatus.IsCancellationRequested)
                {
                    var s = replica.Status;
                    Say($"status t={s.BasisT} master={s.MasterT} pending={s.PendingLocal} conn={s.Connection} " +
                        $"committed={stats.Committed} rejected={stats.RejectedAsExpected} unexpected={stats.Unexpected}");
                    try { await Task.Delay(200, stopStatus.Token); } catch (OperationCanceledException) { }
                }
            });

            CancellationTokenSource? stopWriter = null;
            Task? writer = null;
            while (await input.ReadLineAsync() is { } line)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0) continue;
                switch (words[0])
                {
                    case "start" when words.Length == 4:
                        stopWriter = new CancellationTokenSource();
                        var from = long.Parse(words[1], CultureInfo.InvariantCulture);
                        var quota = long.Parse(words[2], CultureInfo.InvariantCulture);
                        var seed = int.Parse(words[3], CultureInfo.InvariantCulture);
                        var token = stopWriter.Token;
                        writer = Task.Run(async () =>
                        {
                            await replica.SyncAsync(from).WaitAsync(StepTimeout);
                            await DemoWorkload.RunWriter(clientId, run, seed, DemoWorkload.Through(replica, StepTimeout), stats, quota, token);
                        });
                        break;
                    case "markers" when words.Length == 3:
                        stopWriter = new CancellationTokenSource();
                        var fromT = long.Parse(words[1], CultureInfo.InvariantCulture);
                        var generation = int.Parse(words[2], CultureInfo.InvariantCulture);
                        var stopMarkers = stopWriter.Token;
                        writer = Task.Run(async () =>
                        {
                            await replica.SyncAsync(fromT).WaitAsync(StepTimeout);
                            var submit = DemoWorkload.Through(replica, Chaos.ChaosCommand.TxTimeout);
                            await Chaos.ChaosWriter.Run(clientId, n => Chaos.ChaosWriter.Marker(run, clientId, generation, n),
                                edn => submit(DemoWorkload.Parse(edn)), m => Say("submit " + m), o => Say(o.ToLine()), stopMarkers);
                        });
                        break;
                    case "stop":
                        stopWriter?.Cancel();
                        if (writer is not null)
                        {
                            try { await writer; }
                            catch (Exception e) { Say($"error the writer failed: {e.Message}"); }
                        }
                        Say($"stopped committed={stats.Committed} rejected={stats.RejectedAsExpected} unexpected={stats.Unexpected}");
                        foreach (var u in stats.UnexpectedSamples) Say("unexpected " + u.ReplaceLineEndings(" "));
                        break;
                    case "sync" when words.Length == 2:
                        var t = long.Parse(words[1], CultureInfo.InvariantCulture);
                        try
                        {
                            await replica.SyncAsync(t).WaitAsync(StepTimeout);
                            Say(DbDigest.Of(replica.SyncedDb).ToLine());
                        }
                        catch (TimeoutException)
                        {
                            Say($"error did not reach t={t} within {StepTimeout.TotalSeconds:0}s (at t={replica.Status.BasisT})");
                        }
                        break;
                    case "query" when words.Length > 1:
                        try { Say("answer " + EdnPrinter.Print(replica.SyncedDb.Q(line["query ".Length..]))); }
                        catch (QueryException e) { Say("answer " + EdnPrinter.Print(e.Message)); }
                        break;
                    case "dump" when words.Length == 2:
                        // the synced value's digest lines, to a file: what differs from the master, line by line
                        await File.WriteAllLinesAsync(words[1], DbDigest.Lines(replica.SyncedDb));
                        Say("dumped " + words[1]);
                        break;
                    case "exit":
                        return 0;
                    default:
                        Say($"error unknown command: {line}");
                        break;
                }
            }
            return 0;
        }
        finally
        {
            stopStatus.Cancel();
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        }
    }

    /// <summary>The <c>key=value</c> fields of a line that starts with <paramref name="word"/>, or null.</summary>
    public static Dictionary<string, string>? Fields(string line, string word)
    {
        if (!line.StartsWith(word + " ", StringComparison.Ordinal)) return null;
        var fields = new Dictionary<string, string>();
        foreach (var part in line[(word.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0) fields[part[..eq]] = part[(eq + 1)..];
        }
        return fields;
    }
}
