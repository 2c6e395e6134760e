using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Persistence;
using Datsync.Actors.Remote;

namespace Datsync.Actors;

/// <summary>The defaults of Datsync.Actors (its <c>reference.conf</c>), including the persistence serializer binding.</summary>
internal static class DatsyncConfig
{
    /// <summary>Name of the embedded resource holding the defaults.</summary>
    public const string ResourceName = "Datsync.Actors.reference.conf";

    /// <summary>
    /// The defaults; put them behind an application's own configuration with
    /// <c>config.WithFallback(DatsyncConfig.Default)</c>.
    /// </summary>
    public static Config Default { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(DatsyncConfig).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from {typeof(DatsyncConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>
    /// Makes a running actor system, made with or without these defaults, fit for a master: the defaults go behind
    /// its own configuration (<c>InjectTopLevelFallback</c>), and since an actor system reads its serializer bindings
    /// once, at start, the bindings of reference.conf it lacks are added to its serialization: the journal's events and
    /// snapshots always take the Datsync persistence serializer (the only format the master reads back), the protocol's
    /// messages the wire serializer unless the system binds them to a serializer of its own. Idempotent.
    /// </summary>
    public static void Install(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!system.Settings.Config.HasPath("datsync.master.persistence-id")) system.Settings.InjectTopLevelFallback(Default);
        var serialization = system.Serialization;
        var extended = (ExtendedActorSystem)system;
        lock (serialization)
        {
            Akka.Serialization.Serializer? persistence = null;
            foreach (var type in new[] { typeof(TxRecord), typeof(DbSnapshot), typeof(MutationRejected) })
            {
                if (serialization.FindSerializerForType(type) is DatsyncPersistenceSerializer) continue;
                persistence ??= new DatsyncPersistenceSerializer(extended);
                serialization.AddSerializer("datsync-persistence", persistence);
                serialization.AddSerializationMap(type, persistence);
            }
            Akka.Serialization.Serializer? wire = null;
            foreach (var type in WireTypes())
            {
                var current = serialization.FindSerializerForType(type);
                if (current is DatsyncWireSerializer || !IsDefault(current)) continue;
                wire ??= new DatsyncWireSerializer(extended, system.Settings.Config.GetConfig("akka.actor.serialization-settings.datsync-wire"));
                serialization.AddSerializer("datsync-wire", wire);
                serialization.AddSerializationMap(type, wire);
            }
        }
    }

    private static bool IsDefault(Akka.Serialization.Serializer s) => s is Akka.Serialization.NewtonSoftJsonSerializer;

    /// <summary>The types the wire serializer is bound to (through the marker interface in reference.conf), one by one:
    /// a map added at run time holds for the type itself.</summary>
    private static IEnumerable<Type> WireTypes() =>
        typeof(Protocol.IDatsyncMessage).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsGenericTypeDefinition && typeof(Protocol.IDatsyncMessage).IsAssignableFrom(t))
            .Append(typeof(Core.TxDelta));
}
