using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Master;

/// <summary>A master started in an actor system made without Datsync's configuration (only the storage's): it
/// journals in its own format and reads it back; a journal it cannot read fails at once, naming the cause.</summary>
public sealed class ForeignSystemMasterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Transact Tx(string id, string edn) => new(id, (IReadOnlyList<object?>)EdnReader.Read(edn)!);

    private static ActorSystem PlainSystem(SqliteStorage storage) =>
        ActorSystem.Create("x", storage.ToConfig().WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING")));

    [Fact]
    public async Task A_master_in_a_plain_actor_system_commits_a_keyword_transaction_and_a_restart_recovers_it()
    {
        using var file = new SqliteFile();
        long t;
        using (var system = PlainSystem(file.Storage()))
        {
            var master = MasterRuntime.Start(system, MasterSettings.Default);
            // the bindings of reference.conf, added to a system that read its own at start
            Assert.IsType<Datsync.Actors.Persistence.DatsyncPersistenceSerializer>(system.Serialization.FindSerializerForType(typeof(Datsync.Actors.Persistence.TxRecord)));
            Assert.IsType<Datsync.Actors.Persistence.DatsyncPersistenceSerializer>(system.Serialization.FindSerializerForType(typeof(Datsync.Actors.Persistence.DbSnapshot)));
            Assert.IsType<Datsync.Actors.Remote.DatsyncWireSerializer>(system.Serialization.FindSerializerForType(typeof(TxAccepted)));
            Assert.IsType<Datsync.Actors.Remote.DatsyncWireSerializer>(system.Serialization.FindSerializerForType(typeof(TxDelta)));
            Assert.Equal(1000, system.Settings.Config.GetInt("datsync.master.snapshot-every"));
            await master.Transactor.Ask<TxAccepted>(Tx("schema", """
                [{:db/ident :k/kind :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}]
                """), Timeout);
            var empty = await master.Transactor.Ask<object>(Tx("empty", "[]"), Timeout);
            Assert.IsType<TxAccepted>(empty);
            var reply = await master.Transactor.Ask<object>(Tx("kw", """[{:db/id "x" :k/kind :kind/big}]"""), Timeout);
            t = Assert.IsType<TxAccepted>(reply).T;
            await system.Terminate();
        }

        using (var system = PlainSystem(file.Storage()))
        {
            var master = MasterRuntime.Start(system, MasterSettings.Default);
            var db = (await master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout)).Db;
            Assert.Equal(t, db.BasisT);
            Assert.Contains(db.Datoms(IndexType.Eavt), d => Equals(d.V, Keyword.Intern(":kind/big")));
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_journal_the_master_cannot_read_fails_its_start_at_once_with_the_cause()
    {
        using var file = new SqliteFile();
        await using (var m = MasterRuntime.StartSystem("w", file.Storage(), "akka.loglevel = WARNING"))
            await m.Master.Transactor.Ask<TxAccepted>(Tx("empty", "[]"), Timeout);
        file.Scalar("UPDATE journal SET message = x'0a0bff00ff'");

        await using var again = MasterRuntime.StartSystem("r", file.Storage(), "akka.loglevel = OFF");
        // the request waiting for the recovery is answered with the failure, not left to time out
        var failure = await Assert.ThrowsAsync<DatsyncStorageException>(
            () => again.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Timeout));
        Assert.Contains("datsync-master", failure.Message);
        var atStart = await Assert.ThrowsAsync<DatsyncStorageException>(() => again.Master.Recovered(Timeout));
        Assert.Contains("cannot be read", atStart.Message);
    }
}
