using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Master;

/// <summary>The master on real storage: what it acknowledged survives a stop and a new start on the same store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DurableMasterTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<(ActorSystem, MasterHandle)> Start(StorageOptions storage, int snapshotEvery)
    {
        var m = MasterRuntime.StartSystem("durable-" + Guid.NewGuid().ToString("N")[..8], storage,
            $"akka.loglevel = WARNING\ndatsync.master.snapshot-every = {snapshotEvery}");
        await m.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout); // recovered
        return (m.System, m.Master);
    }

    private static Transact Tx(string id, string edn) => new(id, (IReadOnlyList<object?>)EdnReader.Read(edn)!);

    private static List<(long, int, object)> Facts(Db db) => db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, d.V)).ToList();

    private static async Task Restart_keeps_every_acknowledged_transaction(Func<StorageOptions> storage)
    {
        Db before;
        var (system, master) = await Start(storage(), snapshotEvery: 5);
        try
        {
            var schema = await master.Transactor.Ask<TxAccepted>(Tx("s", """
                [{:db/ident :doc/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                 {:db/ident :doc/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
                """), Timeout);
            Assert.Equal(1, schema.T);
            for (var i = 0; i < 12; i++)
            {
                var r = await master.Transactor.Ask<object>(Tx($"d{i}", $$"""[{:doc/key "k{{i % 5}}" :doc/n {{i}}}]"""), Timeout);
                Assert.Equal(i + 2, Assert.IsType<TxAccepted>(r).T);
            }
            before = (await master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
        }
        finally { await system.Terminate(); }

        var (system2, master2) = await Start(storage(), snapshotEvery: 5);
        try
        {
            var after = (await master2.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
            Assert.Equal(13, after.BasisT);
            Assert.Equal(Facts(before), Facts(after));
            var next = await master2.Transactor.Ask<TxAccepted>(Tx("next", """[{:doc/key "new" :doc/n 1}]"""), Timeout);
            Assert.Equal(14, next.T);
            var log = await master2.Listener.Ask<TxRangeResult>(new TxRange(1, 14), Timeout);
            Assert.Equal(Enumerable.Range(1, 14).Select(t => (long)t), log.Deltas.Select(d => d.T));
        }
        finally { await system2.Terminate(); }
    }

    [Fact]
    public async Task On_a_SQLite_file_a_restart_keeps_every_acknowledged_transaction_and_t_continues()
    {
        using var file = new SqliteFile();
        await Restart_keeps_every_acknowledged_transaction(() => file.Storage());
    }

    [Fact]
    public async Task On_PostgreSQL_a_restart_keeps_every_acknowledged_transaction_and_t_continues()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await Restart_keeps_every_acknowledged_transaction(() => new PostgresStorage(connectionString));
    }
}
