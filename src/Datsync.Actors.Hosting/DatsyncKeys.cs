namespace Datsync.Actors.Hosting;

/// <summary>ActorRegistry key of the master's transactor (send it <c>Transact</c>, <c>GetDb</c>).</summary>
public sealed class DatsyncMasterKey;

/// <summary>ActorRegistry key of the master's log listener.</summary>
public sealed class DatsyncListenerKey;

/// <summary>ActorRegistry key of the server replicas connect to.</summary>
public sealed class DatsyncServerKey;

/// <summary>ActorRegistry key of the first replica started by <c>WithDatsyncReplica</c> (its actor; for the handle
/// use <see cref="DatsyncReplicaProvider"/>).</summary>
public sealed class DatsyncReplicaKey;
