using Akka.Configuration;

namespace Datsync.Actors.Storage;

/// <summary>
/// For unit tests only: Akka's in-memory journal and snapshot store. Everything is lost when the ActorSystem stops,
/// and there is no read journal (Akka.Persistence.Query.InMemory is not referenced).
/// </summary>
internal sealed record InMemoryStorage : StorageOptions
{
    /// <summary><c>datsync.storage.kind</c> for this storage.</summary>
    public const string KindName = "memory";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string ToHocon() => """
        akka.persistence {
          journal.plugin = "akka.persistence.journal.inmem"
          snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        }

        """;

    /// <summary>Akka.Persistence's own reference configuration defines both in-memory plugins.</summary>
    protected override Config? PluginDefaults => null;
}
