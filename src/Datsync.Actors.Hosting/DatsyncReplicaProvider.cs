using Akka.Actor;
using Datsync.Actors.Replica;
using Microsoft.Extensions.DependencyInjection;

namespace Datsync.Actors.Hosting;

/// <summary>
/// Gives application code the replicas <c>WithDatsyncReplica</c> started (registered as a singleton by
/// <see cref="DatsyncServiceCollectionExtensions.AddDatsync"/>). The ActorSystem is looked up lazily, so resolving
/// the provider does not start it.
/// </summary>
public sealed class DatsyncReplicaProvider(IServiceProvider services)
{
    private DatsyncReplicas Registry => DatsyncReplicas.For(services.GetRequiredService<ActorSystem>());

    /// <summary>The first replica started, once it is started (it may still be bootstrapping: see
    /// <see cref="GetReadyAsync(CancellationToken)"/>).</summary>
    public Task<DatsyncReplica> GetAsync(CancellationToken cancel = default) => Registry.GetAsync(null, cancel);

    /// <summary>The replica with <paramref name="clientId"/>, once it is started.</summary>
    public Task<DatsyncReplica> GetAsync(string clientId, CancellationToken cancel = default) => Registry.GetAsync(clientId, cancel);

    /// <summary>The first replica, once it is bootstrapped and connected (it takes transactions from then on).</summary>
    public async Task<DatsyncReplica> GetReadyAsync(CancellationToken cancel = default)
    {
        var replica = await GetAsync(cancel).ConfigureAwait(false);
        await replica.Ready.WaitAsync(cancel).ConfigureAwait(false);
        return replica;
    }

    /// <summary>The replica with <paramref name="clientId"/>, once it is bootstrapped and connected.</summary>
    public async Task<DatsyncReplica> GetReadyAsync(string clientId, CancellationToken cancel = default)
    {
        var replica = await GetAsync(clientId, cancel).ConfigureAwait(false);
        await replica.Ready.WaitAsync(cancel).ConfigureAwait(false);
        return replica;
    }

    /// <summary>The first replica.</summary>
    /// <exception cref="InvalidOperationException">It is not started (yet), or its start failed.</exception>
    public DatsyncReplica Replica
    {
        get
        {
            var task = GetAsync();
            return task.IsCompletedSuccessfully
                ? task.Result
                : throw new InvalidOperationException("no Datsync replica is started (yet) in this ActorSystem; await GetAsync()",
                    task.Exception?.InnerException);
        }
    }
}
