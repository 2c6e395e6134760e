using System.Numerics;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Datsync.Actors.Protocol;
using Datsync.Core;
using Hyperion;
using Hyperion.Internal;

namespace Datsync.Actors.Remote;

/// <summary>
/// Hyperion (Akka.Serialization.Hyperion) for the protocol's messages on the wire, with the settings of
/// <c>akka.actor.serialization-settings.datsync-wire</c> and surrogates that keep keywords interned (a keyword is sent
/// as its name and read back through <see cref="Keyword.Intern(string)"/>), a delta to what it says (the master's
/// value it carries in process stays behind), and the collections of messages to one known shape.
/// <para>It reads only the types of the direction its system accepts (<c>accept = to-replica | to-server | both</c>,
/// <see cref="WireTypes"/>): any other type name a peer writes is refused with a <see cref="SerializationException"/>
/// that names it, before the type is loaded. Unsafe types are refused whatever the settings say.</para>
/// </summary>
internal sealed class DatsyncWireSerializer : Akka.Serialization.Serializer
{
    /// <summary>The serializer's identifier (in <c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 4732;

    private readonly WireAccept _accept;
    private readonly HashSet<Type> _messages;
    // Hyperion checks its type filter when it writes as well as when it reads: a system writes both directions (a
    // client sends what servers read) and reads one, so one Hyperion writes (unsafe types refused) and one reads
    private readonly HyperionSerializer _writer;
    private readonly HyperionSerializer _reader;

    public DatsyncWireSerializer(ExtendedActorSystem system, Config config) : base(system)
    {
        config ??= Config.Empty;
        _accept = WireTypes.ParseAccept(config);
        Filter = new WireTypeFilter(WireTypes.Admitted(_accept));
        _messages = [.. WireTypes.Messages(_accept)];
        _writer = new HyperionSerializer(system, WireSettings(config, null));
        _reader = new HyperionSerializer(system, WireSettings(config, Filter));
    }

    public override int Identifier => Id;

    public override bool IncludeManifest => false;

    /// <summary>The direction this serializer reads.</summary>
    public WireAccept Accept => _accept;

    /// <summary>The filter of the types this serializer reads.</summary>
    public WireTypeFilter Filter { get; }

    private static HyperionSerializerSettings WireSettings(Config config, ITypeFilter? filter)
    {
        var s = HyperionSerializerSettings.Create(config.IsEmpty ? ConfigurationFactory.ParseString("accept = to-replica") : config);
        // the type filter only applies with unsafe types refused: both are fixed here, whatever the settings say
        return new HyperionSerializerSettings(s.PreserveObjectReferences, s.VersionTolerance, s.KnownTypesProvider,
            s.PackageNameOverrides, s.Surrogates.Concat(Surrogates), disallowUnsafeType: true,
            typeFilter: filter ?? DisabledTypeFilter.Instance);
    }

    public override byte[] ToBinary(object obj) => _writer.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type)
    {
        object message;
        try
        {
            message = _reader.FromBinary(bytes, type);
        }
        catch (Exception e) when (Evil(e) is { } evil)
        {
            throw new SerializationException(
                $"datsync-wire (accept = {AcceptName(_accept)}) refuses type '{evil.BadTypeString}' from the wire", e);
        }
        // what a peer may send is a message of the accepted direction (values only inside one)
        if (!_messages.Contains(message.GetType()))
            throw new SerializationException(
                $"datsync-wire (accept = {AcceptName(_accept)}) refuses a '{message.GetType().FullName}' as a message from the wire");
        return message;
    }

    private static EvilDeserializationException? Evil(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException, depth++)
            if (e is EvilDeserializationException evil) return evil;
        return null;
    }

    internal static string AcceptName(WireAccept a) => a switch
    {
        WireAccept.ToServer => "to-server",
        WireAccept.Both => "both",
        WireAccept.Cluster => "cluster",
        _ => "to-replica",
    };

    private static readonly Surrogate[] Surrogates =
    [
        // keywords are read back through the one intern table of Datsync.Core
        Surrogate.Create<Keyword, KeywordOnWire>(k => new KeywordOnWire(k.FullName), w => Keyword.Intern(w.FullName)),
        Surrogate.Create<Symbol, SymbolOnWire>(s => new SymbolOnWire(s.FullName), w => new Symbol(w.FullName)),
        Surrogate.Create<Uri, UriOnWire>(u => new UriOnWire(u.OriginalString), w => new Uri(w.Text, UriKind.RelativeOrAbsolute)),
        Surrogate.Create<BigInteger, BigIntegerOnWire>(b => new BigIntegerOnWire(b.ToByteArray()), w => new BigInteger(w.Bytes)),
        Surrogate.Create<Datom, DatomOnWire>(d => new DatomOnWire(d.E, d.A, d.V, d.T, d.Added), w => Datom.Create(w.E, w.A, w.V, w.T, w.Added)),
        // only what a delta says travels, never the master's in-process value or cached datoms
        Surrogate.Create<TxDelta, TxDeltaOnWire>(d => new TxDeltaOnWire(d.T, d.TxInstant, [.. d.Datoms], d.RequestId, Tempids(d.Tempids), d.After),
            w => new TxDelta(w.T, w.TxInstant, w.Datoms, w.RequestId, w.Tempids) { After = w.After }),
        Surrogate.Create<TxDeltaBatch, TxDeltaBatchOnWire>(b => new TxDeltaBatchOnWire([.. b.Deltas]), w => new TxDeltaBatch(w.Deltas)),
        Surrogate.Create<TxRangeResult, TxRangeResultOnWire>(r => new TxRangeResultOnWire(r.FromT, r.ToT, [.. r.Deltas]),
            w => new TxRangeResult(w.FromT, w.ToT, w.Deltas)),
        Surrogate.Create<TxAccepted, TxAcceptedOnWire>(a => new TxAcceptedOnWire(a.RequestId, a.T, Tempids(a.Tempids)!, [.. a.TxData]),
            w => new TxAccepted(w.RequestId, w.T, w.Tempids, w.TxData)),
    ];

    // tempids go as a plain dictionary (keys: strings and longs), whatever dictionary the master made
    private static Dictionary<object, long>? Tempids(IReadOnlyDictionary<object, long>? tempids) =>
        tempids switch
        {
            null => null,
            Dictionary<object, long> d when d.Comparer == EqualityComparer<object>.Default => d,
            _ => new Dictionary<object, long>(tempids),
        };

    /// <summary>The surrogate types this serializer writes (and reads).</summary>
    internal static readonly Type[] SurrogateTypes =
    [
        typeof(KeywordOnWire), typeof(SymbolOnWire), typeof(UriOnWire), typeof(BigIntegerOnWire), typeof(DatomOnWire),
        typeof(TxDeltaOnWire), typeof(TxDeltaBatchOnWire), typeof(TxRangeResultOnWire), typeof(TxAcceptedOnWire),
    ];

    /// <summary>The types this serializer writes as a surrogate (never under their own name).</summary>
    internal static readonly Type[] SurrogatedTypes =
    [
        typeof(Keyword), typeof(Symbol), typeof(Uri), typeof(BigInteger), typeof(Datom), typeof(TxDelta), typeof(TxDeltaBatch),
        typeof(TxRangeResult), typeof(TxAccepted),
    ];

    private sealed record TxDeltaOnWire(long T, DateTime TxInstant, DeltaDatom[] Datoms, string? RequestId,
        Dictionary<object, long>? Tempids, long? After);

    private sealed record TxDeltaBatchOnWire(TxDelta[] Deltas);

    private sealed record TxRangeResultOnWire(long FromT, long ToT, TxDelta[] Deltas);

    private sealed record TxAcceptedOnWire(string RequestId, long T, Dictionary<object, long> Tempids, Datom[] TxData);

    private sealed record DatomOnWire(long E, int A, object V, long T, bool Added);

    private sealed record KeywordOnWire(string FullName);

    private sealed record SymbolOnWire(string FullName);

    private sealed record UriOnWire(string Text);

    private sealed record BigIntegerOnWire(byte[] Bytes);
}
