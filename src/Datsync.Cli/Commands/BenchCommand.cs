using System.CommandLine;
using Datsync.Benchmarks.Fanout;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync bench fanout</c> and <c>datsync bench remote</c>: the replication benchmarks (the same code as
/// <c>Datsync.Benchmarks -- fanout</c> and <c>-- remote</c>).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks of the replication service");
        bench.Subcommands.Add(Fanout());
        bench.Subcommands.Add(Remote());
        return bench;
    }

    private static Command Fanout()
    {
        var replicas = new Option<string>("--replicas") { Description = "replica counts to run, one master each (default 1,10,100,1000)" };
        var tx = new Option<int?>("--tx") { Description = "transactions streamed per run up to 100 replicas (default 20000; above 100 replicas tx*100/N, at least 1000)" };
        var window = new Option<int?>("--window") { Description = "at most this many transactions submitted and not yet applied by every replica (default 128)" };
        var submitters = new Option<int?>("--submitters") { Description = "threads submitting transactions (default 4)" };
        var boot = new Option<int?>("--bootstrap-datoms") { Description = "size of the master a fresh replica bootstraps from (default 1000000; 0 skips)" };
        var quick = new Option<bool>("--quick") { Description = "5000 transactions per run unless --tx says otherwise" };
        var cmd = new Command("fanout",
            "One master (in-memory journal), N in-process replicas, a stream of small transactions: applied tx/s per replica, " +
            "commit->applied latency, the plain-Tell ceiling, and the bootstrap of a 1M-datom master");
        foreach (var o in new Option[] { replicas, tx, window, submitters, boot, quick }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var args = new List<string>();
            if (parse.GetValue(replicas) is { } r) args.AddRange(["--replicas", r]);
            void Int(string name, int? v) { if (v is { } x) args.AddRange([name, x.ToString(System.Globalization.CultureInfo.InvariantCulture)]); }
            Int("--tx", parse.GetValue(tx));
            Int("--window", parse.GetValue(window));
            Int("--submitters", parse.GetValue(submitters));
            Int("--bootstrap-datoms", parse.GetValue(boot));
            if (parse.GetValue(quick)) args.Add("--quick");
            return FanoutBench.Run(args, Console.Out, Console.Error);
        });
        return cmd;
    }

    private static Command Remote()
    {
        var replicas = new Option<string>("--replicas") { Description = "replica counts to run, one client ActorSystem per replica (default 1,10)" };
        var tx = new Option<int?>("--tx") { Description = "transactions per stream (default 20000; --quick 5000)" };
        var window = new Option<int?>("--window") { Description = "at most this many transactions submitted and not yet applied by every replica (default 128)" };
        var submitters = new Option<int?>("--submitters") { Description = "threads submitting transactions (default 4)" };
        var pings = new Option<int?>("--pings") { Description = "round trips per client in the ping-pong ceiling (default 20000; --quick 5000)" };
        var pingWindow = new Option<int?>("--ping-window") { Description = "requests in flight per client in the windowed ping-pong (default 128)" };
        var boot = new Option<int?>("--bootstrap-datoms") { Description = "size of the master a replica bootstraps from over the wire (default 1000000; 0 skips)" };
        var config = new Option<string[]>("--config") { Description = "HOCON applied to every actor system of the run, e.g. \"datsync.session.bootstrap-window = 16\"" };
        var quick = new Option<bool>("--quick") { Description = "5000 transactions and round trips unless --tx / --pings say otherwise" };
        var cmd = new Command("remote",
            "One master on Akka.Remote (127.0.0.1), 1 and 10 replicas each in its own ActorSystem: applied tx/s and datoms/s per " +
            "replica, live and from the log, against a plain ping-pong over the same setup; bootstrap of 1M datoms over the wire");
        foreach (var o in new Option[] { replicas, tx, window, submitters, pings, pingWindow, boot, config, quick }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var args = new List<string>();
            if (parse.GetValue(replicas) is { } r) args.AddRange(["--replicas", r]);
            void Int(string name, int? v) { if (v is { } x) args.AddRange([name, x.ToString(System.Globalization.CultureInfo.InvariantCulture)]); }
            Int("--tx", parse.GetValue(tx));
            Int("--window", parse.GetValue(window));
            Int("--submitters", parse.GetValue(submitters));
            Int("--pings", parse.GetValue(pings));
            Int("--ping-window", parse.GetValue(pingWindow));
            Int("--bootstrap-datoms", parse.GetValue(boot));
            foreach (var c in parse.GetValue(config) ?? []) args.AddRange(["--config", c]);
            if (parse.GetValue(quick)) args.Add("--quick");
            return RemoteBench.Run(args, Console.Out, Console.Error);
        });
        return cmd;
    }
}
