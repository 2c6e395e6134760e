using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

/// <summary>The Datsync TestKit with Akka.Persistence.TestKit's controllable in-memory journal and snapshot store as
/// the master's own plugins (Datsync's plugin ids, over the TestKit's in-memory storage); the system's default journal
/// is left as Akka has it.</summary>
public abstract class MasterTestKit(ITestOutputHelper output) : DatsyncTestKit(Config, output)
{
    private static readonly string Config = $$"""
        akka.loglevel = INFO
        {{StorageOptions.JournalPluginId}} {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        {{StorageOptions.SnapshotStorePluginId}} {
          class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """;

    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    protected ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(StorageOptions.JournalPluginId));

    private protected static MasterSettings Settings(string id, int snapshotEvery = 0, int buffer = 1024, int recent = 10_000) =>
        new(id, snapshotEvery, buffer, recent);

    protected const string SchemaEdn = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>The latest snapshot of <paramref name="persistenceId"/> at a sequence number up to
    /// <paramref name="atMost"/> in the master's snapshot store, or null.</summary>
    private protected async Task<Akka.Persistence.SelectedSnapshot?> LatestSnapshot(string persistenceId, long atMost = long.MaxValue)
    {
        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(Datsync.Actors.Storage.StorageOptions.SnapshotStorePluginId);
        return (await store.Ask<Akka.Persistence.LoadSnapshotResult>(new Akka.Persistence.LoadSnapshot(persistenceId,
            new Akka.Persistence.SnapshotSelectionCriteria(atMost), long.MaxValue), TimeSpan.FromSeconds(5))).Snapshot;
    }

    /// <summary>Waits until a snapshot of <paramref name="persistenceId"/> at sequence number <paramref name="seqNr"/> or
    /// later is saved (snapshots are saved off the transactor).</summary>
    private protected Task AwaitSnapshot(string persistenceId, long seqNr) =>
        AwaitAssertAsync(async () => Assert.True((await LatestSnapshot(persistenceId))?.Metadata.SequenceNr >= seqNr,
            $"the snapshot at {seqNr} is saved"), Long, TimeSpan.FromMilliseconds(100));

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
