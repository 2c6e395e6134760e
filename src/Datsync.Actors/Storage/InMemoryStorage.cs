using Akka.Persistence.Journal;
using Akka.Persistence.Snapshot;

namespace Datsync.Actors.Storage;

/// <summary>
/// For unit tests only: Akka's in-memory journal and snapshot store, as Datsync's own plugins (an instance of each of
/// their own, apart from any in-memory journal the application uses). Everything is lost when the ActorSystem stops,
/// and there is no read journal (Akka.Persistence.Query.InMemory is not referenced).
/// </summary>
internal sealed record InMemoryStorage : StorageOptions
{
    /// <summary><c>datsync.storage.kind</c> for this storage.</summary>
    public const string KindName = "memory";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string ToHocon() => $$"""
        {{PluginsPath}} {
          journal {
            class = {{Quote(PluginClass(typeof(MemoryJournal)))}}
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
          snapshot-store {
            class = {{Quote(PluginClass(typeof(MemorySnapshotStore)))}}
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }

        """;
}
