using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

/// <summary>The Datsync TestKit with Akka.Persistence.TestKit's controllable in-memory journal and snapshot store.</summary>
public abstract class MasterTestKit(ITestOutputHelper output) : DatsyncTestKit(Config, output)
{
    private const string Config = """
        akka.loglevel = INFO
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test {
          class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """;

    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    protected ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    private protected static MasterSettings Settings(string id, int snapshotEvery = 0, int buffer = 1024, int recent = 10_000) =>
        new(id, snapshotEvery, buffer, recent);

    protected const string SchemaEdn = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    private protected static Transact Tx(string id, string edn) => new(id, (IReadOnlyList<object?>)EdnReader.Read(edn)!);

    private protected static Transact Item(string id, string key, long n) => Tx(id, $$"""[{:item/key "{{key}}" :item/n {{n}}}]""");

    protected Db DbOf(IActorRef transactor)
    {
        transactor.Tell(GetDb.Instance, TestActor);
        return ExpectMsg<CurrentDb>(Long).Db;
    }

    protected static List<(long, string, object)> Facts(Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => !EntityIds.IsTx(d.E)).Select(d => (d.E, db.Ident(d.A)!.ToString(), d.V)).ToList();
}
