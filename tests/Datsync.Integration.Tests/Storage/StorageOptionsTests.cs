using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Storage;

/// <summary>The typed options, the HOCON they produce, and the files in hocon/.</summary>
public sealed class StorageOptionsTests
{
    [Fact]
    public void Without_a_storage_section_the_master_uses_SQLite_in_the_data_directory()
    {
        var options = Assert.IsType<SqliteStorage>(StorageOptions.FromConfig(ConfigurationFactory.ParseString("a = 1")));
        Assert.Equal(new SqliteStorage("./data", "datsync.db"), options);
        Assert.Equal(1, options.Tuning.Parallelism);
    }

    [Fact]
    public void The_SQLite_HOCON_defines_Datsyncs_own_three_SQL_plugins_on_one_file()
    {
        using var dir = new SqliteFile();
        var storage = dir.Storage();
        var config = ConfigurationFactory.ParseString(storage.ToHocon());

        Assert.Equal("datsync.persistence.journal", StorageOptions.JournalPluginId);
        Assert.Equal("datsync.persistence.snapshot-store", StorageOptions.SnapshotStorePluginId);
        Assert.Equal("datsync.persistence.query", StorageOptions.ReadJournalPluginId);
        Assert.Equal("Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql", config.GetString(StorageOptions.JournalPluginId + ".class"));
        Assert.Equal("Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql", config.GetString(StorageOptions.SnapshotStorePluginId + ".class"));
        Assert.Equal("Akka.Persistence.Sql.Query.SqlReadJournalProvider, Akka.Persistence.Sql", config.GetString(StorageOptions.ReadJournalPluginId + ".class"));
        Assert.Equal(StorageOptions.JournalPluginId, config.GetString(StorageOptions.ReadJournalPluginId + ".write-plugin"));
        foreach (var plugin in Plugins)
        {
            Assert.Equal(plugin, config.GetString($"{plugin}.plugin-id"));
            Assert.Equal("SQLite.MS", config.GetString($"{plugin}.provider-name"));
            Assert.Equal(storage.ConnectionString, config.GetString($"{plugin}.connection-string"));
            Assert.Equal("default", config.GetString($"{plugin}.table-mapping")); // the tables journal, tags, snapshot
            Assert.Contains("Data Source=" + storage.FilePath, storage.ConnectionString);
        }
        Assert.True(config.GetBoolean(StorageOptions.JournalPluginId + ".auto-initialize"));
        Assert.True(config.GetBoolean(StorageOptions.SnapshotStorePluginId + ".auto-initialize"));
        Assert.Equal(1, config.GetInt(StorageOptions.JournalPluginId + ".parallelism"));
        Assert.Equal("fail", config.GetString(StorageOptions.JournalPluginId + ".replay-filter.mode"));
        Assert.False(File.Exists(storage.FilePath)); // ToHocon is pure; ToConfig prepares
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    [InlineData("memory")]
    public void No_storage_takes_over_the_default_plugins_of_Akka_Persistence(string kind)
    {
        using var dir = new SqliteFile();
        var config = StorageOptions.BuildSystemConfig(ConfigurationFactory.ParseString($$"""
            datsync.storage.kind = {{kind}}
            datsync.storage.data-directory = {{StorageOptions.Quote(dir.Directory)}}
            datsync.storage.postgres.connection-string = "Host=db;Database=datsync;Username=u"
            """));

        foreach (var key in new[]
                 {
                     "akka.persistence.journal.plugin", "akka.persistence.snapshot-store.plugin",
                     "akka.persistence.journal.auto-start-journals", "akka.persistence.snapshot-store.auto-start-snapshot-stores",
                     "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql",
                 })
            Assert.False(config.HasPath(key), key);
        Assert.True(config.HasPath(StorageOptions.JournalPluginId + ".class"));
        Assert.True(config.HasPath(StorageOptions.SnapshotStorePluginId + ".class"));
    }

    private static readonly string[] Plugins =
        [StorageOptions.JournalPluginId, StorageOptions.SnapshotStorePluginId, StorageOptions.ReadJournalPluginId];

    [Fact]
    public void The_PostgreSQL_HOCON_puts_every_table_in_the_schema()
    {
        var storage = new PostgresStorage("Host=db;Database=datsync;Username=u;Password=secret", "master");
        var config = ConfigurationFactory.ParseString(storage.ToHocon());

        foreach (var plugin in Plugins)
        {
            Assert.Equal("PostgreSQL.15", config.GetString($"{plugin}.provider-name"));
            Assert.Equal(storage.ConnectionString, config.GetString($"{plugin}.connection-string"));
            Assert.Equal("master", config.GetString($"{plugin}.default.schema-name"));
        }
        Assert.Equal(3, config.GetInt(StorageOptions.JournalPluginId + ".parallelism"));
        Assert.DoesNotContain("secret", storage.ToString());
    }

    [Fact]
    public void The_memory_HOCON_gives_Datsync_in_memory_plugins_of_its_own()
    {
        var config = new InMemoryStorage().ToConfig();
        Assert.Equal("Akka.Persistence.Journal.MemoryJournal, Akka.Persistence", config.GetString(StorageOptions.JournalPluginId + ".class"));
        Assert.Equal("Akka.Persistence.Snapshot.MemorySnapshotStore, Akka.Persistence", config.GetString(StorageOptions.SnapshotStorePluginId + ".class"));
        Assert.False(config.HasPath("akka.persistence.journal.plugin"));
        Assert.False(config.HasPath("akka.persistence.snapshot-store.plugin"));
    }

    [Fact]
    public async Task Memory_storage_runs_the_same_actor_within_one_ActorSystem()
    {
        var config = StorageOptions.BuildSystemConfig(ConfigurationFactory.ParseString("datsync.storage.kind = memory"));
        await using var node = StorageNode.Start(config);
        var actor = node.Journaled(StorageScenario.NewPersistenceId());
        await node.Ask<Journaled.Persisted>(actor, new Journaled.Add("a"));
        Assert.Equal(1, (await node.Ask<Journaled.SnapshotSaved>(actor, new Journaled.TakeSnapshot())).SequenceNr);
        Assert.Equal(["a"], (await node.StateOf(actor)).Events);
    }

    [Fact]
    public void Bad_storage_sections_fail_with_the_key_to_fix()
    {
        var unknown = Assert.Throws<ConfigurationException>(() =>
            StorageOptions.FromConfig(ConfigurationFactory.ParseString("datsync.storage.kind = oracle")));
        Assert.Contains("datsync.storage.kind", unknown.Message);

        var noConnection = Assert.Throws<ConfigurationException>(() =>
            StorageOptions.FromConfig(ConfigurationFactory.ParseString("datsync.storage.kind = postgres")));
        Assert.Contains("datsync.storage.postgres.connection-string", noConnection.Message);
    }

    [Fact]
    public void Datsync_conf_parses_and_holds_the_keys_the_transactor_reads()
    {
        var config = HoconFiles.Load(RepositoryFiles.Hocon("datsync.conf"));
        Assert.Equal(1000, config.GetInt("datsync.master.snapshot-every"));
        Assert.Equal(1024, config.GetInt("datsync.listener.buffer-size"));
        Assert.Equal(1000, config.GetInt("datsync.listener.recent-in-memory"));
        // the deployable file states the library's own defaults, not other numbers
        Assert.Equal(Datsync.Actors.Master.MasterSettings.Default, Datsync.Actors.Master.MasterSettings.From(config));
        Assert.Equal(Datsync.Actors.Server.SessionSettings.Default, Datsync.Actors.Server.SessionSettings.From(config));
        Assert.Equal(Datsync.Actors.Replica.ReplicaSettings.Default, Datsync.Actors.Replica.ReplicaSettings.From(config));
        Assert.Equal("sqlite", config.GetString("datsync.storage.kind"));
        Assert.Equal(new SqliteStorage("./data", "datsync.db"), StorageOptions.FromConfig(config));
    }

    [Fact]
    public void Sqlite_conf_on_top_of_datsync_conf_selects_SQLite_with_one_writer()
    {
        var config = HoconFiles.Load(RepositoryFiles.Hocon("datsync.conf"), RepositoryFiles.Hocon("sqlite.conf"));
        var options = Assert.IsType<SqliteStorage>(StorageOptions.FromConfig(config));
        Assert.Equal("datsync.db", options.FileName);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BusyTimeout);
        Assert.True(options.Pooling);
        Assert.Equal(1, options.Tuning.Parallelism);
        Assert.Equal(100, options.Tuning.BatchSize);
        Assert.Equal(1000, config.GetInt("datsync.master.snapshot-every")); // datsync.conf still underneath
    }

    [Fact]
    public void Postgres_conf_on_top_of_datsync_conf_selects_PostgreSQL_and_a_later_file_sets_the_server()
    {
        var files = new[] { RepositoryFiles.Hocon("datsync.conf"), RepositoryFiles.Hocon("postgres.conf") };
        var fromFile = Assert.IsType<PostgresStorage>(StorageOptions.FromConfig(HoconFiles.Load(files)));
        Assert.Equal("Host=127.0.0.1;Port=5432;Database=datsync;Username=datsync", fromFile.ConnectionString);
        Assert.Equal("public", fromFile.Schema);
        Assert.Equal(3, fromFile.Tuning.Parallelism);

        var local = Path.GetTempFileName();
        try
        {
            File.WriteAllText(local, "datsync.storage.postgres.connection-string = \"Host=pg.internal;Database=prod;Username=datsync\"");
            var layered = Assert.IsType<PostgresStorage>(StorageOptions.FromConfig(HoconFiles.Load([.. files, local])));
            Assert.Equal("Host=pg.internal;Database=prod;Username=datsync", layered.ConnectionString);
            Assert.Equal(3, layered.Tuning.Parallelism);
        }
        finally { File.Delete(local); }
    }
}
