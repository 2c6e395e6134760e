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
internal static class CliSupport
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
    /// quiet logging unless --verbose, and TLS with <paramref name="tls"/>.</summary>
    public static ActorSystem ClientSystem(Config files, bool verbose, string serverHost, TlsOptions? tls = null)
    {
        var config = (verbose ? Logging(true, "INFO") : ConfigurationFactory.ParseString(""))
            .WithFallback(files)
            .WithFallback(Logging(false, "OFF"));
        try { return DatsyncRemote.ClientSystemFor(serverHost, "datsync-cli", config, tls); }
        catch (TlsSetupException e) { throw new CliException(e.Message); }
    }

    /// <summary>The line for a server that did not answer: over TLS says so; in the clear, says whether the server
    /// wants TLS (one TLS handshake to find out).</summary>
    public static async Task<string> NoAnswer(string server, string host, int port, TimeSpan timeout, TlsOptions? tls)
    {
        var line = $"no datsync server answered at {server} within {timeout.TotalSeconds}s";
        if (tls is { IsEnabled: true }) return line + " (over TLS)";
        return await TlsProbe.SpeaksTlsAsync(host, port, TimeSpan.FromSeconds(5))
            ? line + ": it serves TLS (give --tls-ca, and --tls-cert if it requires client certificates)"
            : line;
    }

    /// <summary>Why a client with <paramref name="tls"/> cannot speak TLS with host:port (<see cref="TlsProbe"/>), as a
    /// task that completes only when there is a reason (never, when TLS is off or the handshake went through).</summary>
    public static Task<string> TlsFailure(TlsOptions? tls, string host, int port, TimeSpan timeout)
    {
        if (tls is not { IsEnabled: true }) return new TaskCompletionSource<string>().Task;
        return Run();

        async Task<string> Run()
        {
            string? why;
            try { why = await TlsProbe.ProbeAsync(tls, host, port, timeout); }
            catch (TlsSetupException) { why = null; } // the client system reported it already
            if (why is null) await Task.Delay(Timeout.Infinite);
            return why!;
        }
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

/// <summary>The TLS options of a networked verb: <c>--tls-cert</c> and where its password comes from
/// (<c>--tls-password-env</c> or <c>--tls-password-file</c>, never the password itself), and on a server
/// <c>--tls-client-ca</c> (require client certificates signed by it), on a client <c>--tls-ca</c> (the CA of the
/// server's certificate).</summary>
internal sealed class TlsFlags
{
    private enum Side { Server, Client, Cluster }

    private readonly Side _side;
    private readonly string _prefix; // --tls or --cluster
    private readonly Option<string?> _cert;
    private readonly Option<string?> _passwordEnv;
    private readonly Option<string?> _passwordFile;
    private readonly Option<string?> _ca;

    private TlsFlags(Side side)
    {
        _side = side;
        _prefix = side == Side.Cluster ? "--cluster" : "--tls";
        _cert = new Option<string?>(_prefix + "-cert")
        {
            Description = side switch
            {
                Side.Server => "Serve over TLS with this certificate: a PKCS#12 (.pfx) file with its private key (see `datsync certs`)",
                Side.Client => "The client's certificate (.pfx with its key), for a server that requires one (--tls-client-ca)",
                _ => "With --cluster: TLS on the cluster transport with this node's certificate, a PKCS#12 (.pfx) file with its key (see `datsync certs`)",
            },
        };
        _passwordEnv = new Option<string?>(_prefix + "-password-env") { Description = $"Name of the environment variable holding the {_prefix}-cert password" };
        _passwordFile = new Option<string?>(_prefix + "-password-file") { Description = $"File holding the {_prefix}-cert password (its first line; keep it mode 0600)" };
        _ca = side switch
        {
            Side.Server => new Option<string?>("--tls-client-ca") { Description = "Require client certificates signed by this CA (PEM or DER): mutual TLS" },
            Side.Client => new Option<string?>("--tls-ca") { Description = "Connect over TLS, trusting server certificates signed by this CA (PEM or DER) only" },
            _ => new Option<string?>("--cluster-ca") { Description = "With --cluster-cert: the CA (PEM or DER) that signed every node's certificate; a node without one is refused" },
        };
    }

    public static TlsFlags Server() => new(Side.Server);

    public static TlsFlags Client() => new(Side.Client);

    /// <summary>The cluster transport's TLS (<c>--cluster-cert</c>, <c>--cluster-ca</c>, ...): both ways, every node's
    /// certificate signed by the one CA.</summary>
    public static TlsFlags Cluster() => new(Side.Cluster);

    public void AddTo(Command command)
    {
        command.Options.Add(_cert);
        command.Options.Add(_passwordEnv);
        command.Options.Add(_passwordFile);
        command.Options.Add(_ca);
    }

    /// <summary>The name of the first of these flags given, or null.</summary>
    public string? AnyGiven(ParseResult parse) =>
        new[] { _cert, _passwordEnv, _passwordFile, _ca }.FirstOrDefault(o => parse.GetValue(o) is not null)?.Name;

    /// <summary>The TLS options given, or null when no TLS option is; checked (files readable, password right,
    /// key there) so that a mistake is one line before anything starts.</summary>
    public TlsOptions? Read(ParseResult parse)
    {
        var cert = parse.GetValue(_cert);
        var env = parse.GetValue(_passwordEnv);
        var file = parse.GetValue(_passwordFile);
        var ca = parse.GetValue(_ca);
        if (cert is null && ca is null)
        {
            if (env is not null || file is not null) throw new CliException($"{_passwordEnv.Name} and {_passwordFile.Name} go with {_cert.Name}");
            return null;
        }
        if (env is not null && file is not null) throw new CliException($"give the {_cert.Name} password by {_passwordEnv.Name} or {_passwordFile.Name}, not both");
        if (_side != Side.Client && cert is null)
            throw new CliException(_side == Side.Server ? "--tls-client-ca needs --tls-cert: the server's own certificate" : "--cluster-ca needs --cluster-cert: this node's own certificate");
        if (_side != Side.Server && ca is null)
            throw new CliException(_side == Side.Client ? "--tls-cert needs --tls-ca: the CA that signed the server's certificate, to check it"
                : "--cluster-cert needs --cluster-ca: the CA that signed every node's certificate (the cluster's TLS goes both ways)");
        var options = new TlsOptions
        {
            CertificatePath = cert, PasswordEnvironmentVariable = env, PasswordFile = file,
            ClientCaPath = _side == Side.Client ? null : ca, CaPath = _side == Side.Client ? ca : null,
        };
        // a node of a cluster is a server and a client of the others with one certificate, checked against the one CA
        if (_side != Side.Client) options = options.ForServer();
        try { options.ToSslSetup(); }
        catch (TlsSetupException e) { throw new CliException(e.Message); }
        return options;
    }
}

/// <summary>An error the CLI reports as one line, with its exit code.</summary>
internal sealed class CliException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
