using Datsync.Actors.Remote;
using System.Globalization;
using System.Text;
using Akka.Configuration;
using Datsync.Actors.Replica;

namespace Datsync.Actors;

/// <summary>
/// A replica as plain properties that bind from an <c>IConfiguration</c> section such as <c>Datsync:Replica</c>. The
/// replica settings become HOCON (<see cref="ToHocon"/>) layered over the ActorSystem's configuration for this replica
/// only, so replicas with different settings can share an ActorSystem; unset properties keep the HOCON beneath.
/// </summary>
public sealed class DatsyncReplicaOptions
{
    /// <summary>The conventional configuration section, <c>Datsync:Replica</c>.</summary>
    public const string SectionName = "Datsync:Replica";

    /// <summary>Default of <see cref="ServerSystemName"/>: the ActorSystem name a master is hosted under.</summary>
    public const string DefaultServerSystemName = "datsync";

    /// <summary>Default of <see cref="ServerActorName"/> (and of <see cref="DatsyncMasterOptions.ServerName"/>).</summary>
    internal const string DefaultServerActorName = "datsync-server";

    /// <summary>The replica's client id at the master (required, unique per master).</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The master's server as <c>host:port</c> (its Akka.Remote endpoint); for a master on a cluster, any number of its
    /// gateways, comma-separated (<c>gw1:4053,gw2:4053</c>): the replica connects to one and, when it goes quiet, to the
    /// next. Empty: the master runs in the same ActorSystem.
    /// </summary>
    public string? Server { get; set; }

    /// <summary>Credential presented to a remote server. Not used for an in-process master.</summary>
    public string? Token { get; set; }

    /// <summary>TLS towards a remote server (<c>Datsync:Replica:Tls</c>): the CA that signed the server's certificate
    /// and, for a server that requires one, the client's certificate and where its password comes from. Null or with
    /// no file set: no TLS. Not used for an in-process master.</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>Name of the master's ActorSystem (part of the remote address).</summary>
    public string ServerSystemName { get; set; } = DefaultServerSystemName;

    /// <summary>Name of the master's server actor (<c>/user/{ServerActorName}</c>).</summary>
    internal string ServerActorName { get; set; } = DefaultServerActorName;

    /// <summary>Unanswered requests are sent again after this (<c>datsync.replica.retry-interval</c>).</summary>
    public TimeSpan? RetryInterval { get; set; }

    /// <summary>Applied deltas acknowledged every this many (<c>datsync.replica.ack-every</c>).</summary>
    public int? AckEvery { get; set; }

    /// <summary>Silence from the session after which the replica connects again (<c>datsync.replica.connection-timeout</c>).</summary>
    public TimeSpan? ConnectionTimeout { get; set; }

    /// <summary>A directory for the replica's local store (<c>datsync.replica.store</c>): the synced value and the
    /// deltas applied since, in <c>replica.db</c>. The replica starts from it before any network call (reads work at
    /// once, offline; <see cref="DatsyncNode.ConnectReplicaAsync"/> returns without waiting for the master) and resumes
    /// from its t once the master answers — or is bootstrapped again when the master's log no longer reaches that t, or
    /// it is another master. A store belongs to one client id. Null: the replica lives in memory only.</summary>
    public string? Store { get; set; }

    /// <summary>Name of the replica actor; null: <c>replica-{ClientId}</c>.</summary>
    internal string? ActorName { get; set; }

    /// <summary>Any further HOCON for this replica; it wins over the properties above.</summary>
    public string? Hocon { get; set; }

    /// <summary>True when <see cref="Server"/> is empty: the master is in the same ActorSystem.</summary>
    internal bool IsInProcess => string.IsNullOrWhiteSpace(Server);

    /// <summary>The HOCON of the replica properties that are set (only those), with <see cref="Hocon"/> not included.</summary>
    internal string ToHocon()
    {
        var hocon = new StringBuilder();
        HoconWriter.Set(hocon, "datsync.replica.retry-interval", RetryInterval);
        HoconWriter.Set(hocon, "datsync.replica.ack-every", AckEvery);
        HoconWriter.Set(hocon, "datsync.replica.connection-timeout", ConnectionTimeout);
        HoconWriter.Set(hocon, "datsync.replica.store", Store);
        return hocon.ToString();
    }

    /// <summary><see cref="Hocon"/> over <see cref="ToHocon"/>, parsed, with nothing behind it.</summary>
    internal Config ToConfig() =>
        ConfigurationFactory.ParseString(Hocon ?? "").WithFallback(ConfigurationFactory.ParseString(ToHocon()));

    /// <summary>This replica's settings: these options over <paramref name="systemConfig"/> over the library defaults.</summary>
    internal ReplicaSettings ToReplicaSettings(Config systemConfig) => ReplicaSettings.From(ToConfig().WithFallback(systemConfig));

    /// <summary>The client id, checked.</summary>
    /// <exception cref="InvalidOperationException">No client id is set.</exception>
    internal string RequireClientId() =>
        string.IsNullOrWhiteSpace(ClientId)
            ? throw new InvalidOperationException("DatsyncReplicaOptions.ClientId is required (e.g. Datsync:Replica:ClientId).")
            : ClientId;

    /// <summary>
    /// The actor path of the server: <c>/user/{ServerActorName}</c> in process, otherwise
    /// <c>akka.tcp://{ServerSystemName}@{host}:{port}/user/{ServerActorName}</c> (<c>akka.ssl.tcp</c> with
    /// <see cref="Tls"/>).
    /// </summary>
    /// <exception cref="FormatException"><see cref="Server"/> is not <c>host:port</c>.</exception>
    internal string ServerPath()
    {
        if (IsInProcess) return "/user/" + ServerActorName;
        return DatsyncRemote.ServerPath(DatsyncRemote.ParseServers(Server!)[0], ServerSystemName, ServerActorName, Tls is { IsEnabled: true });
    }
}
