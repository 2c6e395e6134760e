using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Datsync.Core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Datsync.Actors.TestKit;

/// <summary>
/// An xunit TestKit for Datsync.Actors: derive a test class from it. Its actor system (<c>Sys</c>) runs with Datsync's
/// defaults on in-memory storage, with quick heartbeats and retries, and the masters and replicas a test starts run
/// in it: <see cref="StartMasterAsync"/>, <see cref="ConnectReplicaAsync"/> (each replica behind a
/// <see cref="ReplicaLink"/>, with <see cref="Faults"/> if asked), <see cref="AwaitConvergedAsync(DatsyncMaster, DatsyncReplica[])"/>
/// and <see cref="AssertReplicaEqualsMaster"/>. What a test started is disposed when it ends, with the actor system.
/// </summary>
public abstract class DatsyncTestKit : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>The timings the TestKit's actor system runs with: a lost message is sent again, and a session's
    /// heartbeat comes, within a tenth of a second.</summary>
    internal const string QuickHocon = """
        datsync.session.heartbeat-interval = 100ms
        datsync.replica {
          retry-interval = 100ms
          ack-every = 16
          connection-timeout = 3s
        }
        """;

    /// <summary>The replica settings of <see cref="QuickHocon"/>.</summary>
    internal static readonly ReplicaSettings QuickReplica = ReplicaSettings.From(ConfigurationFactory.ParseString(QuickHocon));

    /// <summary>The session settings of <see cref="QuickHocon"/>.</summary>
    internal static readonly SessionSettings QuickSession = SessionSettings.From(ConfigurationFactory.ParseString(QuickHocon));

    private readonly ConcurrentDictionary<DatsyncReplica, ReplicaLink> _links = new();
    private readonly ConcurrentQueue<DatsyncMaster> _masters = new();
    private int _names;

    /// <summary>Starts the test's actor system.</summary>
    /// <param name="config">HOCON over the TestKit's own (e.g. <c>akka.loglevel = DEBUG</c>, or
    /// <c>datsync.session.share-master-values = off</c>), or null.</param>
    /// <param name="output">xunit's output of the test, where the actor system logs.</param>
    protected DatsyncTestKit(string? config = null, ITestOutputHelper? output = null)
        : base(SystemConfig(config), output: output)
    {
        ReplicationTimeout = Dilated(TimeSpan.FromSeconds(20));
    }

    /// <summary>How long the TestKit waits for a master to recover, a replica to bootstrap, a link to hold a delta,
    /// replicas to converge (20 s, dilated by <c>akka.test.timefactor</c>).</summary>
    protected TimeSpan ReplicationTimeout { get; set; }

    /// <summary>The actor system's configuration: <paramref name="config"/> over the quick timings, in-memory storage
    /// and Datsync's defaults.</summary>
    internal static Config SystemConfig(string? config) =>
        ConfigurationFactory.ParseString(config ?? "")
            .WithFallback(ConfigurationFactory.ParseString(QuickHocon))
            .WithFallback(new InMemoryStorage().ToConfig())
            .WithFallback(DatsyncConfig.Default);

    /// <summary>
    /// Starts a master in the test's actor system: its transactor (on the in-memory journal, under the persistence id
    /// <paramref name="name"/>), its log listener and its server, and completes once it has recovered. A master started
    /// again under the name of one disposed in the same test recovers that one's transactions.
    /// </summary>
    /// <param name="name">The master's name (its actors' names start with it); null: a new one.</param>
    /// <param name="config">HOCON for this master over the actor system's configuration (e.g.
    /// <c>datsync.master.snapshot-every = 10</c>), or null.</param>
    /// <param name="cancellationToken">Stops the wait for the recovery.</param>
    /// <exception cref="DatsyncStorageException">The journal could not be read.</exception>
    public async Task<DatsyncMaster> StartMasterAsync(string? name = null, string? config = null, CancellationToken cancellationToken = default)
    {
        name ??= "master-" + Interlocked.Increment(ref _names);
        var own = ConfigurationFactory.ParseString(config ?? "");
        var all = own.WithFallback(Sys.Settings.Config);
        var settings = MasterSettings.From(all);
        if (!own.HasPath("datsync.master.persistence-id")) settings = settings with { PersistenceId = name };
        // actor names of its own: those of a master disposed just now may not be free yet
        var actors = name + "-" + Interlocked.Increment(ref _names);
        var handle = MasterRuntime.Start(Sys, settings, actors);
        var server = MasterRuntime.StartServer(Sys, handle, SessionSettings.From(all), ClientAccess.From(all), actors + "-server");
        var master = new DatsyncMaster(new MasterSystem(Sys, handle, server, all), name, ownsSystem: false);
        _masters.Enqueue(master);
        try
        {
            await handle.Recovered(ReplicationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await master.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return master;
    }

    /// <summary>
    /// Starts a replica of <paramref name="master"/> in the test's actor system, as <paramref name="clientId"/>, and
    /// completes once it is bootstrapped. Its messages to and from its session go through a link
    /// (<see cref="Link"/>) that injects <paramref name="faults"/> (none when null) and can hold deltas.
    /// </summary>
    /// <exception cref="ArgumentException">A fault rate is not a probability, or they add up to more than 1.</exception>
    /// <exception cref="TimeoutException">Not bootstrapped within <see cref="ReplicationTimeout"/>.</exception>
    /// <exception cref="TxRejectedException">The server refused the client id.</exception>
    public async Task<DatsyncReplica> ConnectReplicaAsync(DatsyncMaster master, string clientId, Faults? faults = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(master);
        var (replica, _) = StartLinkedReplica(master.Server, clientId, faults ?? Faults.None);
        try
        {
            await replica.Ready.WaitAsync(ReplicationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"replica {clientId} was not bootstrapped within {ReplicationTimeout}: {replica.Status}");
        }
        catch
        {
            await replica.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return replica;
    }

    /// <summary>Starts a replica whose link to <paramref name="server"/> is a <see cref="FaultShim"/>; not waited
    /// for. <paramref name="dropWhere"/> and <paramref name="holdWhere"/> are in force before its first message.</summary>
    internal (DatsyncReplica Replica, ReplicaLink Link) StartLinkedReplica(IActorRef server, string clientId, Faults faults,
        ReplicaSettings? settings = null, Db? resumeFrom = null, Func<object, bool>? dropWhere = null, Func<object, bool>? holdWhere = null,
        string? resumeDatabaseId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentNullException.ThrowIfNull(faults);
        faults.Validated();
        var unique = Uri.EscapeDataString(clientId) + "-" + Interlocked.Increment(ref _names);
        var shim = Sys.ActorOf(FaultShim.Props(server, faults), "link-" + unique);
        if (dropWhere is not null) shim.Tell(new FaultShim.DropWhere(dropWhere));
        if (holdWhere is not null) shim.Tell(new FaultShim.Hold(holdWhere));
        var replica = DatsyncReplica.Start(Sys, shim, clientId, settings ?? ReplicaSettings.From(Sys.Settings.Config), "replica-" + unique, resumeFrom,
            resumeDatabaseId: resumeDatabaseId);
        shim.Tell(new FaultShim.SetReplica(replica.Actor));
        var link = new ReplicaLink(replica, shim, ReplicationTimeout);
        _links[replica] = link;
        return (replica, link);
    }

    /// <summary>The link between <paramref name="replica"/> and its session.</summary>
    /// <exception cref="ArgumentException">This TestKit did not start the replica.</exception>
    public ReplicaLink Link(DatsyncReplica replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return _links.TryGetValue(replica, out var link) ? link
            : throw new ArgumentException($"replica {replica.ClientId} was not started by this TestKit's ConnectReplicaAsync", nameof(replica));
    }

    /// <summary>Waits until every replica's synced value (<see cref="DatsyncReplica.SyncedDb"/>) is at the master's t
    /// of now (or later), within <see cref="ReplicationTimeout"/>.</summary>
    /// <exception cref="TimeoutException">A replica did not get there; the message says where each one is.</exception>
    public Task AwaitConvergedAsync(DatsyncMaster master, params DatsyncReplica[] replicas) =>
        AwaitConvergedAsync(master, replicas, ReplicationTimeout);

    /// <summary>Waits until every replica's synced value (<see cref="DatsyncReplica.SyncedDb"/>) is at the master's t
    /// of now (or later), within <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">A replica did not get there; the message says where each one is.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task AwaitConvergedAsync(DatsyncMaster master, IEnumerable<DatsyncReplica> replicas, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(replicas);
        var all = replicas.ToList();
        var t = master.Db.BasisT;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            await Task.WhenAll(all.Select(r => r.SyncAsync(t, cancel.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var behind = all.Where(r => r.Status.BasisT < t).Select(r => $"{r.ClientId} at t={r.Status.BasisT} ({r.Status.Connection})");
            throw new TimeoutException($"within {timeout} not every replica reached the master's t={t}: {string.Join(", ", behind)}");
        }
    }

    /// <summary>
    /// Asserts that the replica's synced value holds exactly the datoms (entity, attribute ident, value) of the
    /// master's value at the same t: call it once the replica has converged (<see cref="AwaitConvergedAsync(DatsyncMaster, DatsyncReplica[])"/>)
    /// and no write is under way.
    /// </summary>
    /// <exception cref="XunitException">The master is at another t, or the datoms differ (the message lists the
    /// first datoms only one of them has).</exception>
    public void AssertReplicaEqualsMaster(DatsyncMaster master, DatsyncReplica replica)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(replica);
        var replicaDb = replica.SyncedDb;
        var t = replicaDb.BasisT;
        Db masterDb;
        try
        {
            masterDb = master.SyncAsync(t).WaitAsync(ReplicationTimeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new XunitException($"replica {replica.ClientId} is at t={t}; master {master.Name} did not reach it within {ReplicationTimeout}");
        }
        if (masterDb.BasisT != t)
            throw new XunitException($"replica {replica.ClientId} is at t={t}, master {master.Name} at t={masterDb.BasisT}: " +
                                     "await AwaitConvergedAsync first, with no write under way");
        var diff = Difference(masterDb, replicaDb);
        if (diff is not null)
            throw new XunitException($"replica {replica.ClientId} differs from master {master.Name} at t={t}:\n{diff}");
    }

    /// <summary>The datoms only one of the values has (the first ten of each side), or null when they hold the same.</summary>
    internal static string? Difference(Db master, Db replica)
    {
        var m = Datoms(master);
        var r = Datoms(replica);
        var mSet = m.ToHashSet();
        var rSet = r.ToHashSet();
        var onlyMaster = m.Where(d => !rSet.Contains(d)).ToList();
        var onlyReplica = r.Where(d => !mSet.Contains(d)).ToList();
        if (onlyMaster.Count == 0 && onlyReplica.Count == 0) return null;
        static string List(List<(long E, string A, string V)> datoms) =>
            string.Join("\n", datoms.Take(10).Select(d => $"    [{d.E} {d.A} {d.V}]")) + (datoms.Count > 10 ? $"\n    ... {datoms.Count - 10} more" : "");
        return $"  {onlyMaster.Count} datom(s) only the master has:\n{List(onlyMaster)}\n" +
               $"  {onlyReplica.Count} datom(s) only the replica has:\n{List(onlyReplica)}";
    }

    private static List<(long E, string A, string V)> Datoms(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => (d.E, db.Ident(d.A)?.ToString() ?? d.A.ToString(), EdnPrinter.Print(d.V))).ToList();

    /// <summary>Disposes the replicas and masters the test started (their reports end), then the actor system stops.</summary>
    protected override void AfterAll()
    {
        try
        {
            foreach (var replica in _links.Keys) replica.DisposeAsync().AsTask().Wait(ReplicationTimeout);
            while (_masters.TryDequeue(out var master)) master.DisposeAsync().AsTask().Wait(ReplicationTimeout);
        }
        finally
        {
            base.AfterAll();
        }
    }
}
