using Akka.TestKit.Xunit2;
using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;
using Xunit.Abstractions;

namespace Datsync.Integration.Tests.Storage;

/// <summary>The default storage: one SQLite file in WAL mode, through Akka.Persistence.Sql.</summary>
public sealed class SqliteStorageTests(ITestOutputHelper output) : TestKit(output: output)
{
    [Fact]
    public async Task Events_and_snapshot_survive_a_restart_on_the_same_file()
    {
        using var dir = new SqliteFile();
        var storage = dir.Storage();
        var pid = StorageScenario.NewPersistenceId();

        await StorageScenario.RestartRoundTripAsync(storage.ToConfig(), pid);

        Assert.True(File.Exists(Path.Combine(dir.Directory, "datsync.db")));
        Assert.Equal(4L, dir.Scalar($"SELECT COUNT(*) FROM journal WHERE persistence_id = '{pid}'"));
        Assert.Equal(2L, dir.Scalar($"SELECT sequence_number FROM snapshot WHERE persistence_id = '{pid}'"));
    }

    [Fact]
    public async Task The_file_is_created_on_first_start_and_stays_in_WAL_mode()
    {
        using var dir = new SqliteFile();
        var storage = new SqliteStorage(Path.Combine(dir.Directory, "nested", "data"), "master.db");
        Assert.False(File.Exists(storage.FilePath));

        var config = storage.ToConfig(); // before any ActorSystem exists
        Assert.True(File.Exists(storage.FilePath));
        Assert.Equal("wal", JournalMode(storage.FilePath));

        var pid = StorageScenario.NewPersistenceId();
        await using (var node = StorageNode.Start(config))
            await node.Ask<Journaled.Persisted>(node.Journaled(pid), new Journaled.Add("x"));

        Assert.Equal("wal", JournalMode(storage.FilePath)); // WAL belongs to the file: a new connection sees it
        Assert.Equal(storage.FilePath, Path.GetFullPath(Path.Combine(dir.Directory, "nested", "data", "master.db")));
    }

    [Fact]
    public async Task A_large_PersistAll_is_written_as_one_group_and_replays_in_order()
    {
        using var dir = new SqliteFile();
        var config = dir.Storage().ToConfig();
        var pid = StorageScenario.NewPersistenceId();
        var values = Enumerable.Range(0, 2500).Select(i => $"e{i}").ToArray();

        await using (var node = StorageNode.Start(config))
        {
            var actor = node.Journaled(pid);
            Assert.Equal(2500, (await node.Ask<Journaled.Persisted>(actor, new Journaled.AddAll(values))).SequenceNr);
        }
        await using (var node = StorageNode.Start(config))
        {
            var state = await node.StateOf(node.Journaled(pid));
            Assert.Equal(values, state.Events);
            Assert.Equal(2500, state.ReplayedEvents);
        }
        Assert.Equal(2500L, dir.Scalar($"SELECT COUNT(*) FROM journal WHERE persistence_id = '{pid}'"));
    }

    private static string? JournalMode(string file)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return command.ExecuteScalar() as string;
    }
}
