using Akka.Actor;
using Akka.Persistence;
using Datsync.Actors.Storage;

namespace Datsync.Integration.Tests.Storage;

/// <summary>
/// A tiny persistent actor for the storage tests: persists strings, saves its list of strings as a snapshot on
/// demand, and reports its state, including how it recovered (from which snapshot, how many events replayed).
/// It writes to the plugins it is given: by default Datsync's own (those of the master), or, with null ids, the
/// ActorSystem's default journal and snapshot store, as an application's persistent actor does.
/// </summary>
public sealed class Journaled : ReceivePersistentActor
{
    public sealed record Add(string Value);

    /// <summary>Persists all values in one <c>PersistAll</c> (one atomic write, as the transactor's group commit).</summary>
    public sealed record AddAll(IReadOnlyList<string> Values);

    public sealed record TakeSnapshot;

    public sealed record GetState;

    public sealed record Persisted(long SequenceNr);

    public sealed record SnapshotSaved(long SequenceNr);

    public sealed record State(IReadOnlyList<string> Events, long LastSequenceNr, long? SnapshotSequenceNr, int ReplayedEvents);

    private readonly List<string> _events = [];
    private long? _snapshotSequenceNr;
    private int _replayed;
    private IActorRef? _snapshotRequester;

    public Journaled(string persistenceId, string? journalPluginId, string? snapshotPluginId)
    {
        PersistenceId = persistenceId;
        JournalPluginId = journalPluginId ?? "";   // empty: the system's default
        SnapshotPluginId = snapshotPluginId ?? "";

        Recover<SnapshotOffer>(offer =>
        {
            _events.Clear();
            _events.AddRange((string[])offer.Snapshot);
            _snapshotSequenceNr = offer.Metadata.SequenceNr;
        });
        Recover<string>(e =>
        {
            _events.Add(e);
            _replayed++;
        });

        Command<Add>(add => Persist(add.Value, e =>
        {
            _events.Add(e);
            Sender.Tell(new Persisted(LastSequenceNr));
        }));
        Command<AddAll>(all =>
        {
            PersistAll(all.Values, e => _events.Add(e));
            DeferAsync(all, _ => Sender.Tell(new Persisted(LastSequenceNr)));
        });
        Command<TakeSnapshot>(_ =>
        {
            _snapshotRequester = Sender;
            SaveSnapshot(_events.ToArray());
        });
        Command<SaveSnapshotSuccess>(s => _snapshotRequester?.Tell(new SnapshotSaved(s.Metadata.SequenceNr)));
        Command<SaveSnapshotFailure>(f => _snapshotRequester?.Tell(new Status.Failure(f.Cause)));
        Command<GetState>(_ => Sender.Tell(new State(_events.ToArray(), LastSequenceNr, _snapshotSequenceNr, _replayed)));
    }

    public override string PersistenceId { get; }

    /// <summary>On Datsync's journal and snapshot store.</summary>
    public static Props Props(string persistenceId) =>
        Props(persistenceId, StorageOptions.JournalPluginId, StorageOptions.SnapshotStorePluginId);

    /// <summary>On the given plugins (null: the system's default ones).</summary>
    public static Props Props(string persistenceId, string? journalPluginId, string? snapshotPluginId) =>
        Akka.Actor.Props.Create(() => new Journaled(persistenceId, journalPluginId, snapshotPluginId));

    /// <summary>An application's persistent actor: on the system's default journal and snapshot store.</summary>
    public static Props OnDefaultPlugins(string persistenceId) => Props(persistenceId, null, null);
}
