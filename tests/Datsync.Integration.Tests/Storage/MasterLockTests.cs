using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Storage;

/// <summary>One master per storage: a second one on the same SQLite file or PostgreSQL journal is refused at start,
/// with a message naming the storage; the first one's lock goes with it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MasterLockTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<MasterSystem> Start(StorageOptions storage)
    {
        var m = MasterRuntime.StartSystem("lock-" + Guid.NewGuid().ToString("N")[..8], storage, "akka.loglevel = WARNING");
        await m.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout);
        return m;
    }

    private static async Task A_second_master_is_refused_until_the_first_is_gone(Func<StorageOptions> storage, string names)
    {
        var first = await Start(storage());
        try
        {
            var refused = Assert.Throws<StorageLockedException>(() => MasterRuntime.StartSystem("second", storage(), "akka.loglevel = WARNING"));
            Assert.Contains("another master holds", refused.Message);
            Assert.Contains(names, refused.Message);
            Assert.DoesNotContain('\n', refused.Message);
        }
        finally { await first.DisposeAsync(); }

        await using var third = await Start(storage()); // the lock went with the first master
    }

    [Fact]
    public async Task A_second_master_on_the_same_SQLite_file_is_refused()
    {
        using var file = new SqliteFile();
        await A_second_master_is_refused_until_the_first_is_gone(() => file.Storage(), file.Storage().FilePath);
    }

    [Fact]
    public async Task A_second_master_on_the_same_PostgreSQL_journal_is_refused()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        await A_second_master_is_refused_until_the_first_is_gone(() => new PostgresStorage(connectionString), database);
    }

    [Fact]
    public async Task A_journal_two_masters_wrote_is_refused_rather_than_replayed_without_an_acknowledged_transaction()
    {
        using var file = new SqliteFile();
        await using (var m = await Start(file.Storage()))
            for (var i = 0; i < 3; i++)
                Assert.Equal(i + 1, (await m.Master.Transactor.Ask<TxAccepted>(
                    new Transact($"r{i}", (IReadOnlyList<object?>)Datsync.Core.EdnReader.Read("[]")!), Timeout)).T);
        // as if a second master had written t=2 between the first one's t=1 and t=3: replaying it drops t=3 (from the
        // "old" writer), and the master would give t=3 to another transaction
        file.Scalar("UPDATE journal SET writer_uuid = 'another-master' WHERE sequence_number = 2");

        await using var again = MasterRuntime.StartSystem("again", file.Storage(), "akka.loglevel = OFF");
        var refused = await Assert.ThrowsAsync<DatsyncStorageException>(() => again.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout));
        Assert.Contains("Invalid replayed event", refused.Message);
    }

    [Fact]
    public async Task Masters_of_other_persistence_ids_share_a_SQLite_file()
    {
        using var file = new SqliteFile();
        await using var first = await Start(file.Storage());
        await using var other = MasterRuntime.StartSystem("other", file.Storage(), "datsync.master.persistence-id = other-master");
        await other.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout);
    }
}
