using Akka.TestKit.Xunit2;
using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;
using Npgsql;
using Xunit.Abstractions;

namespace Datsync.Integration.Tests.Storage;

/// <summary>The same storage guarantees on a real PostgreSQL server (<see cref="PostgresFixture"/>).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStorageTests(PostgresFixture postgres, ITestOutputHelper output) : TestKit(output: output)
{
    [Fact]
    public async Task Events_and_snapshot_survive_a_restart()
    {
        var pid = StorageScenario.NewPersistenceId();

        await StorageScenario.RestartRoundTripAsync(new PostgresStorage(postgres.ConnectionString).ToConfig(), pid);

        Assert.Equal(4L, await ScalarAsync("SELECT COUNT(*) FROM public.journal WHERE persistence_id = @pid", pid));
        Assert.Equal(2L, await ScalarAsync("SELECT sequence_number FROM public.snapshot WHERE persistence_id = @pid", pid));
    }

    [Fact]
    public async Task A_schema_other_than_public_is_created_and_holds_every_table()
    {
        var schema = "datsync_" + Guid.NewGuid().ToString("N")[..8];
        var pid = StorageScenario.NewPersistenceId();

        await StorageScenario.RestartRoundTripAsync(new PostgresStorage(postgres.ConnectionString, schema).ToConfig(), pid);

        Assert.Equal(4L, await ScalarAsync($"SELECT COUNT(*) FROM {schema}.journal WHERE persistence_id = @pid", pid));
        await using var connection = await postgres.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = @schema ORDER BY table_name", connection);
        command.Parameters.AddWithValue("schema", schema);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Contains("journal", tables);
        Assert.Contains("snapshot", tables);
        Assert.Contains("tags", tables);
    }

    [Fact]
    public async Task The_read_journal_reads_the_events_back()
    {
        var pid = StorageScenario.NewPersistenceId();
        await using var node = StorageNode.Start(new PostgresStorage(postgres.ConnectionString).ToConfig());
        var actor = node.Journaled(pid);
        await node.Ask<Journaled.Persisted>(actor, new Journaled.AddAll(["x", "y", "z"]));

        await AwaitAssertAsync(async () =>
        {
            var events = await node.CurrentEvents(pid);
            Assert.Equal(["x", "y", "z"], events.Select(e => (string)e.Event));
        }, StorageNode.Timeout);
    }

    private async Task<object?> ScalarAsync(string sql, string pid)
    {
        await using var connection = await postgres.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("pid", pid);
        return await command.ExecuteScalarAsync();
    }
}
