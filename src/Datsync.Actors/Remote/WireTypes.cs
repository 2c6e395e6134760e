using System.Numerics;
using Akka.Configuration;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Remote;

/// <summary>Which direction of the protocol an actor system reads from the wire
/// (<c>akka.actor.serialization-settings.datsync-wire.accept</c>).</summary>
internal enum WireAccept
{
    /// <summary>What servers send clients (<see cref="IToReplica"/>, deltas): a client's system.</summary>
    ToReplica,

    /// <summary>What clients send servers (<see cref="IToServer"/>): a server's system.</summary>
    ToServer,

    /// <summary>Both directions (a system that is a server and a client of another server).</summary>
    Both,

    /// <summary>Both directions and what the nodes of one cluster send each other (<see cref="IInCluster"/>): a cluster
    /// node's system, which only the cluster's nodes reach.</summary>
    Cluster,
}

/// <summary>
/// The types the wire deserializer admits, per direction: the concrete protocol messages (found by reflection over the
/// direction's marker interface), the serializer's own surrogates, and the values those messages hold. Nothing else
/// is read from the wire, whatever type names a peer writes.
/// </summary>
internal static class WireTypes
{
    /// <summary>Reads <c>accept</c> (<c>to-replica</c>, <c>to-server</c> or <c>both</c>) of the serializer's settings.</summary>
    /// <exception cref="ConfigurationException">Any other value.</exception>
    public static WireAccept ParseAccept(Config? settings)
    {
        var value = settings?.GetString("accept", "to-replica") ?? "to-replica";
        return value.Trim().ToLowerInvariant() switch
        {
            "to-replica" => WireAccept.ToReplica,
            "to-server" => WireAccept.ToServer,
            "both" => WireAccept.Both,
            "cluster" => WireAccept.Cluster,
            _ => throw new ConfigurationException(
                $"akka.actor.serialization-settings.datsync-wire.accept is to-replica, to-server, both or cluster, got '{value}'"),
        };
    }

    /// <summary>The concrete protocol messages of a direction.</summary>
    public static IReadOnlyList<Type> Messages(WireAccept accept)
    {
        var set = new HashSet<Type>();
        if (accept is WireAccept.ToServer or WireAccept.Both or WireAccept.Cluster)
        {
            set.UnionWith(Implementing(typeof(IToServer)));
        }
        if (accept is WireAccept.Cluster) set.UnionWith(Implementing(typeof(IInCluster)));
        if (accept is WireAccept.ToReplica or WireAccept.Both or WireAccept.Cluster)
        {
            set.UnionWith(Implementing(typeof(IToReplica)));
            set.Add(typeof(TxDelta));
        }
        return set.OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every type the deserializer of a direction admits: its messages, the surrogates and the values.</summary>
    public static IReadOnlyCollection<Type> Admitted(WireAccept accept)
    {
        var set = new HashSet<Type>(Messages(accept));
        set.UnionWith(ScalarValues);
        if (accept is WireAccept.ToReplica or WireAccept.Both or WireAccept.Cluster)
        {
            set.UnionWith(DatsyncWireSerializer.SurrogateTypes);
            set.UnionWith(ReplicaValues);
        }
        // a message the serializer writes as its surrogate is read as the surrogate
        set.ExceptWith(DatsyncWireSerializer.SurrogatedTypes);
        return set;
    }

    private static IEnumerable<Type> Implementing(Type marker) =>
        TypesOf(marker.Assembly).Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && marker.IsAssignableFrom(t));

    private static IEnumerable<Type> TypesOf(System.Reflection.Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }

    // the values any message holds: what Hyperion writes by type name for the fields of the protocol's records
    private static readonly Type[] ScalarValues =
    [
        typeof(string), typeof(long), typeof(int), typeof(bool), typeof(byte[]), typeof(long?),
    ];

    // what deltas, outcomes and their datoms hold: datom values (typeValue of a datom: string, long, int, double,
    // float, bool, decimal, BigInteger (surrogate), DateTime, Guid, Uri (surrogate), byte[], Keyword and Symbol
    // (surrogates)), the collections the surrogates write, and tempid keys (strings, longs)
    private static readonly Type[] ReplicaValues =
    [
        typeof(double), typeof(float), typeof(decimal), typeof(DateTime), typeof(Guid),
        typeof(DeltaDatom), typeof(DeltaDatom[]), typeof(TxDelta[]), typeof(Datom[]),
        typeof(Dictionary<object, long>), typeof(System.Collections.DictionaryEntry), typeof(object[]),
    ];
}
