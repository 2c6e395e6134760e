using Datsync.Core;

namespace Datsync.Actors.Protocol;

/// <summary>Subscribes the sender to the master log: every <see cref="TxDelta"/> after <paramref name="AfterT"/>, in t
/// order, without gaps or duplicates. The subscriber acknowledges with <see cref="LogAck"/>. A
/// <paramref name="Batched"/> subscriber gets consecutive deltas that are ready together as one
/// <see cref="TxDeltaBatch"/>.</summary>
internal sealed record SubscribeLog(long AfterT, bool Batched = false);

/// <summary>Consecutive deltas in t order, as one message.</summary>
internal sealed record TxDeltaBatch(IReadOnlyList<TxDelta> Deltas) : IToReplica
{
    public long LastT => Deltas[^1].T;
}

/// <summary>What a message of the protocol becomes when it leaves the process: deltas lose the in-process master value
/// they carry (<see cref="TxDelta.MasterValue"/>).</summary>
internal static class WireForm
{
    public static object Of(object message) => message switch
    {
        TxDelta d => d.ForWire(),
        TxDeltaBatch b => new TxDeltaBatch(b.Deltas.Select(d => d.ForWire()).ToList()),
        TxRangeResult r => r with { Deltas = r.Deltas.Select(d => d.ForWire()).ToList() },
        _ => message,
    };
}

/// <summary>Ends the sender's subscription.</summary>
internal sealed record UnsubscribeLog
{
    public static readonly UnsubscribeLog Instance = new();
}

/// <summary>The subscriber has applied every delta up to <paramref name="T"/>.</summary>
internal sealed record LogAck(long T);

/// <summary>The subscriber fell too far behind and was dropped; subscribe again after the last t it applied.</summary>
internal sealed record ResumeFrom(long LastT);

/// <summary>Asks for the deltas of transactions fromT..toT (inclusive); replied with <see cref="TxRangeResult"/>.</summary>
internal sealed record TxRange(long FromT, long ToT);

internal sealed record TxRangeResult(long FromT, long ToT, IReadOnlyList<TxDelta> Deltas) : IToReplica;
