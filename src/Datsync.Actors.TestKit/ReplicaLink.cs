using Akka.Actor;

namespace Datsync.Actors.TestKit;

/// <summary>
/// The link between a replica a <see cref="DatsyncTestKit"/> started and its session at the master: every message
/// between them goes through it, with the replica's <see cref="Faults"/>. <see cref="Hold"/> keeps the deltas the
/// session sends from the replica (in order) until <see cref="Release"/> delivers them (in order), so a test sees the
/// replica before and after a transaction arrives. Get it with <see cref="DatsyncTestKit.Link"/>.
/// </summary>
public sealed class ReplicaLink
{
    private readonly TimeSpan _timeout;

    internal ReplicaLink(DatsyncReplica replica, IActorRef shim, TimeSpan timeout)
    {
        Replica = replica;
        Shim = shim;
        _timeout = timeout;
    }

    /// <summary>The replica at this end of the link.</summary>
    public DatsyncReplica Replica { get; }

    /// <summary>The fault shim actor the link is.</summary>
    internal IActorRef Shim { get; }

    /// <summary>From now on the deltas of the master's log the session sends are kept, in order, and not delivered
    /// (the replica's requests, the session's answers and heartbeats still pass). Every delta that reaches the
    /// link after this call returns is held, and so is a delayed or reordered one that comes due after it.</summary>
    public void Hold() => Shim.Tell(new FaultShim.Hold(FaultShim.IsDelta));

    /// <summary>Delivers the held deltas, in the order they came, and lets deltas pass again.</summary>
    public void Release() => Shim.Tell(new FaultShim.Hold(null));

    /// <summary>Completes once the link holds the delta of the master's transaction <paramref name="t"/> (or a later
    /// one), so the test knows the replica would have it but for the hold.</summary>
    /// <exception cref="TimeoutException">Not held within the TestKit's <see cref="DatsyncTestKit.ReplicationTimeout"/>
    /// (is the link holding? was t committed?).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task AwaitHeldAsync(long t, CancellationToken cancellationToken = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(_timeout);
        try
        {
            await Shim.Ask<FaultShim.HeldUpTo>(new FaultShim.AwaitHeld(t), cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the link of replica {Replica.ClientId} held no delta of t={t} within {_timeout}");
        }
    }

    /// <summary>From now on the link injects <paramref name="faults"/> (its random sequence goes on from the seed it
    /// started with); <see cref="Faults.None"/> lets a test end quickly equal to the master.</summary>
    public void SetFaults(Faults faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        Shim.Tell(new FaultShim.SetFaults(faults.Validated()));
    }

    /// <summary>What went through the link so far.</summary>
    internal Task<FaultShim.Stats> StatsAsync() => Shim.Ask<FaultShim.Stats>(FaultShim.GetStats.Instance, _timeout);
}
