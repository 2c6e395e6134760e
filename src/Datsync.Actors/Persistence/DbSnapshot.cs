using Datsync.Core;

namespace Datsync.Actors.Persistence;

/// <summary>A whole database value, as the durable master saves it as an Akka.Persistence snapshot.</summary>
/// <param name="Db">The database value.</param>
public sealed record DbSnapshot(Db Db);
