using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Datsync.Actors.Hosting;

/// <summary>Health checks of the master and the replica <c>services.AddDatsync(...)</c> starts.</summary>
public static class DatsyncHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check for each of what <c>services.AddDatsync(...)</c> starts (call that too, before or after this), both
    /// tagged <c>datsync</c>, each with <c>t</c>, <c>masterT</c>, <c>lag</c> and <c>state</c> in its data:
    /// <list type="bullet">
    /// <item><c>datsync-master</c>: Healthy when the master recovered its journal and its last journal write succeeded;
    /// Unhealthy, with the storage's error as the description, when the journal cannot be read or the last write failed
    /// (until a write succeeds), and when the master is not started or stopped.</item>
    /// <item><c>datsync-replica</c>: Healthy when connected and at most <paramref name="maxLag"/> transactions behind the
    /// master's t as last heard; Degraded when connected but further behind, or still connecting or bootstrapping;
    /// Unhealthy when disconnected (the session went silent; it connects again) or refused by the server (with the
    /// reason), and when it is not started.</item>
    /// </list>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLag"/> is negative.</exception>
    public static IHealthChecksBuilder AddDatsync(this IHealthChecksBuilder builder, long maxLag = 100)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLag);
        // which checks depends on what AddDatsync registered, which may come after this call
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureOptions<HealthCheckServiceOptions>(o =>
        {
            var registration = sp.GetService<DatsyncRegistration>()
                ?? throw new InvalidOperationException("the Datsync health checks need services.AddDatsync(...)");
            if (registration.HasMaster)
                o.Registrations.Add(new HealthCheckRegistration(DatsyncMasterHealthCheck.Name,
                    s => new DatsyncMasterHealthCheck(s.GetRequiredService<DatsyncHostedService>()), null, Tags));
            if (registration.HasReplica)
                o.Registrations.Add(new HealthCheckRegistration(DatsyncReplicaHealthCheck.Name,
                    s => new DatsyncReplicaHealthCheck(s.GetRequiredService<DatsyncHostedService>(), maxLag), null, Tags));
        }));
        return builder;
    }

    private static readonly string[] Tags = ["datsync"];

    internal static IReadOnlyDictionary<string, object> Data(ConnectionStatus status) => new Dictionary<string, object>
    {
        ["t"] = status.BasisT,
        ["masterT"] = status.MasterT,
        ["lag"] = status.Lag,
        ["state"] = status.Connection.ToString(),
    };
}

/// <summary>The <c>datsync-master</c> check (see <see cref="DatsyncHealthChecksBuilderExtensions.AddDatsync"/>).</summary>
internal sealed class DatsyncMasterHealthCheck(DatsyncHostedService hosted) : IHealthCheck
{
    public const string Name = "datsync-master";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Check(hosted.StartedMaster));

    internal static HealthCheckResult Check(DatsyncMaster? master)
    {
        if (master is null) return HealthCheckResult.Unhealthy("the Datsync master is not started");
        var status = master.Status;
        var data = DatsyncHealthChecksBuilderExtensions.Data(status);
        var health = master.Handle.Health;
        if (health.RecoveryFailure is { } recovery) return HealthCheckResult.Unhealthy(recovery.Message, recovery, data);
        if (health.LastWriteFailure is { } write) return HealthCheckResult.Unhealthy(write.Message, write, data);
        return status.Connection switch
        {
            ConnectionState.Connected => HealthCheckResult.Healthy($"the master {master.Name} is at t={status.BasisT}", data),
            ConnectionState.Connecting => HealthCheckResult.Degraded($"the master {master.Name} is recovering its journal", data: data),
            _ => HealthCheckResult.Unhealthy($"the master {master.Name} is stopped", data: data),
        };
    }
}

/// <summary>The <c>datsync-replica</c> check (see <see cref="DatsyncHealthChecksBuilderExtensions.AddDatsync"/>).</summary>
internal sealed class DatsyncReplicaHealthCheck(DatsyncHostedService hosted, long maxLag) : IHealthCheck
{
    public const string Name = "datsync-replica";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Check(hosted.StartedReplica, maxLag));

    internal static HealthCheckResult Check(DatsyncReplica? replica, long maxLag)
    {
        if (replica is null) return HealthCheckResult.Unhealthy("the Datsync replica is not started");
        var status = replica.Status;
        var data = DatsyncHealthChecksBuilderExtensions.Data(status);
        var who = $"replica {replica.ClientId}";
        return status.Connection switch
        {
            ConnectionState.Connected when status.Lag <= maxLag =>
                HealthCheckResult.Healthy($"{who} is connected at t={status.BasisT} (the master at t={status.MasterT})", data),
            ConnectionState.Connected => HealthCheckResult.Degraded(
                $"{who} is {status.Lag} transactions behind the master (more than {maxLag}): at t={status.BasisT}, the master at t={status.MasterT}",
                data: data),
            ConnectionState.Bootstrapping => HealthCheckResult.Degraded($"{who} is bootstrapping from the master", data: data),
            ConnectionState.Connecting => HealthCheckResult.Degraded(
                status.Bootstrapped ? $"{who} is connecting to the master again from t={status.BasisT}" : $"{who} is connecting to the master",
                data: data),
            ConnectionState.Refused => HealthCheckResult.Unhealthy(replica.Refusal?.Message ?? $"the server refused {who}", replica.Refusal, data),
            _ => HealthCheckResult.Unhealthy($"{who} lost its session with the master (it went silent); connecting again from t={status.BasisT}",
                data: data),
        };
    }
}
