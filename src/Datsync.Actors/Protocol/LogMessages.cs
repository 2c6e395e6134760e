using Datsync.Core;

namespace Datsync.Actors.Protocol;

/// <summary>Subscribes the sender to the master log: every <see cref="TxDelta"/> after <paramref name="AfterT"/>, in t
/// order, without gaps or duplicates. The subscriber acknowledges with <see cref="LogAck"/>.</summary>
public sealed record SubscribeLog(long AfterT) : IDatsyncMessage;

/// <summary>Ends the sender's subscription.</summary>
public sealed record UnsubscribeLog : IDatsyncMessage
{
    public static readonly UnsubscribeLog Instance = new();
}

/// <summary>The subscriber has applied every delta up to <paramref name="T"/>.</summary>
public sealed record LogAck(long T) : IDatsyncMessage;

/// <summary>The subscriber fell too far behind and was dropped; subscribe again after the last t it applied.</summary>
public sealed record ResumeFrom(long LastT) : IDatsyncMessage;

/// <summary>Asks for the deltas of transactions fromT..toT (inclusive); replied with <see cref="TxRangeResult"/>.</summary>
public sealed record TxRange(long FromT, long ToT) : IDatsyncMessage;

public sealed record TxRangeResult(long FromT, long ToT, IReadOnlyList<TxDelta> Deltas) : IDatsyncMessage;
