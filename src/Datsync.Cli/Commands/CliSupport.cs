using System.CommandLine;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Core;
using Datsync.Actors.Remote;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands;

/// <summary>What the networked verbs (<c>serve</c>, <c>replica</c>, <c>transact --server</c>) share: the global
/// <c>--verbose</c> option, <c>--config</c> files, the client's actor system, and one-line errors.</summary>
public static class CliSupport
{
    /// <summary>The port <c>datsync serve</c> listens on unless told otherwise.</summary>
    public const int DefaultPort = 4710;

    /// <summary>Exit code of a failure to reach the server, a refusal, or a timeout (1 is bad input or a rejected
    /// transaction).</summary>
    public const int Unreachable = 2;

    /// <summary>Global: Akka's log on standard error (INFO) and stack traces with errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show Akka's log (INFO and above) on standard error, and stack traces with errors",
        Recursive = true,
    };

    public static Option<string[]> ConfigOption(string what) => new("--config")
    {
        Description = $"HOCON file layered on top of the defaults ({what}); repeat to layer several, the last wins",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> ClientIdOption(string prefix) => new("--client-id")
    {
        Description = $"Client id presented to the server (default: {prefix}-<machine>-<pid>)",
    };

    public static string DefaultClientId(string prefix) => $"{prefix}-{Environment.MachineName}-{Environment.ProcessId}";

    public static Option<string?> TokenOption() => new("--token")
    {
        Description = "The client's token, when the server lists its clients (datsync.server.clients)",
    };

    public static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds to wait for the server to answer at all before giving up",
        DefaultValueFactory = _ => 10,
    };

    /// <summary>The text of a file, or of standard input for null or <c>-</c>, as strict UTF-8: bytes that are not
    /// UTF-8 are an error (<see cref="EdnReadException"/> with the position), never replaced.</summary>
    public static async Task<string> ReadText(string? path)
    {
        if (path is not (null or "-")) return Utf8Strict.Decode(await File.ReadAllBytesAsync(path));
        using var buffer = new MemoryStream();
        await using var stdin = Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer);
        return Utf8Strict.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>The --config files layered (a later one wins), or an empty config.</summary>
    public static Config LoadConfig(string[]? files)
    {
        var config = ConfigurationFactory.ParseString("");
        foreach (var f in files ?? [])
        {
            string text;
            try { text = File.ReadAllText(f); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot read --config {f}: {e.Message}");
            }
            try { config = ConfigurationFactory.ParseString(text).WithFallback(config); }
            catch (Exception e) { throw new CliException($"--config {f} is not valid HOCON: {e.Message}"); }
        }
        return config;
    }

    /// <summary>Logging of a CLI actor system: Akka's log to standard error at <paramref name="quietLevel"/> (OFF for
    /// clients, so an unreachable server gives one line, not a stream of transport warnings), INFO with --verbose;
    /// nothing ever to standard output.</summary>
    public static Config Logging(bool verbose, string quietLevel) => ConfigurationFactory.ParseString(StderrLogger.Hocon + $"""

        akka.loglevel = {(verbose ? "INFO" : quietLevel)}
        akka.remote.log-remote-lifecycle-events = {(verbose ? "on" : "off")}
        """);

    /// <summary>An actor system for a client of the server at <paramref name="serverHost"/>: Akka.Remote on a free
    /// port (on 127.0.0.1 for a server on this machine, 0.0.0.0 otherwise, unless the config says), the --config files,
    /// and quiet logging unless --verbose.</summary>
    public static ActorSystem ClientSystem(Config files, bool verbose, string serverHost)
    {
        var loopback = serverHost is "localhost" || (IPAddress.TryParse(serverHost, out var ip) && IPAddress.IsLoopback(ip));
        var config = (verbose ? Logging(true, "INFO") : ConfigurationFactory.ParseString(""))
            .WithFallback(files)
            .WithFallback(Logging(false, "OFF"))
            .WithFallback(DatsyncRemote.RemoteConfig(loopback ? "127.0.0.1" : "0.0.0.0", 0))
            .WithFallback(WireSecurity.Client)
            .WithFallback(DatsyncConfig.Default);
        return ActorSystem.Create("datsync-cli", config);
    }

    /// <summary>Terminates a CLI actor system, waiting a little at most.</summary>
    public static async Task Shutdown(ActorSystem system)
    {
        // coordinated shutdown leaves the remote association gracefully: the server does not log a failed association
        try { await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance).WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { }
    }

    /// <summary>Runs a verb's body; a failure becomes one line on standard error (<c>datsync VERB: message</c>, the
    /// stack trace too with --verbose) and exit code 1 (or the <see cref="CliException"/>'s code).</summary>
    public static async Task<int> Guarded(string verb, bool verbose, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            return Error(verb, e.Message, verbose ? e : null, e.ExitCode);
        }
        catch (Exception e)
        {
            return Error(verb, OneLine(e), verbose ? e : null, 1);
        }
    }

    public static int Error(string verb, string message, Exception? detail = null, int exitCode = 1)
    {
        Console.Error.WriteLine($"datsync {verb}: {message}");
        if (detail is not null) Console.Error.WriteLine(detail);
        Console.Error.Flush();
        return exitCode;
    }

    private static string OneLine(Exception e)
    {
        var inner = e is AggregateException { InnerException: { } i } ? i : e;
        var m = inner.Message.ReplaceLineEndings(" ");
        return inner is ConfigurationException or FormatException or CliException ? m : $"{m} ({inner.GetType().Name})";
    }
}

/// <summary>An error the CLI reports as one line, with its exit code.</summary>
public sealed class CliException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
