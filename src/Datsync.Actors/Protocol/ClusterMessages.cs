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

/// <summary>A node's replacement of the cluster's scopes (<paramref name="Hocon"/>: <c>datsync.server.scopes</c> only),
/// for the cluster's transactor: it puts them in force for its next transaction, sends them to every node
/// (<see cref="ClusterScopes"/>) and answers <see cref="ClusterScopesReplaced"/> or <see cref="ClusterScopesRefused"/>. A
/// request sent again is answered again, with the version it was given.</summary>
internal sealed record ClusterReplaceScopes(string RequestId, string Hocon) : IInCluster;

/// <summary>The cluster's scopes as of <paramref name="Version"/> (a later replacement has a greater one): from the
/// transactor to every node, and from a node holding newer ones than the transactor's (after a failover) back to it.</summary>
internal sealed record ClusterScopes(long Version, string Hocon) : IInCluster;

/// <summary>The transactor put a node's replacement in force as <paramref name="Version"/>.</summary>
internal sealed record ClusterScopesReplaced(string RequestId, long Version, string Hocon) : IInCluster;

/// <summary>The transactor left the scopes as they were, and why.</summary>
internal sealed record ClusterScopesRefused(string RequestId, string Reason) : IInCluster;

/// <summary>A node's periodic word to the transactor: the version of the scopes it holds. The transactor answers
/// with its <see cref="ClusterScopes"/> when they are newer, and with <see cref="ClusterScopesWanted"/> when the
/// node's are.</summary>
internal sealed record ClusterScopesSync(long Version) : IInCluster;

/// <summary>The transactor asks a node for its scopes, newer than its own.</summary>
internal sealed record ClusterScopesWanted : IInCluster
{
    public static readonly ClusterScopesWanted Instance = new();
}
