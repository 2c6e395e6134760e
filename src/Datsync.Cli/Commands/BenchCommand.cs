using System.CommandLine;
using Datsync.Actors;
using Datsync.Benchmarks.Fanout;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync bench fanout</c> and <c>datsync bench remote</c>: the replication benchmarks (the same code as
/// <c>Datsync.Benchmarks -- fanout</c> and <c>-- remote</c>). Their options are the benchmarks' own (<c>--help</c>
/// lists them), passed through as given.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks of the replication service");
        bench.Subcommands.Add(PassThrough("fanout",
            "One master (in-memory journal), N in-process replicas: applied tx/s per replica, commit->applied latency, the " +
            "plain-Tell ceiling, fan-out from the log, and the bootstrap of a 1M-datom master",
            FanoutBench.Usage, FanoutBench.Run));
        bench.Subcommands.Add(PassThrough("remote",
            "One master on Akka.Remote, replicas each in its own ActorSystem over loopback: applied tx/s and datoms/s, live and " +
            "from the log, against a plain ping-pong over the same setup; bootstrap of 1M datoms over the wire",
            RemoteBench.Usage, RemoteBench.Run));
        return bench;
    }

    private static Command PassThrough(string name, string description, string usage,
        Func<IReadOnlyList<string>, TextWriter, TextWriter, int> run)
    {
        var cmd = new Command(name, description + "\n\n" + usage) { TreatUnmatchedTokensAsErrors = false };
        cmd.SetAction(parse => run(parse.UnmatchedTokens, Console.Out, Console.Error));
        return cmd;
    }
}
