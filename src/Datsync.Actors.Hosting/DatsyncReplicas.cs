using System.Collections.Concurrent;
using Akka.Actor;
using Datsync.Actors.Replica;

namespace Datsync.Actors.Hosting;

/// <summary>
/// The replicas <c>WithDatsyncReplica</c> started in one ActorSystem, by client id (an ActorSystem extension, so it
/// lives and dies with the system). Lookups wait for a replica that is still starting and fault when its start failed.
/// </summary>
public sealed class DatsyncReplicas : IExtension
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<DatsyncReplica>> _byClientId = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<DatsyncReplica> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The registry of <paramref name="system"/>.</summary>
    public static DatsyncReplicas For(ActorSystem system) =>
        system.WithExtension<DatsyncReplicas, DatsyncReplicasExtension>();

    /// <summary>The replica with <paramref name="clientId"/>, once started; null <paramref name="clientId"/>: the first
    /// replica started in this system.</summary>
    public Task<DatsyncReplica> GetAsync(string? clientId = null, CancellationToken cancel = default) =>
        (clientId is null ? _first : Slot(clientId)).Task.WaitAsync(cancel);

    /// <summary>The replicas started so far.</summary>
    public IReadOnlyList<DatsyncReplica> Started =>
        _byClientId.Values.Where(s => s.Task.IsCompletedSuccessfully).Select(s => s.Task.Result).ToList();

    internal void Add(DatsyncReplica replica)
    {
        if (!Slot(replica.ClientId).TrySetResult(replica))
            throw new InvalidOperationException($"a Datsync replica with client id '{replica.ClientId}' was already started in this ActorSystem");
        _first.TrySetResult(replica);
    }

    internal void Failed(string clientId, Exception error)
    {
        Slot(clientId).TrySetException(error);
        _first.TrySetException(error);
    }

    private TaskCompletionSource<DatsyncReplica> Slot(string clientId) =>
        _byClientId.GetOrAdd(clientId, _ => new TaskCompletionSource<DatsyncReplica>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Extension id of <see cref="DatsyncReplicas"/>.</summary>
public sealed class DatsyncReplicasExtension : ExtensionIdProvider<DatsyncReplicas>
{
    public override DatsyncReplicas CreateExtension(ExtendedActorSystem system) => new();
}
