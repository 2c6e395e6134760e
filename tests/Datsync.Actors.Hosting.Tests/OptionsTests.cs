using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>Options are HOCON: what they set reaches the settings, what they leave unset keeps the defaults.</summary>
public sealed class OptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    [Fact]
    public void Unset_master_options_produce_no_hocon_and_leave_the_library_defaults()
    {
        var options = new DatsyncMasterOptions();
        Assert.Equal("", options.ToHocon());
        Assert.Equal(MasterSettings.Default, options.ToMasterSettings(Config.Empty));
        Assert.Equal(SessionSettings.Default, options.ToSessionSettings(Config.Empty));
        var storage = Assert.IsType<SqliteStorage>(options.SelectStorage());
        Assert.Equal(Path.GetFullPath(Path.Combine(SqliteStorage.DefaultDataDirectory, SqliteStorage.DefaultFileName)), storage.FilePath);
    }

    [Fact]
    public void Master_options_bound_from_configuration_become_the_settings_they_name()
    {
        var options = Configuration(
                ("Datsync:Master:PersistenceId", "orders"),
                ("Datsync:Master:SnapshotEvery", "25"),
                ("Datsync:Master:RememberRequests", "77"),
                ("Datsync:Master:ListenerBufferSize", "64"),
                ("Datsync:Master:ListenerRecentInMemory", "32"),
                ("Datsync:Master:SessionChunkSize", "4096"),
                ("Datsync:Master:BootstrapWindow", "3"),
                ("Datsync:Master:BootstrapReuseWithin", "9"),
                ("Datsync:Master:HeartbeatInterval", "00:00:02.500"),
                ("Datsync:Master:OutcomeCache", "11"),
                ("Datsync:Master:ShareMasterValues", "false"))
            .GetSection(DatsyncMasterOptions.SectionName).Get<DatsyncMasterOptions>()!;

        Assert.Equal(new MasterSettings("orders", 25, 64, 32, 77), options.ToMasterSettings(Config.Empty));
        Assert.Equal(new SessionSettings(4096, 3, 9, TimeSpan.FromMilliseconds(2500), 11, false), options.ToSessionSettings(Config.Empty));
    }

    [Fact]
    public void Scopes_bound_from_configuration_reach_the_transactor_and_the_sessions()
    {
        var options = Configuration(
                ("Datsync:Master:Scopes:Rules", "[[(visible ?client ?roles ?u) [?u :user/id ?client]]]"),
                ("Datsync:Master:Scopes:Attributes:0", "user/*"),
                ("Datsync:Master:Scopes:Roles:web-1:0", "admin"),
                ("Datsync:Master:Scopes:SchemaWriters:0", "admin"),
                ("Datsync:Master:Scopes:WriteRules:no-ids", "[:find ?e ?a ?v ?added :where [(= ?a :user/id)]]"))
            .GetSection(DatsyncMasterOptions.SectionName).Get<DatsyncMasterOptions>()!;

        var hocon = options.ToConfig();
        Assert.Equal("[[(visible ?client ?roles ?u) [?u :user/id ?client]]]", hocon.GetString("datsync.server.scopes.rules"));
        Assert.Equal(["user/*"], hocon.GetStringList("datsync.server.scopes.attributes"));
        Assert.Equal(["admin"], hocon.GetStringList("datsync.server.scopes.roles.web-1"));
        Assert.Equal(["admin"], hocon.GetStringList("datsync.server.scopes.schema-writers"));
        Assert.Equal("[:find ?e ?a ?v ?added :where [(= ?a :user/id)]]", hocon.GetString("datsync.server.scopes.write-rules.no-ids"));
        Assert.NotNull(options.ToMasterSettings(Config.Empty).Scopes);
        Assert.NotNull(options.ToSessionSettings(Config.Empty).Scopes);
        Assert.Null(new DatsyncMasterOptions().ToMasterSettings(Config.Empty).Scopes);
    }

    [Fact]
    public void The_options_own_hocon_wins_over_their_properties_and_strings_survive_quoting()
    {
        var options = new DatsyncMasterOptions
        {
            PersistenceId = "a \"quoted\" id with \\ and ${x}",
            SnapshotEvery = 3,
            Hocon = "datsync.master.snapshot-every = 7",
        };
        var settings = options.ToMasterSettings(Config.Empty);
        Assert.Equal("a \"quoted\" id with \\ and ${x}", settings.PersistenceId);
        Assert.Equal(7, settings.SnapshotEvery);
    }

    [Fact]
    public void Options_win_over_the_system_hocon_and_leave_what_they_do_not_set()
    {
        var system = ConfigurationFactory.ParseString("datsync.master { snapshot-every = 5, persistence-id = from-hocon }");
        var settings = new DatsyncMasterOptions { SnapshotEvery = 9 }.ToMasterSettings(system);
        Assert.Equal(9, settings.SnapshotEvery);
        Assert.Equal("from-hocon", settings.PersistenceId);
    }

    [Fact]
    public void Storage_kind_and_its_properties_select_the_storage()
    {
        using var dir = new TempDir();
        var sqlite = new DatsyncMasterOptions { Storage = { Kind = "SQLite", DataDirectory = dir.Path, SqliteFileName = "m.db" } };
        Assert.Equal(Path.Combine(dir.Path, "m.db"), Assert.IsType<SqliteStorage>(sqlite.SelectStorage()).FilePath);

        var postgres = new DatsyncMasterOptions
        {
            Storage = { Kind = "postgres", PostgresConnectionString = "Host=db;Database=d;Username=u;Password=p", PostgresSchema = "sync" },
        };
        var pg = Assert.IsType<PostgresStorage>(postgres.SelectStorage());
        Assert.Equal("Host=db;Database=d;Username=u;Password=p", pg.ConnectionString);
        Assert.Equal("sync", pg.Schema);

        Assert.IsType<InMemoryStorage>(new DatsyncMasterOptions { Storage = { Kind = "memory" } }.SelectStorage());
        Assert.Throws<ConfigurationException>(() => new DatsyncMasterOptions { Storage = { Kind = "postgres" } }.SelectStorage());
        Assert.Throws<ConfigurationException>(() => new DatsyncMasterOptions { Storage = { Kind = "mongo" } }.SelectStorage());
    }

    [Fact]
    public void Storage_left_unset_in_the_options_comes_from_the_hocon_beneath()
    {
        var beneath = ConfigurationFactory.ParseString("datsync.storage.kind = memory");
        Assert.IsType<InMemoryStorage>(new DatsyncMasterOptions().SelectStorage(beneath));
        Assert.IsType<SqliteStorage>(new DatsyncMasterOptions { Storage = { Kind = "sqlite" } }.SelectStorage(beneath));
        var config = new DatsyncMasterOptions().BuildSystemConfig(beneath);
        Assert.Equal("Akka.Persistence.Journal.MemoryJournal, Akka.Persistence", config.GetString(StorageOptions.JournalPluginId + ".class"));
        Assert.Equal(1024, config.GetInt("datsync.listener.buffer-size")); // library default behind
    }

    [Fact]
    public void The_system_config_of_sqlite_options_creates_the_database_file_and_points_the_journal_at_it()
    {
        using var dir = new TempDir();
        var options = new DatsyncMasterOptions { Storage = { Kind = "sqlite", DataDirectory = Path.Combine(dir.Path, "nested"), SqliteFileName = "x.db" } };
        var file = Path.Combine(dir.Path, "nested", "x.db");
        Assert.False(File.Exists(file));
        var config = options.BuildSystemConfig();
        Assert.True(File.Exists(file));
        Assert.False(config.HasPath("akka.persistence.journal.plugin")); // the application's default journal stays its own
        Assert.Contains(file, config.GetString(StorageOptions.JournalPluginId + ".connection-string"), StringComparison.Ordinal);
    }

    [Fact]
    public void Replica_options_bound_from_configuration_become_its_settings()
    {
        var options = Configuration(
                ("Datsync:Replica:ClientId", "r1"),
                ("Datsync:Replica:RetryInterval", "00:00:00.250"),
                ("Datsync:Replica:AckEvery", "5"),
                ("Datsync:Replica:ConnectionTimeout", "00:00:30"))
            .GetSection(DatsyncReplicaOptions.SectionName).Get<DatsyncReplicaOptions>()!;
        Assert.Equal("r1", options.RequireClientId());
        Assert.True(options.IsInProcess);
        Assert.Equal(new ReplicaSettings(TimeSpan.FromMilliseconds(250), 5, TimeSpan.FromSeconds(30)), options.ToReplicaSettings(Config.Empty));
        Assert.Equal(ReplicaSettings.Default, new DatsyncReplicaOptions().ToReplicaSettings(Config.Empty));
        Assert.Throws<InvalidOperationException>(() => new DatsyncReplicaOptions().RequireClientId());
    }

    [Theory]
    [InlineData(null, "/user/datsync-server")]
    [InlineData("", "/user/datsync-server")]
    [InlineData("db.example.org:4053", "akka.tcp://datsync@db.example.org:4053/user/datsync-server")]
    [InlineData(" 10.0.0.5:2552 ", "akka.tcp://datsync@10.0.0.5:2552/user/datsync-server")]
    [InlineData("[::1]:4053", "akka.tcp://datsync@[::1]:4053/user/datsync-server")]
    public void The_server_option_names_the_server_actor(string? server, string path) =>
        Assert.Equal(path, new DatsyncReplicaOptions { ClientId = "c", Server = server }.ServerPath());

    [Theory]
    [InlineData("db.example.org")]
    [InlineData("db.example.org:")]
    [InlineData(":4053")]
    [InlineData("db:70000")]
    [InlineData("db:port")]
    [InlineData("::1:4053")]
    public void A_malformed_server_is_refused_when_the_services_are_added(string server)
    {
        Assert.Throws<FormatException>(() => new ServiceCollection().AddDatsync(o => o.Replica = new DatsyncReplicaOptions { ClientId = "c", Server = server }));
        Assert.Throws<FormatException>(() => new ServiceCollection().AddDatsync(
            Configuration(("Datsync:Replica:ClientId", "c"), ("Datsync:Replica:Server", server)).GetSection("Datsync")));
    }

    [Fact]
    public void A_replica_without_a_client_id_is_refused_when_the_services_are_added()
    {
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDatsync(o => o.Replica = new DatsyncReplicaOptions()));
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDatsync(
            Configuration(("Datsync:Replica:Server", "db:4053")).GetSection("Datsync")));
    }

    [Fact]
    public void Nothing_to_start_a_malformed_listen_address_or_a_second_AddDatsync_are_refused()
    {
        var none = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDatsync(Configuration(("Other:Key", "x")).GetSection("Datsync")));
        Assert.Contains("neither a Datsync master (Master) nor a replica (Replica); AddDatsync takes the Datsync section itself", none.Message);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddDatsync(_ => { }));
        Assert.Throws<FormatException>(() => new ServiceCollection().AddDatsync(o => o.Master = new DatsyncMasterOptions { Listen = "nowhere" }));
        var services = new ServiceCollection().AddDatsync(o => o.Master = new DatsyncMasterOptions());
        Assert.Throws<InvalidOperationException>(() => services.AddDatsync(o => o.Master = new DatsyncMasterOptions()));
    }

    [Fact]
    public void The_sections_present_decide_what_is_registered_and_bind_into_the_one_options_model()
    {
        var replicaOnly = new ServiceCollection().AddDatsync(Configuration(
            ("Datsync:Replica:ClientId", "r1"), ("Datsync:Replica:Server", "db:4053"), ("Datsync:Replica:AckEvery", "5")).GetSection("Datsync"));
        Assert.Contains(replicaOnly, d => d.ServiceType == typeof(DatsyncReplica));
        Assert.DoesNotContain(replicaOnly, d => d.ServiceType == typeof(DatsyncMaster));
        Assert.Contains(replicaOnly, d => d.ServiceType == typeof(IDatsyncConnection));
        using var provider = replicaOnly.BuildServiceProvider();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatsyncOptions>>().Value;
        Assert.Null(options.Master);
        Assert.Equal("r1", options.Replica!.ClientId);
        Assert.Equal(5, options.Replica.AckEvery);

        var both = new ServiceCollection().AddDatsync(Configuration(
            ("Datsync:Master:Storage:Kind", "memory"), ("Datsync:Replica:ClientId", "r1")).GetSection("Datsync"));
        Assert.Contains(both, d => d.ServiceType == typeof(DatsyncReplica));
        Assert.Contains(both, d => d.ServiceType == typeof(DatsyncMaster));

        var inCode = new DatsyncMasterOptions { Storage = { Kind = "memory" } };
        using var fromCode = new ServiceCollection().AddDatsync(o => o.Master = inCode).BuildServiceProvider();
        Assert.Same(inCode, fromCode.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatsyncOptions>>().Value.Master);
    }

    [Fact]
    public void Clients_bound_from_configuration_are_written_into_the_hocon_the_server_reads()
    {
        var web1 = TokenHash.Create("t1").ToString();
        var odd = TokenHash.Create("t2").ToString();
        var options = Configuration(
                ("Datsync:Master:Clients:web-1", web1),
                ("Datsync:Master:Clients:odd.id \"2\"", odd),
                ("Datsync:Master:Clients:gone", ""))
            .GetSection(DatsyncMasterOptions.SectionName).Get<DatsyncMasterOptions>()!;
        Assert.Contains("datsync.server.clients.\"web-1\" = \"pbkdf2-sha256$", options.ToHocon());
        var access = ClientAccess.From(options.ToConfig());
        Assert.Equal(["odd.id \"2\"", "web-1"], access.ClientIds.Order(StringComparer.Ordinal));
        Assert.Null(access.Refusal(new Protocol.Connect("web-1", null, 0, "t1")));
        Assert.Null(access.Refusal(new Protocol.Connect("odd.id \"2\"", null, 0, "t2")));
        Assert.NotNull(access.Refusal(new Protocol.Connect("web-1", null, 0, "t2")));
        Assert.True(ClientAccess.From(new DatsyncMasterOptions().ToConfig()).IsOpen);
    }

    [Fact]
    public void A_plain_token_among_the_clients_is_refused_when_the_server_reads_them()
    {
        var options = new DatsyncMasterOptions { Clients = { ["web-1"] = "s3cret" } };
        var e = Assert.Throws<ConfigurationException>(() => ClientAccess.From(options.ToConfig()));
        Assert.Contains("\"web-1\" holds a plain token", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }
}
