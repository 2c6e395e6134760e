using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Datsync.Actors.Persistence;

/// <summary>
/// Akka serializer for the durable master's journal events (<see cref="TxRecord"/>, <see cref="MutationRejected"/>) and snapshots
/// (<see cref="DbSnapshot"/>), in the protobuf format of <c>Persistence/Protos/persistence_v1.proto</c>.
/// Bound in Datsync.Actors' reference.conf (<see cref="DatsyncConfig.Default"/>).
/// </summary>
internal sealed class DatsyncPersistenceSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer identifier stored next to every journal event and snapshot; never change it.</summary>
    public const int SerializerId = 4731;

    /// <summary>Manifest of a <see cref="TxRecord"/>.</summary>
    public const string TxRecordManifest = "TxRecord.v1";

    /// <summary>Manifest of a <see cref="MutationRejected"/>.</summary>
    public const string MutationRejectedManifest = "MutationRejected.v1";

    /// <summary>Manifest of a <see cref="DbSnapshot"/>.</summary>
    public const string DbSnapshotManifest = "DbSnapshot.v1";

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        TxRecord => TxRecordManifest,
        DbSnapshot => DbSnapshotManifest,
        MutationRejected => MutationRejectedManifest,
        _ => throw CannotSerialize(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        TxRecord r => PersistenceCodec.EncodeTxRecord(r),
        DbSnapshot s => PersistenceCodec.EncodeSnapshot(s),
        MutationRejected m => PersistenceCodec.EncodeMutationRejected(m),
        _ => throw CannotSerialize(obj),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return manifest switch
            {
                TxRecordManifest => PersistenceCodec.DecodeTxRecord(bytes),
                DbSnapshotManifest => PersistenceCodec.DecodeSnapshot(bytes),
                MutationRejectedManifest => PersistenceCodec.DecodeMutationRejected(bytes),
                _ => throw new SerializationException(
                    $"{nameof(DatsyncPersistenceSerializer)} does not know the manifest \"{manifest}\" (it reads \"{TxRecordManifest}\", \"{MutationRejectedManifest}\" and \"{DbSnapshotManifest}\")"),
            };
        }
        catch (Exception e) when (e is not SerializationException)
        {
            throw new SerializationException($"cannot deserialize a {manifest} payload of {bytes.Length} bytes: {e.Message}", e);
        }
    }

    private ArgumentException CannotSerialize(object? o) =>
        new($"{nameof(DatsyncPersistenceSerializer)} cannot serialize {(o is null ? "null" : $"objects of type {o.GetType().FullName}")}", nameof(o));
}
