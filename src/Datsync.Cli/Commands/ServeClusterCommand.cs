using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Datsync.Actors;
using Datsync.Actors.Cluster;
using Datsync.Actors.Master;
using Datsync.Actors.Remote;
using Datsync.Actors.Storage;

namespace Datsync.Cli.Commands;

/// <summary>The flags of <c>datsync serve --cluster</c>: the node's roles, the seeds it joins, its cluster transport
/// and that transport's TLS (both ways: every node's certificate signed by one CA).</summary>
internal sealed class ClusterFlags
{
    /// <summary>The cluster transport's port unless <c>--cluster-listen</c> or <c>datsync.cluster.listen</c> says.</summary>
    public const int DefaultPort = 4711;

    public readonly Option<bool> Cluster = new("--cluster")
    {
        Description = "Run this process as one node of a master on Akka.Cluster (storage shared by every node: PostgreSQL); " +
                      "prints `cluster listening on HOST:PORT` too",
    };

    public readonly Option<string[]> Roles = new("--role")
    {
        Description = "With --cluster: this node's roles, transactor and/or gateway, comma-separated or repeated (default: both)",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public readonly Option<string[]> Seeds = new("--seed")
    {
        Description = "With --cluster: HOST:PORT of a node's cluster transport to join, comma-separated or repeated " +
                      "(none: this node forms the cluster, unless datsync.cluster.seed-nodes lists some)",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public readonly Option<string?> Listen = new("--cluster-listen")
    {
        Description = $"With --cluster: HOST:PORT of this node's cluster transport, for the other nodes only (default: --host with port {DefaultPort}, " +
                      "unless datsync.cluster.listen says; port 0 picks a free one)",
    };

    /// <summary>The cluster transport's TLS, both ways.</summary>
    public readonly TlsFlags Tls = TlsFlags.Cluster();

    public void AddTo(Command command)
    {
        command.Options.Add(Cluster);
        command.Options.Add(Roles);
        command.Options.Add(Seeds);
        command.Options.Add(Listen);
        Tls.AddTo(command);
    }

    /// <summary>The first cluster flag given, or null (they need <c>--cluster</c>).</summary>
    public string? AnyGiven(ParseResult parse)
    {
        if (parse.GetValue(Roles) is { Length: > 0 }) return "--role";
        if (parse.GetValue(Seeds) is { Length: > 0 }) return "--seed";
        if (parse.GetValue(Listen) is not null) return Listen.Name;
        return Tls.AnyGiven(parse);
    }

    /// <summary>The values of a repeatable flag that also takes comma-separated lists.</summary>
    public static List<string> List(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
}

/// <summary>
/// <c>datsync serve --cluster</c>: this process is one node of a master on Akka.Cluster (<see cref="DatsyncClusterOptions"/>),
/// started by <see cref="DatsyncNode.StartMasterSystem"/>. A gateway node serves replicas on <c>--host</c>/<c>--port</c>
/// exactly as plain <c>serve</c> does; every node speaks to the others on its cluster transport. The process ends with
/// exit code 1 and one line when the node's cluster system ends on its own (downed by the split brain resolver, or it
/// left); Ctrl-C or SIGTERM leaves the cluster gracefully (exit code 0).
/// </summary>
internal static class ServeClusterCommand
{
    /// <summary>How often a node looks how many nodes are up and (a transactor node) whether the cluster's transactor runs on it now.</summary>
    private static readonly TimeSpan TransactorCheck = TimeSpan.FromMilliseconds(500);

    public static async Task<int> Run(ServeCommand.Setup serve, ClusterFlags flags, ParseResult parse, CancellationToken stop)
    {
        var clusterTls = flags.Tls.Read(parse);
        // the files' transport address is the gateway's (--host/--port's defaults): both of the node's actor systems
        // read one configuration, and the cluster's takes its address from --cluster-listen / datsync.cluster.listen
        var files = serve.Files;
        var listen = parse.GetValue(flags.Listen) ?? (files.HasPath("datsync.cluster.listen") ? null : $"{Bracket(serve.Host)}:{ClusterFlags.DefaultPort}");
        if (listen is not null) Check(listen, "--cluster-listen", anyPort: true);
        var seeds = ClusterFlags.List(parse.GetValue(flags.Seeds));
        foreach (var s in seeds) Check(s, "--seed", anyPort: false);
        var roles = ClusterFlags.List(parse.GetValue(flags.Roles));

        var options = new DatsyncMasterOptions
        {
            Listen = $"{Bracket(serve.Host)}:{serve.Port}",
            Tls = serve.Tls,
            Cluster = new DatsyncClusterOptions { Listen = listen, SeedNodes = seeds, Roles = roles, Tls = clusterTls },
        };
        if (serve.Storage is SqliteStorage sqlite)
        {
            options.Storage.Kind = SqliteStorage.KindName;
            options.Storage.DataDirectory = sqlite.DataDirectory;
            options.Storage.SqliteFileName = sqlite.FileName;
        }
        var below = serve.Below(files);

        // what the node will be, checked before anything starts (one line each)
        ClusterSettings settings;
        try { settings = ClusterSettings.From(options.ToConfig().WithFallback(below)); }
        catch (ConfigurationException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
        try { settings.RequireSafeTransport(clusterTls is not null); }
        catch (ConfigurationException e) { throw new CliException(e.Message.ReplaceLineEndings(" "), CliSupport.Unreachable); }
        if (settings.IsGateway) serve.RequireSafeServer();
        if (serve.Storage is SqliteStorage s1)
            Console.Error.WriteLine($"datsync serve: warning: SQLite storage ({s1.FilePath}) serves a cluster of the nodes on this machine only; " +
                                    "a cluster of machines shares PostgreSQL (datsync.storage.kind = postgres)");

        MasterSystem node;
        try { node = DatsyncNode.StartMasterSystem(options, below); }
        catch (Exception e) when (LocalMaster.StorageFailure(e, serve.Storage) is { } failure) { throw failure; }
        catch (TlsSetupException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
        catch (ConfigurationException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
        catch (Exception e) when (e is not CliException)
        {
            throw new CliException($"cannot start the cluster node on {listen ?? settings.Host + ":" + settings.Port}: " +
                                   ServeCommand.Innermost(e).Message.ReplaceLineEndings(" "));
        }
        await using (node)
        {
            var cluster = node.ClusterSystem ?? node.System;
            // ready: the node's copy of the master holds the master's value (from the cluster's transactor, wherever it runs)
            Datsync.Core.Db current;
            var recovered = node.Master.Recovered(null, stop);
            try
            {
                await Task.WhenAny(recovered, cluster.WhenTerminated, node.System.WhenTerminated);
                if (!recovered.IsCompleted)
                {
                    if (Asked(cluster)) return 0; // SIGTERM or Ctrl-C while joining
                    throw new CliException(Left(cluster, "before it held the master's value"));
                }
                current = await recovered;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                await Leave(node, cluster);
                return 0; // stopped while joining
            }
            catch (Exception e) when (LocalMaster.StorageFailure(e, serve.Storage) is { } failure) { throw failure; }

            var at = DatsyncRemote.ListeningAt(cluster);
            using var reload = settings.IsGateway
                ? ClientsReload.OnSighup(node.Server, serve.ConfigFiles, scoped: node.Master.Scopes is not null)
                : null;
            if (settings.IsGateway) Console.Out.WriteLine($"listening on {DatsyncRemote.ListeningAt(node.System)}");
            Console.Out.WriteLine($"cluster listening on {at}");
            Console.Out.Flush();
            var rolesText = string.Join(", ", settings.Roles.Order(StringComparer.Ordinal));
            var transport = clusterTls is null ? "no TLS" : "TLS both ways";
            var joined = settings.Seeds.Count == 0 ? "formed the cluster" : "seeds " + string.Join(", ", settings.Seeds.Select(x => $"{x.Host}:{x.Port}"));
            var gateway = settings.IsGateway ? $"; gateway {DatsyncRemote.ListeningAt(node.System)} ({ServeCommand.Transport(serve.Tls)})" : "; no gateway";
            Console.Error.WriteLine($"datsync serve: cluster node {at} ({rolesText}; {transport}; {joined}) at t={current.BasisT}, " +
                                    $"storage {ServeCommand.Describe(serve.Storage)}{gateway}; Ctrl-C to stop");
            Console.Error.Flush();

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var watch = Watch(cluster, settings.IsTransactor, watching.Token);
            try { await Task.WhenAny(Task.Delay(Timeout.Infinite, stop), cluster.WhenTerminated, node.System.WhenTerminated); }
            catch (OperationCanceledException) { }
            await watching.CancelAsync();
            await watch;
            if (!stop.IsCancellationRequested && !Asked(cluster) && (cluster.WhenTerminated.IsCompleted || node.System.WhenTerminated.IsCompleted))
                throw new CliException(Left(cluster, ""));
            await Leave(node, cluster);
        }
        return 0;
    }

    /// <summary>Leaves the cluster gracefully (Akka's coordinated shutdown: the singleton handed over, the node
    /// removed), then stops the gateway's system.</summary>
    private static async Task Leave(MasterSystem node, ActorSystem cluster)
    {
        await CliSupport.Shutdown(cluster);
        if (!ReferenceEquals(node.System, cluster)) await CliSupport.Shutdown(node.System);
    }

    /// <summary>True when the cluster system ended because the process was told to stop: Akka's own SIGTERM and
    /// Ctrl-C hook (its coordinated shutdown, run by the CLR's exit) may see the signal before this command does.</summary>
    private static bool Asked(ActorSystem cluster) =>
        CoordinatedShutdown.Get(cluster).ShutdownReason is CoordinatedShutdown.ClrExitReason;

    /// <summary>The line of a node whose cluster system ended on its own, with Akka's reason.</summary>
    private static string Left(ActorSystem cluster, string when)
    {
        var why = CoordinatedShutdown.Get(cluster).ShutdownReason switch
        {
            CoordinatedShutdown.ClusterDowningReason => "downed",
            CoordinatedShutdown.ClusterLeavingReason => "it left",
            CoordinatedShutdown.ClusterJoinUnsuccessfulReason => "it could not join its seeds",
            null => "its actor system stopped",
            var r => r.GetType().Name,
        };
        return $"this node left the cluster ({why}){(when.Length > 0 ? " " + when : "")}; exiting";
    }

    /// <summary>Prints a line on standard error whenever the number of the cluster's nodes that are up changes (what the
    /// split brain resolver counts: a node still joining is not one of them), and, on a transactor node, whenever the
    /// cluster's transactor starts or stops running here (the singleton's transactor, there once it holds the storage
    /// lock).</summary>
    private static async Task Watch(ActorSystem cluster, bool transactor, CancellationToken stop)
    {
        var path = $"/user/{ClusterRuntime.ManagerName}/{ClusterRuntime.SingletonName}/{ClusterRuntime.SingletonName}";
        var members = Akka.Cluster.Cluster.Get(cluster);
        var here = false;
        var up = 0;
        using var timer = new PeriodicTimer(TransactorCheck);
        try
        {
            do
            {
                if (cluster.WhenTerminated.IsCompleted) return;
                var upNow = members.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up);
                if (upNow != up)
                {
                    up = upNow;
                    Console.Error.WriteLine($"datsync serve: {up} node(s) of the cluster up");
                    Console.Error.Flush();
                }
                if (!transactor) continue;
                bool now;
                try { now = await cluster.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(2), stop) is not null; }
                catch (ActorNotFoundException) { now = false; }
                catch (TimeoutException) { now = false; }
                if (now == here) continue;
                here = now;
                Console.Error.WriteLine(now
                    ? $"datsync serve: the cluster's transactor runs on this node ({DatsyncRemote.ListeningAt(cluster)})"
                    : "datsync serve: the cluster's transactor no longer runs on this node");
                Console.Error.Flush();
            } while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) { }
    }

    private static void Check(string hostPort, string flag, bool anyPort)
    {
        try { DatsyncRemote.ParseHostPort(hostPort, anyPort); }
        catch (FormatException e) { throw new CliException($"{flag}: {e.Message}"); }
    }

    private static string Bracket(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
}
