using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;
using Npgsql;
using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Datsync.Integration.Tests.Storage;

/// <summary>
/// The master journals through plugins of its own (<see cref="StorageOptions.JournalPluginId"/> and the snapshot
/// store beside it): an application's persistent actors in the same ActorSystem keep the default journal the
/// application (or Akka) configures, none of their events land in Datsync's tables, and the master's tables are the
/// ones it wrote when it ran Akka.Persistence.Sql at Akka's default plugin paths.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OwnJournalTests(PostgresFixture postgres, ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string AppInMemoryJournal = """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    /// <summary>A storage and a way to count rows in its tables.</summary>
    private sealed record Store(StorageOptions Storage, Func<string, Task<long>> Count) : IDisposable
    {
        public IDisposable? Owned { get; init; }

        public Task<long> Rows(string table, string persistenceId) =>
            Count($"SELECT COUNT(*) FROM {table} WHERE persistence_id = '{persistenceId}'");

        public void Dispose() => Owned?.Dispose();
    }

    private async Task<Store> NewStore(string kind)
    {
        if (kind == "sqlite")
        {
            var file = new SqliteFile();
            return new Store(file.Storage(), sql => Task.FromResult(Convert.ToInt64(file.Scalar(sql), System.Globalization.CultureInfo.InvariantCulture))) { Owned = file };
        }
        var database = await postgres.CreateDatabaseAsync();
        return new Store(new PostgresStorage(database), async sql =>
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    private static Transact Tx(string id, string edn) => new(id, (IReadOnlyList<object?>)EdnReader.Read(edn)!);

    private const string SchemaEdn = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>The schema and three items; returns the last t.</summary>
    private static async Task<long> WriteItems(MasterHandle master)
    {
        await master.Transactor.Ask<TxAccepted>(Tx("schema", SchemaEdn), Timeout);
        long t = 0;
        for (var i = 1; i <= 3; i++)
            t = (await master.Transactor.Ask<TxAccepted>(Tx("item-" + i, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]"""), Timeout)).T;
        return t;
    }

    private static List<(long, object, object)> Facts(Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => !EntityIds.IsTx(d.E)).Select(d => (d.E, (object)d.A, d.V)).ToList();

    private static async Task<Journaled.State> StateOf(IActorRef actor) =>
        await actor.Ask<Journaled.State>(new Journaled.GetState(), Timeout);

    /// <summary>
    /// In the master's system: an application actor on the system's default journal persists a, b (a snapshot, with
    /// <paramref name="appSnapshots"/>), c,
    /// is stopped and started again and recovers them; the master commits beside it. None of the application's rows
    /// are in the storage's tables. A new system on the same storage recovers the master's transactions (and reads
    /// them back from the journal for a range), while the application's in-memory journal went with the first system.
    /// </summary>
    private static async Task Master_and_application_journal_side_by_side(Store store, string appConfig, string expectedAppJournal,
        bool appSnapshots)
    {
        var appPid = "app-" + Guid.NewGuid().ToString("N");
        long t;
        List<(long, object, object)> facts;
        await using (var node = MasterRuntime.StartSystem("shared-" + Guid.NewGuid().ToString("N")[..8], store.Storage,
                         "akka.loglevel = WARNING\n" + appConfig))
        {
            Akka.Persistence.Persistence.Instance.Apply(node.System); // Akka.Persistence's defaults are in the config from now on
            var config = node.System.Settings.Config;
            Assert.Equal(expectedAppJournal, config.GetString("akka.persistence.journal.plugin"));
            Assert.NotEqual(StorageOptions.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
            Assert.NotEqual(StorageOptions.SnapshotStorePluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
            Assert.DoesNotContain("datsync", config.GetString("akka.persistence.journal.plugin"), StringComparison.Ordinal);

            var app = node.System.ActorOf(Journaled.OnDefaultPlugins(appPid));
            await app.Ask<Journaled.Persisted>(new Journaled.Add("a"), Timeout);
            t = await WriteItems(node.Master); // the master's writes interleave with the application's
            await app.Ask<Journaled.Persisted>(new Journaled.Add("b"), Timeout);
            if (appSnapshots)
                Assert.Equal(2, (await app.Ask<Journaled.SnapshotSaved>(new Journaled.TakeSnapshot(), Timeout)).SequenceNr);
            Assert.Equal(3, (await app.Ask<Journaled.Persisted>(new Journaled.Add("c"), Timeout)).SequenceNr);
            facts = Facts(await node.Master.Recovered(Timeout));
            Assert.Equal(["k1", "k2", "k3"], facts.Select(f => f.Item3).OfType<string>().Where(v => v.StartsWith('k')).Order());

            // the application recovers its own events from its own journal, in the same system
            Assert.True(await app.GracefulStop(Timeout));
            var again = node.System.ActorOf(Journaled.OnDefaultPlugins(appPid));
            var recovered = await StateOf(again);
            Assert.Equal(["a", "b", "c"], recovered.Events);
            Assert.Equal(appSnapshots ? 2 : null, recovered.SnapshotSequenceNr);
            Assert.Equal(appSnapshots ? 1 : 3, recovered.ReplayedEvents);

            Assert.Equal(0L, await store.Rows("journal", appPid));
            Assert.Equal(0L, await store.Rows("snapshot", appPid));
            Assert.Equal(t, await store.Rows("journal", MasterSettings.Default.PersistenceId)); // one event per t
        }

        await using (var node = MasterRuntime.StartSystem("shared-again-" + Guid.NewGuid().ToString("N")[..8], store.Storage,
                         "akka.loglevel = WARNING\n" + appConfig))
        {
            var db = await node.Master.Recovered(Timeout);
            Assert.Equal(t, db.BasisT);
            Assert.Equal(facts, Facts(db));
            // the log listener reads the range back from Datsync's journal (nothing is in memory after a restart)
            var range = (TxRangeResult)await node.Master.Listener.Ask(new TxRange(1, t), Timeout);
            Assert.Equal(Enumerable.Range(1, (int)t).Select(i => (long)i), range.Deltas.Select(d => d.T));
            // and goes on writing where it was
            Assert.Equal(t + 1, (await node.Master.Transactor.Ask<TxAccepted>(Tx("item-4", """[{:item/key "k4" :item/n 4}]"""), Timeout)).T);

            // the application's in-memory journal did not survive its system: it was never in Datsync's tables
            var fresh = await StateOf(node.System.ActorOf(Journaled.OnDefaultPlugins(appPid)));
            Assert.Empty(fresh.Events);
            Assert.Equal(0L, await store.Rows("journal", appPid));
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_application_journal_configured_in_memory_runs_beside_the_master_in_one_system(string kind)
    {
        using var store = await NewStore(kind);
        await Master_and_application_journal_side_by_side(store, AppInMemoryJournal, "akka.persistence.journal.inmem", appSnapshots: true);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Without_an_application_journal_the_master_works_and_Akkas_default_is_untouched(string kind)
    {
        using var store = await NewStore(kind);
        var akkaDefault = Akka.Persistence.Persistence.DefaultConfig().GetString("akka.persistence.journal.plugin");
        Assert.False(string.IsNullOrEmpty(akkaDefault));
        // no snapshots of the application's: Akka's default snapshot store writes files into the working directory
        await Master_and_application_journal_side_by_side(store, "", akkaDefault, appSnapshots: false);
    }

    /// <summary>
    /// The configuration Datsync ran with before its plugins had ids of their own: Akka.Persistence.Sql at Akka's
    /// default plugin paths, set as the system's default journal and snapshot store, on the same tables.
    /// </summary>
    private static Config LegacyConfig(SqlStorage storage)
    {
        var schema = storage.SchemaName is null ? "" : $"default.schema-name = {StorageOptions.Quote(storage.SchemaName)}";
        var shared = $"""
            provider-name = {StorageOptions.Quote(storage.ProviderName)}
            connection-string = {StorageOptions.Quote(storage.ConnectionString)}
            table-mapping = default
            {schema}
            """;
        return ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  {{shared}}
                  auto-initialize = on
                  tag-write-mode = TagTable
                  replay-filter.mode = fail
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  {{shared}}
                  auto-initialize = on
                }
              }
            }
            """).WithFallback(SqlPersistence.DefaultConfiguration).WithFallback(DatsyncConfig.Default);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_journal_and_snapshots_written_at_the_default_plugin_paths_recover_under_Datsyncs_own_ids(string kind)
    {
        using var store = await NewStore(kind);
        var storage = (SqlStorage)store.Storage;
        storage.Prepare();
        var legacy = MasterSettings.Default with
        {
            SnapshotEvery = 2,
            JournalPluginId = "akka.persistence.journal.sql",
            SnapshotPluginId = "akka.persistence.snapshot-store.sql",
        };
        long t;
        List<(long, object, object)> facts;
        using (var system = ActorSystem.Create("legacy", LegacyConfig(storage)))
        {
            var master = MasterRuntime.Start(system, legacy);
            await WriteItems(master); // t = 4
            t = (await master.Transactor.Ask<TxAccepted>(Tx("item-5", """[{:item/key "k5" :item/n 5}]"""), Timeout)).T;
            Assert.Equal(5, t);
            facts = Facts(await master.Recovered(Timeout));
            // snapshots at t = 2 and 4 (every 2), saved after the commits were answered
            await AwaitAssertAsync(async () => Assert.Equal(2L, await store.Rows("snapshot", legacy.PersistenceId)), Timeout);
            await system.Terminate().WaitAsync(Timeout);
        }
        Assert.Equal(t, await store.Rows("journal", legacy.PersistenceId));

        await using var node = MasterRuntime.StartSystem("own-ids", storage, "akka.loglevel = WARNING\ndatsync.master.snapshot-every = 2");
        var db = await node.Master.Recovered(Timeout);
        Assert.Equal(t, db.BasisT);
        Assert.Equal(facts, Facts(db));
        var range = (TxRangeResult)await node.Master.Listener.Ask(new TxRange(1, t), Timeout);
        Assert.Equal(Enumerable.Range(1, (int)t).Select(i => (long)i), range.Deltas.Select(d => d.T));
        Assert.Equal(t + 1, (await node.Master.Transactor.Ask<TxAccepted>(Tx("item-6", """[{:item/key "k6" :item/n 6}]"""), Timeout)).T);
        Assert.Equal(t + 1, await store.Rows("journal", legacy.PersistenceId)); // the same table, one more row
    }

    [Fact]
    public async Task A_master_in_a_system_without_a_storage_is_refused_with_the_missing_plugin()
    {
        using var system = ActorSystem.Create("no-storage", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var refused = Assert.Throws<ConfigurationException>(() => MasterRuntime.Start(system, MasterSettings.Default));
        Assert.Contains(StorageOptions.JournalPluginId, refused.Message, StringComparison.Ordinal);
        await system.Terminate().WaitAsync(Timeout);
    }
}
