namespace Datsync.Actors.Protocol;

/// <summary>A message between the nodes of one Datsync cluster (Akka.Cluster): read from the wire only by a cluster
/// node's actor system (<c>datsync-wire.accept = cluster</c>), never by a server's or a client's.</summary>
internal interface IInCluster : IDatsyncMessage;

/// <summary>A node's transaction for the cluster's transactor (the singleton): a client's, taken by a session on the node
/// it reached, or the node's own connection's. The forms travel as EDN text, as a client's do; <paramref name="ClientId"/>
/// is the client on a scoped master (the transactor checks its write rules), null otherwise. Answered with
/// <see cref="TxAccepted"/> (without its datoms) or <see cref="TxRejected"/>; a request sent again is answered, not
/// committed twice.</summary>
internal sealed record ClusterTransact(string RequestId, string TxEdn, string? TxMeta, string? TraceParent, string? ClientId) : IInCluster;
