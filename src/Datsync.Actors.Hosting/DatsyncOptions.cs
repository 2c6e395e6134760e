namespace Datsync.Actors.Hosting;

/// <summary>
/// What <see cref="DatsyncServiceCollectionExtensions.AddDatsync(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{DatsyncOptions})"/>
/// starts with the host: a master, a replica, or both (the replica then usually of that master, in this process). Bound
/// from a configuration section such as <c>Datsync</c>, its <see cref="Master"/> from <c>Datsync:Master</c> and its
/// <see cref="Replica"/> from <c>Datsync:Replica</c>.
/// </summary>
public sealed class DatsyncOptions
{
    /// <summary>The master to start, or null for none.</summary>
    public DatsyncMasterOptions? Master { get; set; }

    /// <summary>The replica to start, or null for none.</summary>
    public DatsyncReplicaOptions? Replica { get; set; }
}
