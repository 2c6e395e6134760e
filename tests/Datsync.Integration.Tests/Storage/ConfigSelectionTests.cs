using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;
using Npgsql;
using Xunit.Abstractions;

namespace Datsync.Integration.Tests.Storage;

/// <summary>Storage is chosen by configuration alone: the same actor code, only <c>datsync.storage</c> differs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigSelectionTests(PostgresFixture postgres, ITestOutputHelper output) : TestKit(output: output)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_same_actor_runs_on_whichever_storage_the_configuration_names(string kind)
    {
        using var dir = new SqliteFile();
        var database = await postgres.CreateDatabaseAsync();
        var appConfig = ConfigurationFactory.ParseString($$"""
            datsync.storage {
              kind = {{kind}}
              data-directory = {{StorageOptions.Quote(dir.Directory)}}
              postgres.connection-string = {{StorageOptions.Quote(database)}}
            }
            """);
        var pid = StorageScenario.NewPersistenceId();

        await StorageScenario.RestartRoundTripAsync(StorageOptions.BuildSystemConfig(appConfig), pid);

        var sqliteFile = Path.Combine(dir.Directory, SqliteStorage.DefaultFileName);
        var postgresTables = await CountAsync(database, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'");
        if (kind == "sqlite")
        {
            Assert.Equal(4L, dir.Scalar($"SELECT COUNT(*) FROM journal WHERE persistence_id = '{pid}'"));
            Assert.Equal(0L, postgresTables); // PostgreSQL was never touched
        }
        else
        {
            Assert.Equal(4L, await CountAsync(database, $"SELECT COUNT(*) FROM journal WHERE persistence_id = '{pid}'"));
            Assert.False(File.Exists(sqliteFile)); // no SQLite file was created
        }
    }

    [Theory]
    [InlineData("sqlite.conf", 1)]
    [InlineData("postgres.conf", 3)]
    public async Task The_hocon_files_combine_into_a_working_configuration(string storageFile, int parallelism)
    {
        using var dir = new SqliteFile();
        var database = await postgres.CreateDatabaseAsync();
        var deployed = HoconFiles.Load(RepositoryFiles.Hocon("datsync.conf"), RepositoryFiles.Hocon(storageFile));
        // What an installation changes: where the data goes.
        var local = ConfigurationFactory.ParseString($$"""
            datsync.storage {
              data-directory = {{StorageOptions.Quote(dir.Directory)}}
              postgres.connection-string = {{StorageOptions.Quote(database)}}
            }
            """).WithFallback(deployed);

        var config = StorageOptions.BuildSystemConfig(local);

        Assert.Equal(parallelism, config.GetInt(StorageOptions.JournalPluginId + ".parallelism"));
        Assert.Equal(1000, config.GetInt("datsync.master.snapshot-every"));
        await StorageScenario.RestartRoundTripAsync(config, StorageScenario.NewPersistenceId());
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
