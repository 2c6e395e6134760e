using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Storage;
using Datsync.Cli.Output;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync serve</c>: the durable master, reachable by replicas and <c>transact --server</c> over
/// Akka.Remote, until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    private const string RemoteTcp = "akka.remote.dot-netty.tcp";

    /// <summary>How often <c>--metrics</c> prints its line.</summary>
    public static readonly TimeSpan MetricsInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var db = new Option<string?>("--db")
        {
            Description = "The master's SQLite file, or a directory holding datsync.db (default: ./data, unless --config sets datsync.storage)",
        };
        var host = new Option<string?>("--host") { Description = "Address to listen on (default: 127.0.0.1)" };
        var port = new Option<int?>("--port") { Description = $"TCP port to listen on; 0 picks a free one (default: {CliSupport.DefaultPort})" };
        var config = CliSupport.ConfigOption("e.g. hocon/server.conf: client tokens, frame size, storage");
        var tls = TlsFlags.Server();
        var insecure = new Option<bool>("--insecure")
        {
            Description = "Serve an address other than loopback without TLS (everything, client tokens too, travels in the clear)",
        };
        var metrics = new Option<bool>("--metrics")
        {
            Description = $"Print a line of the master's metrics (commits, rejections, sessions, deltas, commit times) on standard error every {MetricsInterval.TotalSeconds:F0} s",
        };
        var cmd = new Command("serve",
            "Run the master and serve replicas over the network; prints `listening on HOST:PORT` when ready, stops on Ctrl-C or SIGTERM");
        cmd.Options.Add(db);
        cmd.Options.Add(host);
        cmd.Options.Add(port);
        cmd.Options.Add(config);
        tls.AddTo(cmd);
        cmd.Options.Add(insecure);
        cmd.Options.Add(metrics);
        var cluster = new ClusterFlags();
        cluster.AddTo(cmd);
        cmd.SetAction((parse, stop) =>
        {
            var verbose = parse.GetValue(CliSupport.Verbose);
            return CliSupport.Guarded("serve", verbose, async () =>
            {
                var files = CliSupport.LoadConfig(parse.GetValue(config));
                ClientsReload.Read(files); // a plain token in the files: one line, before anything starts
                var h = parse.GetValue(host) ?? files.GetString($"{RemoteTcp}.hostname", null) ?? "127.0.0.1";
                var p = parse.GetValue(port) ?? (files.HasPath($"{RemoteTcp}.port") ? files.GetInt($"{RemoteTcp}.port") : CliSupport.DefaultPort);
                if (p is < 0 or > 65535) throw new CliException($"--port {p} is not a TCP port");
                var setup = new Setup(files, parse.GetValue(config), h, p, tls.Read(parse), parse.GetValue(insecure), verbose,
                    parse.GetValue(db) is { } path ? LocalMaster.Storage(path) : null);
                // listening before the master starts: its first commits are counted too
                if (parse.GetValue(cluster.Cluster))
                {
                    await using var clusterPrinter = parse.GetValue(metrics) ? new MetricsPrinter(MetricsInterval, Console.Error) : null;
                    return await ServeClusterCommand.Run(setup, cluster, parse, stop);
                }
                if (cluster.AnyGiven(parse) is { } flag) throw new CliException($"{flag} goes with --cluster");
                setup.RequireSafeServer();
                var tlsOptions = setup.Tls;
                var storage = setup.Storage;
                await using var printer = parse.GetValue(metrics) ? new MetricsPrinter(MetricsInterval, Console.Error) : null;
                var below = setup.Below(DatsyncRemote.RemoteConfig(h, p), files);
                MasterSystem server;
                try
                {
                    server = MasterRuntime.StartSystem(DatsyncRemote.SystemName, storage, "", below, tls: tlsOptions);
                }
                catch (Exception e) when (LocalMaster.StorageFailure(e, storage) is { } failure) { throw failure; }
                catch (Exception e) when (e is not CliException)
                {
                    throw new CliException($"cannot start the master on {h}:{p}: {Innermost(e).Message.ReplaceLineEndings(" ")}");
                }
                await using (server)
                {
                    // ready: the transactor has recovered the journal (and the transport listens)
                    Datsync.Core.Db current;
                    try { current = await server.Master.Recovered(LocalMaster.Timeout, stop); }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested) { return 0; } // stopped while recovering
                    catch (Exception e) when (LocalMaster.StorageFailure(e, storage) is { } failure) { throw failure; }
                    // SIGHUP: the client list again, and the scopes and roles of a scoped master
                    using var reload = ClientsReload.OnSighup(server.Server, parse.GetValue(config), scoped: server.Master.Scopes is not null);
                    Console.Out.WriteLine($"listening on {DatsyncRemote.ListeningAt(server.System)}");
                    Console.Out.Flush();
                    Console.Error.WriteLine($"datsync serve: master at t={current.BasisT}, storage {Describe(storage)}, {Transport(tlsOptions)}; Ctrl-C to stop");
                    try { await Task.WhenAny(Task.Delay(Timeout.Infinite, stop), server.System.WhenTerminated); }
                    catch (OperationCanceledException) { }
                    if (!stop.IsCancellationRequested && server.System.WhenTerminated.IsCompleted)
                        throw new CliException("the actor system stopped on its own");
                    await CliSupport.Shutdown(server.System);
                }
                return 0;
            });
        });
        return cmd;
    }

    /// <summary>What plain <c>serve</c> and <c>serve --cluster</c> read the same way: the --config files, the
    /// replica-facing server's host, port and TLS (on a cluster, the gateway's), and the storage.</summary>
    internal sealed record Setup(Config Files, string[]? ConfigFiles, string Host, int Port, TlsOptions? Tls, bool Insecure, bool Verbose,
        SqliteStorage? DbFlag)
    {
        /// <summary>--db's SQLite file, or the storage the files select.</summary>
        public StorageOptions Storage { get; } = DbFlag ?? StorageOptions.FromConfig(Files);

        /// <summary>Refuses a server on an address other than loopback without TLS (unless --insecure), and warns
        /// about a certificate that does not name the host.</summary>
        public void RequireSafeServer()
        {
            if (Tls is null && !Insecure && !DatsyncRemote.IsLoopback(Host))
                throw new CliException($"refusing to serve {Host} without TLS: give --tls-cert FILE.pfx (`datsync certs DIR` makes one), " +
                                       "or --insecure to serve it in the clear", CliSupport.Unreachable);
            if (Tls is not null) WarnIfUnnamed(Tls, Files.GetString($"{RemoteTcp}.public-hostname", null) is { Length: > 0 } ph ? ph : Host);
        }

        /// <summary>The configuration beneath the master's: --verbose's logging over <paramref name="layers"/> (the
        /// files, and what the caller puts under them) over the CLI's logging.</summary>
        public Config Below(params Config[] layers)
        {
            var below = Verbose ? CliSupport.Logging(true, "INFO") : ConfigurationFactory.ParseString("");
            foreach (var l in layers) below = below.WithFallback(l);
            return below.WithFallback(CliSupport.Logging(false, "WARNING"));
        }
    }

    internal static string Transport(TlsOptions? tls) =>
        tls is null ? "no TLS" : tls.Mutual ? "TLS, client certificates required" : "TLS";

    /// <summary>A warning on standard error when the server's certificate does not name the host clients address
    /// (they check it, and would refuse the server).</summary>
    private static void WarnIfUnnamed(TlsOptions tls, string host)
    {
        var h = host.Trim().Trim('[', ']');
        if (h is "0.0.0.0" or "::" or "") return; // every interface: the name clients use is not known here
        using var cert = TlsOptions.LoadCertificate(tls.CertificatePath!, tls.ReadPassword());
        if (!cert.MatchesHostname(h))
            Console.Error.WriteLine($"datsync serve: warning: the certificate {tls.CertificatePath} does not name {h}; clients connecting to {h} will refuse it " +
                                    "(`datsync certs DIR --host NAME` makes one that does)");
    }

    internal static string Describe(StorageOptions storage) => storage switch
    {
        SqliteStorage s => "sqlite " + s.FilePath,
        _ => storage.Kind,
    };

    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
