using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Datsync.Actors.Storage;

namespace Datsync.Integration.Tests.Storage;

/// <summary>One ActorSystem on a storage configuration; terminated on dispose.</summary>
public sealed class StorageNode : IAsyncDisposable
{
    /// <summary>Generous: the first start creates tables, and CI machines are slow.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING");

    private StorageNode(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    public static StorageNode Start(Config config) =>
        new(ActorSystem.Create("storage-" + Guid.NewGuid().ToString("N")[..8], config.WithFallback(Quiet)));

    public IActorRef Journaled(string persistenceId) => System.ActorOf(Storage.Journaled.Props(persistenceId));

    public Task<T> Ask<T>(IActorRef actor, object message) => actor.Ask<T>(message, Timeout);

    public Task<Journaled.State> StateOf(IActorRef actor) => Ask<Journaled.State>(actor, new Journaled.GetState());

    public SqlReadJournal ReadJournal() =>
        PersistenceQuery.Get(System).ReadJournalFor<SqlReadJournal>(StorageOptions.ReadJournalPluginId);

    public Task<IImmutableList<EventEnvelope>> CurrentEvents(string persistenceId) =>
        ReadJournal().CurrentEventsByPersistenceId(persistenceId, 0, long.MaxValue)
            .RunWith(Sink.Seq<EventEnvelope>(), System.Materializer());

    public async ValueTask DisposeAsync() => await System.Terminate().WaitAsync(Timeout);
}

/// <summary>The scenario every storage kind must pass.</summary>
public static class StorageScenario
{
    public static string NewPersistenceId() => "journaled-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Persists a and b, snapshots, persists c, stops the ActorSystem; a new ActorSystem on the same configuration
    /// must recover [a b c] from the snapshot (at 2) plus one replayed event, then keep writing (d at 4).
    /// </summary>
    public static async Task<Journaled.State> RestartRoundTripAsync(Config config, string persistenceId)
    {
        await using (var first = StorageNode.Start(config))
        {
            var actor = first.Journaled(persistenceId);
            Assert.Equal(1, (await first.Ask<Journaled.Persisted>(actor, new Journaled.Add("a"))).SequenceNr);
            Assert.Equal(2, (await first.Ask<Journaled.Persisted>(actor, new Journaled.Add("b"))).SequenceNr);
            Assert.Equal(2, (await first.Ask<Journaled.SnapshotSaved>(actor, new Journaled.TakeSnapshot())).SequenceNr);
            Assert.Equal(3, (await first.Ask<Journaled.Persisted>(actor, new Journaled.Add("c"))).SequenceNr);
            var before = await first.StateOf(actor);
            Assert.Equal(["a", "b", "c"], before.Events);
            Assert.Null(before.SnapshotSequenceNr); // fresh actor: nothing to recover
        }

        await using var second = StorageNode.Start(config);
        var again = second.Journaled(persistenceId);
        var recovered = await second.StateOf(again);
        Assert.Equal(["a", "b", "c"], recovered.Events);
        Assert.Equal(3, recovered.LastSequenceNr);
        Assert.Equal(2, recovered.SnapshotSequenceNr); // a and b came from the snapshot...
        Assert.Equal(1, recovered.ReplayedEvents);     // ...and only c from the journal
        Assert.Equal(4, (await second.Ask<Journaled.Persisted>(again, new Journaled.Add("d"))).SequenceNr);
        return recovered;
    }
}
