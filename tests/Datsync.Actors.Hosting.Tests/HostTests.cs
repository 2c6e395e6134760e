using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>A generic host runs a master and a replica configured from <c>IConfiguration</c>.</summary>
public sealed class HostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>The hosting set-up an application writes: options bound from configuration, master and replica added
    /// to the hosted ActorSystem.</summary>
    private static IHost BuildHost(IDictionary<string, string?> settings, ILoggerProvider? logs = null,
        Action<AkkaConfigurationBuilder>? before = null, bool master = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Services.AddDatsync(builder.Configuration);
        builder.Services.AddAkka("datsync", (akka, sp) =>
        {
            before?.Invoke(akka);
            if (master) akka.WithDatsyncMaster(sp.GetRequiredService<IOptions<DatsyncMasterOptions>>().Value);
            akka.WithDatsyncReplica(sp.GetRequiredService<IOptions<DatsyncReplicaOptions>>().Value);
        });
        return builder.Build();
    }

    [Fact]
    public async Task A_host_bound_from_configuration_runs_a_master_on_SQLite_and_a_replica_that_transacts_and_reads()
    {
        using var dir = new TempDir();
        var settings = new Dictionary<string, string?>
        {
            ["Datsync:Master:Storage:Kind"] = "sqlite",
            ["Datsync:Master:Storage:DataDirectory"] = dir.Path,
            ["Datsync:Master:Storage:SqliteFileName"] = "hosted.db",
            ["Datsync:Master:SnapshotEvery"] = "2",
            ["Datsync:Replica:ClientId"] = "app-1",
            ["Datsync:Replica:AckEvery"] = "1",
        };
        long ivan;
        using (var host = BuildHost(settings))
        {
            await host.StartAsync().WaitAsync(Timeout);
            var replica = await host.Services.GetRequiredService<DatsyncReplicaProvider>().GetReadyAsync().WaitAsync(Timeout);
            Assert.Equal("app-1", replica.ClientId);
            Assert.True(File.Exists(Path.Combine(dir.Path, "hosted.db")));
            var system = host.Services.GetRequiredService<ActorSystem>();
            Assert.Equal(2, system.Settings.Config.GetInt("datsync.master.snapshot-every")); // the options reached the HOCON
            Assert.Equal(1024, system.Settings.Config.GetInt("datsync.listener.buffer-size")); // unset: library default

            await replica.TransactAsync(Schema).WaitAsync(Timeout);
            var added = await replica.TransactAsync("""[{:db/id "ivan" :person/email "ivan@example.org" :person/name "Ivan"}]""").WaitAsync(Timeout);
            ivan = added.Tempids["ivan"];
            Assert.Equal("Ivan", replica.Db.Entity(ivan)![":person/name"]);

            var registry = host.Services.GetRequiredService<ActorRegistry>();
            var transactor = await registry.GetAsync<DatsyncMasterKey>().WaitAsync(Timeout);
            var masterDb = (await transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
            Assert.Equal(added.T, masterDb.BasisT);
            Assert.Equal("Ivan", masterDb.Entity(ivan)![":person/name"]);
            Assert.Equal(replica.Actor, await registry.GetAsync<DatsyncReplicaKey>().WaitAsync(Timeout));
            Assert.NotNull(await registry.GetAsync<DatsyncServerKey>().WaitAsync(Timeout));
            Assert.NotNull(await registry.GetAsync<DatsyncListenerKey>().WaitAsync(Timeout));

            await host.StopAsync().WaitAsync(Timeout);
            await system.WhenTerminated.WaitAsync(Timeout);
        }

        // the same configuration, a new host and a new replica: the SQLite file the options chose kept everything
        settings["Datsync:Replica:ClientId"] = "app-2";
        using (var host = BuildHost(settings))
        {
            await host.StartAsync().WaitAsync(Timeout);
            var replica = await host.Services.GetRequiredService<DatsyncReplicaProvider>().GetReadyAsync("app-2").WaitAsync(Timeout);
            // ready means connected with some value of the master; read after syncing to the recovered master's t
            var transactor = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<DatsyncMasterKey>().WaitAsync(Timeout);
            var recovered = (await transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
            Assert.Equal(2, recovered.BasisT);
            await replica.SyncAsync(recovered.BasisT).WaitAsync(Timeout);
            Assert.Equal("Ivan", replica.Db.Entity(ivan)![":person/name"]);
            var more = await replica.TransactAsync("""[{:person/email "ivan@example.org" :person/name "Ivan the Second"}]""").WaitAsync(Timeout);
            Assert.Equal(3, more.T);
            await host.StopAsync().WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Akka_logs_through_the_hosts_ILoggerFactory_and_storage_can_come_from_earlier_hocon()
    {
        var logs = new CapturingLoggerProvider();
        var settings = new Dictionary<string, string?> { ["Datsync:Replica:ClientId"] = "logged" };
        using var host = BuildHost(settings, logs, akka => akka.AddHocon("datsync.storage.kind = memory", HoconAddMode.Prepend));
        await host.StartAsync().WaitAsync(Timeout);
        await host.Services.GetRequiredService<DatsyncReplicaProvider>().GetReadyAsync().WaitAsync(Timeout);
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("akka.persistence.journal.inmem", system.Settings.Config.GetString("akka.persistence.journal.plugin"));

        var marker = Guid.NewGuid().ToString("N");
        Logging.GetLogger(system, "hosting-test").Warning("through ILogger: {0}", marker);
        var message = await logs.WaitFor(marker).WaitAsync(Timeout);
        Assert.Contains("through ILogger", message, StringComparison.Ordinal);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task An_explicit_ConfigureLoggers_wins_over_the_ILoggerFactory_default()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Replica:ClientId"] = "console",
        };
        using var host = BuildHost(settings, before: akka => akka.ConfigureLoggers(l => { l.ClearLoggers(); l.AddDefaultLogger(); }));
        await host.StartAsync().WaitAsync(Timeout);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var loggers = system.Settings.Config.GetStringList("akka.loggers");
        Assert.Equal(typeof(DefaultLogger), Type.GetType(Assert.Single(loggers)));
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task An_in_process_replica_without_a_master_fails_the_host_start_and_faults_the_provider()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "orphan",
            ["Datsync:Replica:ResolveTimeout"] = "00:00:01",
        };
        using var host = BuildHost(settings, master: false);
        var error = await Assert.ThrowsAsync<ActorNotFoundException>(() => host.StartAsync().WaitAsync(Timeout));
        Assert.Contains("no master in this ActorSystem", error.Message, StringComparison.Ordinal);
        var provider = host.Services.GetRequiredService<DatsyncReplicaProvider>();
        Assert.Same(error, await Assert.ThrowsAsync<ActorNotFoundException>(() => provider.GetAsync("orphan").WaitAsync(Timeout)));
        Assert.Same(error, await Assert.ThrowsAsync<ActorNotFoundException>(() => provider.GetAsync().WaitAsync(Timeout)));
        Assert.Same(error, Assert.Throws<InvalidOperationException>(() => provider.Replica).InnerException);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Plain_entry_points_start_a_master_and_in_process_replicas_from_options()
    {
        var name = "plain-" + Guid.NewGuid().ToString("N")[..8];
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions { Name = name, Storage = { Kind = "memory" } })
            .WaitAsync(Timeout);
        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "plain", ServerSystemName = name })
            .WaitAsync(Timeout);
        await replica.TransactAsync(Schema).WaitAsync(Timeout);
        var added = await replica.TransactAsync("""[{:db/id "p" :person/email "p@example.org" :person/name "Petr"}]""").WaitAsync(Timeout);
        Assert.Equal("Petr", replica.Db.Entity(added.Tempids["p"])![":person/name"]);
        await using var other = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "other", ServerSystemName = name })
            .WaitAsync(Timeout);
        await other.SyncAsync(added.T).WaitAsync(Timeout);
        Assert.Equal("Petr", other.Db.Entity(added.Tempids["p"])![":person/name"]);
        Assert.Equal("Petr", (await master.SyncAsync(added.T).WaitAsync(Timeout)).Entity(added.Tempids["p"])![":person/name"]);
    }

    [Fact]
    public async Task A_hosted_replica_of_a_remote_master_connects_with_its_token_and_follows_it()
    {
        await using var master = Remote.DatsyncRemote.StartServer(new Storage.InMemoryStorage(), "127.0.0.1", 0, $$"""
            datsync.server.clients { {{Server.TokenHash.ConfigLine("web-1", "s3cret")}} }
            akka.loglevel = WARNING
            """);
        var address = Remote.DatsyncRemote.ListeningAt(master.System);
        var schema = await master.Master.Transactor.Ask(new Transact("schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!), Timeout);
        Assert.IsType<TxAccepted>(schema);
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "web-1",
            ["Datsync:Replica:Server"] = address,
            ["Datsync:Replica:Token"] = "s3cret",
        }, master: false);
        await host.StartAsync().WaitAsync(Timeout);
        var replica = await host.Services.GetRequiredService<DatsyncReplicaProvider>().GetReadyAsync().WaitAsync(Timeout);
        Assert.Equal(1, replica.Status.BasisT);
        var added = await replica.TransactAsync("""[{:db/id "a" :person/email "a@x" :person/name "A"}]""").WaitAsync(Timeout);
        var masterDb = (await master.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
        Assert.Equal(added.T, masterDb.BasisT);
        Assert.Equal("A", masterDb.Entity(added.Tempids["a"])![":person/name"]);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_client_taken_out_of_the_watched_options_is_ended_and_refused_while_another_keeps_syncing()
    {
        var web1 = Server.TokenHash.Create("t1").ToString();
        var web2 = Server.TokenHash.Create("t2").ToString();
        var source = new ReloadableSource(new Dictionary<string, string?>
        {
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Master:HeartbeatInterval"] = "00:00:00.200",
            ["Datsync:Master:Clients:web-1"] = web1,
            ["Datsync:Master:Clients:web-2"] = web2,
        });
        var logs = new CapturingLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(logs);
        ((IConfigurationBuilder)builder.Configuration).Add(source);
        builder.Services.AddDatsync(builder.Configuration);
        builder.Services.AddAkka("datsync", (akka, sp) => akka
            .WithDatsyncMaster(sp.GetRequiredService<IOptionsMonitor<DatsyncMasterOptions>>())
            .WithDatsyncReplica(new DatsyncReplicaOptions { ClientId = "web-1", Token = "t1", RetryInterval = TimeSpan.FromMilliseconds(200) })
            .WithDatsyncReplica(new DatsyncReplicaOptions { ClientId = "web-2", Token = "t2", RetryInterval = TimeSpan.FromMilliseconds(200) }));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(Timeout);
        var provider = host.Services.GetRequiredService<DatsyncReplicaProvider>();
        var one = await provider.GetReadyAsync("web-1").WaitAsync(Timeout);
        var two = await provider.GetReadyAsync("web-2").WaitAsync(Timeout);
        await two.TransactAsync(Schema).WaitAsync(Timeout);


        // a plain token in the new configuration: the old list stays, and web-1 with it
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Clients:web-1"] = "t1" });
        var kept = await logs.WaitFor("kept the old client list").WaitAsync(Timeout);
        Assert.Contains("\"web-1\" holds a plain token", kept);
        var first = await two.TransactAsync("""[{:db/id "a" :person/email "a@x" :person/name "A"}]""").WaitAsync(Timeout);
        await one.SyncAsync(first.T).WaitAsync(Timeout);
        Assert.Equal(ConnectionState.Connected, one.Status.Connection);
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Clients:web-1"] = web1 });

        var without = new Dictionary<string, string?>(source.Current);
        without.Remove("Datsync:Master:Clients:web-1");
        source.Replace(without);
        await one.WhenRefused.WaitAsync(Timeout);
        Assert.Equal(ConnectionState.Refused, one.Status.Connection);
        Assert.Contains("client \"web-1\" is not one this server knows", one.Refusal!.Message);

        var later = await two.TransactAsync("""[{:db/id "b" :person/email "b@x" :person/name "B"}]""").WaitAsync(Timeout);
        Assert.Equal(ConnectionState.Connected, two.Status.Connection);
        Assert.True(one.Status.BasisT < later.T);
        await host.StopAsync().WaitAsync(Timeout);
    }

    /// <summary>A configuration source whose whole content a test replaces, firing the reload a file change would.</summary>
    private sealed class ReloadableSource(IDictionary<string, string?> initial) : IConfigurationSource
    {
        private readonly Provider _provider = new(initial);

        public IReadOnlyDictionary<string, string?> Current => _provider.Snapshot;

        public void Replace(IDictionary<string, string?> data) => _provider.Replace(data);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

        private sealed class Provider : ConfigurationProvider
        {
            public Provider(IDictionary<string, string?> initial) => Data = new Dictionary<string, string?>(initial, StringComparer.OrdinalIgnoreCase);

            public IReadOnlyDictionary<string, string?> Snapshot => new Dictionary<string, string?>(Data, StringComparer.OrdinalIgnoreCase);

            public void Replace(IDictionary<string, string?> data)
            {
                Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
                OnReload();
            }
        }
    }
}
