using Datsync.Core;

namespace Datsync.Actors.Persistence;

/// <summary>A whole database value, as the durable master saves it as an Akka.Persistence snapshot, with the request
/// ids of the latest commits (so a request sent again after a restart is answered, not committed twice).</summary>
/// <param name="Db">The database value.</param>
/// <param name="Requests">The latest committed requests, oldest first; empty in snapshots written before they were kept.</param>
/// <param name="DatabaseId">The database's id (<see cref="Protocol.DatabaseIds"/>); null in snapshots written before
/// databases had ids.</param>
/// <param name="Mutations">The transactor's <see cref="MutationLedger"/>, as its entries in ordinal key order; null or
/// empty in snapshots written before it was kept (and in bootstrap images).</param>
/// <param name="Rejections">The latest rejected mutations the transactor remembers, oldest first; null or empty in
/// snapshots written before they were kept.</param>
internal sealed record DbSnapshot(Db Db, IReadOnlyList<RecentRequest> Requests, string? DatabaseId = null,
    IReadOnlyList<KeyValuePair<string, MutationEntry>>? Mutations = null, IReadOnlyList<MutationRejected>? Rejections = null)
{
    public DbSnapshot(Db db) : this(db, []) { }
}

/// <summary>A committed request: its id, the t it was committed as, and how its tempids resolved.</summary>
internal sealed record RecentRequest(string RequestId, long T, IReadOnlyDictionary<object, long> Tempids);
