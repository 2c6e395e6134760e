using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Datsync.Core;
using Hyperion;

namespace Datsync.Actors.Remote;

/// <summary>
/// Hyperion (Akka.Serialization.Hyperion) for the protocol's messages on the wire, with the settings of
/// <c>akka.actor.serialization-settings.datsync-wire</c> (unsafe types refused) and surrogates that keep keywords
/// interned (a keyword is sent as its name and read back as the one keyword of that name in the receiving process) and
/// a delta to what it says (the master's value it carries in process stays behind).
/// </summary>
public sealed class DatsyncWireSerializer(ExtendedActorSystem system, Config config)
    : HyperionSerializer(system, WithSurrogates(HyperionSerializerSettings.Create(config ?? Config.Empty)))
{
    private static HyperionSerializerSettings WithSurrogates(HyperionSerializerSettings s) =>
        new(s.PreserveObjectReferences, s.VersionTolerance, s.KnownTypesProvider, s.PackageNameOverrides,
            s.Surrogates.Concat(Surrogates), s.DisallowUnsafeType, s.TypeFilter);

    private static readonly Surrogate[] Surrogates =
    [
        Surrogate.Create<Keyword, KeywordOnWire>(k => new KeywordOnWire(k.FullName), w => Keyword.Intern(w.FullName)),
        Surrogate.Create<Symbol, SymbolOnWire>(s => new SymbolOnWire(s.FullName), w => new Symbol(w.FullName)),
        // only what a delta says travels, never the master's in-process value or cached datoms
        Surrogate.Create<TxDelta, TxDeltaOnWire>(d => new TxDeltaOnWire(d.T, d.TxInstant, d.Datoms.ToArray(), d.RequestId, d.Tempids),
            w => new TxDelta(w.T, w.TxInstant, w.Datoms, w.RequestId, w.Tempids)),
    ];

    private sealed record TxDeltaOnWire(long T, DateTime TxInstant, DeltaDatom[] Datoms, string? RequestId,
        IReadOnlyDictionary<object, long>? Tempids);

    private sealed record KeywordOnWire(string FullName);

    private sealed record SymbolOnWire(string FullName);
}
