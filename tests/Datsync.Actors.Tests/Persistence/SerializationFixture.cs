using Akka.Actor;
using Akka.Serialization;
using Datsync.Actors.Persistence;

namespace Datsync.Actors.Tests.Persistence;

/// <summary>A real actor system configured with <see cref="DatsyncConfig.Default"/>, shared by the serializer tests.</summary>
public sealed class SerializationFixture : IDisposable
{
    public ActorSystem System { get; } = ActorSystem.Create("datsync-serialization-tests", DatsyncConfig.Default);

    /// <summary>The serializer the system picks for a value, checked to be ours.</summary>
    internal DatsyncPersistenceSerializer SerializerFor(object value)
    {
        var serializer = System.Serialization.FindSerializerFor(value);
        return Assert.IsType<DatsyncPersistenceSerializer>(serializer);
    }

    /// <summary>Serializes through the system's registry and deserializes by identifier and manifest, as a journal would.</summary>
    public T RoundTrip<T>(T value) where T : notnull
    {
        var serializer = SerializerFor(value);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        var bytes = serializer.ToBinary(value);
        return Assert.IsType<T>(System.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
    }

    public byte[] ToBinary(object value) => SerializerFor(value).ToBinary(value);

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
}

[CollectionDefinition(Name)]
public sealed class SerializationCollection : ICollectionFixture<SerializationFixture>
{
    public const string Name = "serialization";
}
