using Akka.Event;
using Datsync.Actors.Server;
using Datsync.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Datsync.Actors.Hosting.Tests.Hosts;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>A generic host runs a master and a replica configured from <c>IConfiguration</c> with
/// <c>services.AddDatsync(configuration.GetSection("Datsync"))</c>.</summary>
public sealed class HostTests
{
    [Fact]
    public async Task A_host_bound_from_configuration_runs_a_master_on_SQLite_and_an_in_process_replica_that_transacts_and_reads()
    {
        using var dir = new TempDir();
        var name = UniqueName();
        var settings = new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Storage:Kind"] = "sqlite",
            ["Datsync:Master:Storage:DataDirectory"] = dir.Path,
            ["Datsync:Master:Storage:SqliteFileName"] = "hosted.db",
            ["Datsync:Master:SnapshotEvery"] = "2",
            ["Datsync:Replica:ClientId"] = "app-1",
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:AckEvery"] = "1",
        };
        long ivan;
        using (var host = Build(settings))
        {
            await host.StartAsync().WaitAsync(TestTimeout);
            var master = host.Services.GetRequiredService<DatsyncMaster>();
            var replica = host.Services.GetRequiredService<DatsyncReplica>();
            Assert.Equal(name, master.Name);
            Assert.Equal("app-1", replica.ClientId);
            Assert.Equal(ConnectionState.Connected, replica.Status.Connection); // bootstrapped before the start completed
            Assert.True(File.Exists(Path.Combine(dir.Path, "hosted.db")));
            Assert.Equal(2, master.System.Settings.Config.GetInt("datsync.master.snapshot-every")); // the options reached the HOCON
            Assert.Equal(1024, master.System.Settings.Config.GetInt("datsync.listener.buffer-size")); // unset: library default
            Assert.Null(master.ListeningAt); // no Listen: in-process replicas only

            var connection = host.Services.GetRequiredService<IDatsyncConnection>(); // the replica
            await connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
            var added = await connection.TransactAsync("""[{:db/id "ivan" :person/email "ivan@example.org" :person/name "Ivan"}]""").WaitAsync(TestTimeout);
            ivan = added.Tempid("ivan");
            Assert.Equal("Ivan", replica.Db.Entity(ivan)![":person/name"]);
            Assert.Equal(added.T, connection.Status.BasisT);
            Assert.Equal("Ivan", (await master.SyncAsync(added.T).WaitAsync(TestTimeout)).Entity(ivan)![":person/name"]);

            await host.StopAsync().WaitAsync(TestTimeout);
            await master.System.WhenTerminated.WaitAsync(TestTimeout);
            await Assert.ThrowsAsync<TxRejectedException>(() => replica.TransactAsync("[]").WaitAsync(TestTimeout)); // stopped
        }

        // the same configuration, a new host and a new replica: the SQLite file the options chose kept everything
        settings["Datsync:Replica:ClientId"] = "app-2";
        using (var host = Build(settings))
        {
            await host.StartAsync().WaitAsync(TestTimeout);
            var master = host.Services.GetRequiredService<DatsyncMaster>();
            Assert.Equal(2, master.Db.BasisT);
            var replica = host.Services.GetRequiredService<IDatsyncConnection>();
            await replica.SyncAsync(master.Db.BasisT).WaitAsync(TestTimeout);
            Assert.Equal("Ivan", replica.Db.Entity(ivan)![":person/name"]);
            var more = await replica.TransactAsync("""[{:person/email "ivan@example.org" :person/name "Ivan the Second"}]""").WaitAsync(TestTimeout);
            Assert.Equal(3, more.T);
            await host.StopAsync().WaitAsync(TestTimeout);
        }
    }

    [Fact]
    public async Task A_host_with_a_master_alone_gives_the_master_as_its_connection_and_no_replica()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = UniqueName(),
            ["Datsync:Master:Storage:Kind"] = "memory",
        });
        var connection = host.Services.GetRequiredService<IDatsyncConnection>(); // resolvable before the start
        Assert.Throws<InvalidOperationException>(() => connection.Db);
        Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<DatsyncMaster>());
        await host.StartAsync().WaitAsync(TestTimeout);
        Assert.Null(host.Services.GetService<DatsyncReplica>());
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        var added = await connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        Assert.Equal(added.T, master.Db.BasisT);
        Assert.Equal(ConnectionState.Connected, connection.Status.Connection);
        await host.StopAsync().WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Disconnected, master.Status.Connection);
    }

    [Fact]
    public async Task Akka_logs_through_the_hosts_ILoggerFactory_and_storage_can_come_from_the_options_hocon()
    {
        var logs = new CapturingLoggerProvider();
        var name = UniqueName();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Hocon"] = "datsync.storage.kind = memory",
            ["Datsync:Replica:ClientId"] = "logged",
            ["Datsync:Replica:ServerSystemName"] = name,
        }, logs);
        await host.StartAsync().WaitAsync(TestTimeout);
        var system = host.Services.GetRequiredService<DatsyncMaster>().System;
        // the master's own journal is the in-memory one the Hocon asked for
        Assert.Contains("MemoryJournal", system.Settings.Config.GetString(Storage.StorageOptions.JournalPluginId + ".class"));

        var marker = Guid.NewGuid().ToString("N");
        Logging.GetLogger(system, "hosting-test").Warning("through ILogger: {0}", marker);
        var message = await logs.WaitFor(marker).WaitAsync(TestTimeout);
        Assert.Contains("through ILogger", message, StringComparison.Ordinal);
        Assert.Contains(logs.Messages, m => m.Message.Contains("recovered at t=0", StringComparison.Ordinal)); // the transactor's own line
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task An_in_process_replica_without_its_master_fails_the_host_start()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "orphan",
            ["Datsync:Replica:ServerSystemName"] = UniqueName(),
        });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync().WaitAsync(TestTimeout));
        Assert.Contains("no master named", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<DatsyncReplica>());
    }

    [Fact]
    public async Task A_journal_that_cannot_be_read_fails_the_host_start_with_its_message()
    {
        using var dir = new TempDir();
        var options = new DatsyncMasterOptions { Name = UniqueName(), Storage = { Kind = "sqlite", DataDirectory = dir.Path } };
        await using (var master = await DatsyncNode.StartMasterAsync(options).WaitAsync(TestTimeout))
            await master.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        CorruptJournal(Path.Combine(dir.Path, "datsync.db"));

        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = options.Name,
            ["Datsync:Master:Storage:Kind"] = "sqlite",
            ["Datsync:Master:Storage:DataDirectory"] = dir.Path,
            ["Datsync:Master:Hocon"] = "akka.loglevel = OFF",
        });
        var error = await Assert.ThrowsAsync<DatsyncStorageException>(() => host.StartAsync().WaitAsync(TestTimeout));
        Assert.Contains("the journal of datsync-master cannot be read", error.Message, StringComparison.Ordinal);
        Assert.Empty(DatsyncMaster.Named(options.Name)); // the failed master is stopped
    }

    [Fact]
    public async Task Plain_entry_points_start_a_master_and_in_process_replicas_from_options()
    {
        var name = UniqueName("plain");
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions { Name = name, Storage = { Kind = "memory" } })
            .WaitAsync(TestTimeout);
        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "plain", ServerSystemName = name })
            .WaitAsync(TestTimeout);
        await replica.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        var added = await replica.TransactAsync("""[{:db/id "p" :person/email "p@example.org" :person/name "Petr"}]""").WaitAsync(TestTimeout);
        Assert.Equal("Petr", replica.Db.Entity(added.Tempids["p"])![":person/name"]);
        await using var other = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "other", ServerSystemName = name })
            .WaitAsync(TestTimeout);
        await other.SyncAsync(added.T).WaitAsync(TestTimeout);
        Assert.Equal("Petr", other.Db.Entity(added.Tempids["p"])![":person/name"]);
        Assert.Equal("Petr", (await master.SyncAsync(added.T).WaitAsync(TestTimeout)).Entity(added.Tempids["p"])![":person/name"]);
    }

    [Fact]
    public async Task A_hosted_replica_of_a_remote_master_connects_with_its_token_and_follows_it()
    {
        var name = UniqueName();
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name,
            Listen = "127.0.0.1:0",
            Storage = { Kind = "memory" },
            Hocon = $$"""
                datsync.server.clients { {{TokenHash.ConfigLine("web-1", "s3cret")}} }
                akka.loglevel = WARNING
                """,
        }).WaitAsync(TestTimeout);
        var schema = await master.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "web-1",
            ["Datsync:Replica:Server"] = master.ListeningAt,
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:Token"] = "s3cret",
        });
        await host.StartAsync().WaitAsync(TestTimeout);
        Assert.Null(host.Services.GetService<DatsyncMaster>());
        var connection = host.Services.GetRequiredService<IDatsyncConnection>();
        await connection.SyncAsync(schema.T).WaitAsync(TestTimeout); // the host did not wait for the bootstrap: this does
        Assert.Equal(schema.T, connection.Status.BasisT);
        var added = await connection.TransactAsync("""[{:db/id "a" :person/email "a@x" :person/name "A"}]""").WaitAsync(TestTimeout);
        var masterDb = await master.SyncAsync(added.T).WaitAsync(TestTimeout);
        Assert.Equal("A", masterDb.Entity(added.Tempid("a"))![":person/name"]);
        var later = await master.TransactAsync("""[{:db/id "b" :person/email "b@x" :person/name "B"}]""").WaitAsync(TestTimeout);
        Assert.Equal("B", (await connection.SyncAsync(later.T).WaitAsync(TestTimeout)).Entity(later.Tempid("b"))![":person/name"]);
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task The_host_starts_while_the_remote_master_is_not_up_and_its_replica_bootstraps_once_it_is()
    {
        var name = UniqueName();
        var address = FreeAddress(); // nobody listens there yet
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "early",
            ["Datsync:Replica:Server"] = address,
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:RetryInterval"] = "00:00:00.200",
            ["Datsync:Replica:Hocon"] = "akka.loglevel = OFF",
        });
        await host.StartAsync().WaitAsync(TestTimeout);
        var connection = host.Services.GetRequiredService<IDatsyncConnection>();
        Assert.False(connection.Status.Bootstrapped);
        var rejected = await Assert.ThrowsAsync<TxRejectedException>(() => connection.TransactAsync(PeopleSchema).WaitAsync(TestTimeout));
        Assert.Equal(DatsyncErrors.Unavailable, rejected.Category);

        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name, Listen = address, Storage = { Kind = "memory" }, Hocon = "akka.loglevel = WARNING",
        }).WaitAsync(TestTimeout);
        var schema = await master.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        await connection.SyncAsync(schema.T).WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Connected, connection.Status.Connection);
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task A_client_taken_out_of_the_reloaded_configuration_is_ended_and_refused_while_another_keeps_syncing()
    {
        var name = UniqueName();
        var web1 = TokenHash.Create("t1").ToString();
        var web2 = TokenHash.Create("t2").ToString();
        var source = new ReloadableSource(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Master:HeartbeatInterval"] = "00:00:00.200",
            ["Datsync:Master:Clients:web-1"] = web1,
            ["Datsync:Master:Clients:web-2"] = web2,
            ["Datsync:Replica:ClientId"] = "web-2",
            ["Datsync:Replica:Token"] = "t2",
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:RetryInterval"] = "00:00:00.200",
        });
        var logs = new CapturingLoggerProvider();
        using var host = Build(new Dictionary<string, string?>(), logs, source: source);
        await host.StartAsync().WaitAsync(TestTimeout);
        var two = host.Services.GetRequiredService<IDatsyncConnection>();
        await using var one = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = "web-1", Token = "t1", ServerSystemName = name, RetryInterval = TimeSpan.FromMilliseconds(200),
        }).WaitAsync(TestTimeout);
        await two.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);

        // a plain token in the new configuration: the old list stays, and web-1 with it
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Clients:web-1"] = "t1" });
        var kept = await logs.WaitFor("kept the old client list").WaitAsync(TestTimeout);
        Assert.Contains("\"web-1\" holds a plain token", kept);
        var first = await two.TransactAsync("""[{:db/id "a" :person/email "a@x" :person/name "A"}]""").WaitAsync(TestTimeout);
        await one.SyncAsync(first.T).WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Connected, one.Status.Connection);
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Clients:web-1"] = web1 });

        var without = new Dictionary<string, string?>(source.Current);
        without.Remove("Datsync:Master:Clients:web-1");
        source.Replace(without);
        await one.WhenRefused.WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Refused, one.Status.Connection);
        Assert.Contains("client \"web-1\" is not one this server knows", one.Refusal!.Message);

        var later = await two.TransactAsync("""[{:db/id "b" :person/email "b@x" :person/name "B"}]""").WaitAsync(TestTimeout);
        Assert.Equal(ConnectionState.Connected, two.Status.Connection);
        Assert.True(one.Status.BasisT < later.T);
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task An_application_service_takes_the_connection_in_its_constructor_and_transacts_through_it()
    {
        var name = UniqueName();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Replica:ClientId"] = "app",
            ["Datsync:Replica:ServerSystemName"] = name,
        }, services: s => s.AddSingleton<Directory>());
        var directory = host.Services.GetRequiredService<Directory>(); // made before the host started
        await host.StartAsync().WaitAsync(TestTimeout);
        var id = await directory.AddAsync("olga@example.org", "Olga").WaitAsync(TestTimeout);
        Assert.Equal("Olga", directory.NameOf(id));
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        Assert.Equal("Olga", master.Db.Entity(id)!.Get<string>(":person/name"));
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    private static string FreeAddress()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }

    /// <summary>An application's own service on the host's connection.</summary>
    private sealed class Directory(IDatsyncConnection connection)
    {
        public async Task<long> AddAsync(string email, string name)
        {
            await connection.TransactAsync(PeopleSchema);
            var added = await connection.TransactAsync([Tx.Entity("p", (":person/email", email), (":person/name", name))]);
            return added.Tempid("p");
        }

        public string? NameOf(long id) => connection.Db.Entity(id)?.Get<string>(":person/name");
    }
}
