using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;

namespace Datsync.Actors.Remote;

/// <summary>
/// Bounds on the numbers a peer sends that size memory (<c>datsync.wire</c>): parts of one message, bytes of one
/// message put back together, chunks and bytes of a bootstrap. Nothing is allocated by a peer's number before it is
/// checked here.
/// </summary>
/// <param name="MaxParts">Parts one message may come in (<c>datsync.wire.max-parts</c>).</param>
/// <param name="MaxMessageBytes">Bytes of one message put back together from parts, and of all the parts an
/// assembler holds at once (<c>datsync.wire.max-message-bytes</c>).</param>
/// <param name="MaxBootstrapChunks">Chunks a bootstrap may announce (<c>datsync.wire.max-bootstrap-chunks</c>).</param>
/// <param name="MaxBootstrapBytes">Bytes of a bootstrap's encoded value (<c>datsync.wire.max-bootstrap-bytes</c>; at
/// most <see cref="Array.MaxLength"/>, the value is decoded from one array).</param>
internal sealed record WireBounds(int MaxParts, long MaxMessageBytes, int MaxBootstrapChunks, long MaxBootstrapBytes)
{
    /// <summary>Characters of a W3C traceparent a peer may put on a message (<c>00-{32 hex}-{16 hex}-{2 hex}</c>): a longer
    /// one, or one that does not parse, is ignored (<see cref="Observability.DatsyncTelemetry"/>), never an error.</summary>
    internal const int MaxTraceParent = 55;

    /// <summary>The defaults of <c>reference.conf</c>.</summary>
    public static WireBounds Default { get; } = From(DatsyncConfig.Default);

    private static readonly ConditionalWeakTable<ActorSystem, WireBounds> PerSystem = new();

    /// <summary>The bounds of an actor system's configuration (read once per system).</summary>
    public static WireBounds Of(ActorSystem system) =>
        PerSystem.GetValue(system, s => From(s.Settings.Config));

    /// <summary>Reads <c>datsync.wire</c> (defaults for what is not set).</summary>
    public static WireBounds From(Config config)
    {
        var c = config.GetConfig("datsync.wire") ?? Config.Empty;
        var b = new WireBounds(
            c.GetInt("max-parts", 1024),
            c.GetByteSize("max-message-bytes", 64L * 1024 * 1024) ?? 64L * 1024 * 1024,
            c.GetInt("max-bootstrap-chunks", 65_536),
            c.GetByteSize("max-bootstrap-bytes", Array.MaxLength) ?? Array.MaxLength);
        if (b.MaxParts < 1 || b.MaxMessageBytes < 1 || b.MaxBootstrapChunks < 1 || b.MaxBootstrapBytes < 1)
            throw new ConfigurationException($"datsync.wire bounds must be positive: {b}");
        return b with
        {
            MaxMessageBytes = Math.Min(b.MaxMessageBytes, Array.MaxLength),
            MaxBootstrapBytes = Math.Min(b.MaxBootstrapBytes, Array.MaxLength),
        };
    }

    /// <summary>True when a message in <paramref name="count"/> parts may be put back together.</summary>
    public bool AllowsParts(int count) => count >= 1 && count <= MaxParts;

    /// <summary>True when a bootstrap of <paramref name="count"/> chunks may be received.</summary>
    public bool AllowsChunkCount(int count) => count >= 0 && count <= MaxBootstrapChunks;

    /// <summary>True when a bootstrap of <paramref name="bytes"/> bytes may be put together.</summary>
    public bool AllowsBootstrapBytes(long bytes) => bytes >= 0 && bytes <= MaxBootstrapBytes;

    /// <summary>Throws unless a bootstrap of <paramref name="count"/> chunks may be received (call it before
    /// allocating a slot per chunk).</summary>
    /// <exception cref="InvalidDataException">The count is negative or over <see cref="MaxBootstrapChunks"/>.</exception>
    public void CheckChunkCount(int count)
    {
        if (!AllowsChunkCount(count))
            throw new InvalidDataException($"a bootstrap of {count} chunks is over datsync.wire.max-bootstrap-chunks ({MaxBootstrapChunks})");
    }

    /// <summary>Throws unless chunks of <paramref name="bytes"/> bytes in all may be put together (call it before
    /// allocating the whole).</summary>
    /// <exception cref="InvalidDataException">Over <see cref="MaxBootstrapBytes"/>.</exception>
    public void CheckBootstrapBytes(long bytes)
    {
        if (!AllowsBootstrapBytes(bytes))
            throw new InvalidDataException($"a bootstrap of {bytes} bytes is over datsync.wire.max-bootstrap-bytes ({MaxBootstrapBytes})");
    }

    /// <summary>The total of <paramref name="chunks"/>' lengths, checked against <see cref="MaxBootstrapBytes"/>.</summary>
    /// <exception cref="InvalidDataException">Over the bound.</exception>
    public long CheckedTotal(IReadOnlyList<byte[]> chunks)
    {
        long total = 0;
        foreach (var c in chunks)
        {
            total += c.Length;
            if (total > MaxBootstrapBytes) CheckBootstrapBytes(total);
        }
        return total;
    }
}
