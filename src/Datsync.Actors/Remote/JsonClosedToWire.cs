using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Datsync.Actors.Remote;

/// <summary>
/// Akka's <c>json</c> serializer (identifier 1) for the actor systems Datsync creates: it writes like Akka's
/// <see cref="NewtonSoftJsonSerializer"/> (to which it hands every object), but reads nothing. A peer chooses the
/// serializer of a message by its identifier, and Newtonsoft with type names would build whatever type a manifest
/// names; Datsync sends nothing as JSON (protocol messages go with <see cref="DatsyncWireSerializer"/>, journal events and
/// snapshots with the persistence serializer), so no JSON is read from anywhere.
/// </summary>
internal sealed class JsonClosedToWire : Serializer
{
    private readonly NewtonSoftJsonSerializer _json;

    public JsonClosedToWire(ExtendedActorSystem system) : this(system, null)
    {
    }

    public JsonClosedToWire(ExtendedActorSystem system, Config? config) : base(system)
    {
        _json = config is null || config.IsEmpty ? new NewtonSoftJsonSerializer(system) : new NewtonSoftJsonSerializer(system, config);
    }

    /// <summary>Akka's identifier of the <c>json</c> serializer.</summary>
    public override int Identifier => 1;

    public override bool IncludeManifest => _json.IncludeManifest;

    public override byte[] ToBinary(object obj) => _json.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new SerializationException(
            $"JSON is not read in a Datsync actor system (serializer 1, manifest '{type?.FullName ?? "none"}'): refused");
}
