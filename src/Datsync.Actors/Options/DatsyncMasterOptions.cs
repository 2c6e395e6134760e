using System.Globalization;
using System.Text;
using Akka.Configuration;
using Datsync.Actors.Master;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;

namespace Datsync.Actors;

/// <summary>
/// Where the master keeps its journal (<c>datsync.storage</c>), as plain properties that bind from an
/// <c>IConfiguration</c> section such as <c>Datsync:Master:Storage</c>. Unset properties leave the HOCON (and then the
/// library's defaults: SQLite in <c>./data/datsync.db</c>) in charge.
/// </summary>
public sealed class DatsyncStorageOptions
{
    /// <summary><c>sqlite</c>, <c>postgres</c> or <c>memory</c> (<c>datsync.storage.kind</c>).</summary>
    public string? Kind { get; set; }

    /// <summary>Directory of the SQLite file (<c>datsync.storage.data-directory</c>).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Name of the SQLite file (<c>datsync.storage.sqlite.file-name</c>).</summary>
    public string? SqliteFileName { get; set; }

    /// <summary>Npgsql connection string (<c>datsync.storage.postgres.connection-string</c>).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>PostgreSQL schema of the journal tables (<c>datsync.storage.postgres.schema</c>).</summary>
    public string? PostgresSchema { get; set; }

    internal void AppendHocon(StringBuilder hocon)
    {
        HoconWriter.Set(hocon, "datsync.storage.kind", Kind?.Trim().ToLowerInvariant());
        HoconWriter.Set(hocon, "datsync.storage.data-directory", DataDirectory);
        HoconWriter.Set(hocon, "datsync.storage.sqlite.file-name", SqliteFileName);
        HoconWriter.Set(hocon, "datsync.storage.postgres.connection-string", PostgresConnectionString);
        HoconWriter.Set(hocon, "datsync.storage.postgres.schema", PostgresSchema);
    }
}

/// <summary>
/// A master (transactor, log listener and the server replicas connect to) as plain properties that bind from an
/// <c>IConfiguration</c> section such as <c>Datsync:Master</c>. The options only produce HOCON (<see cref="ToHocon"/>):
/// HOCON stays the single source of truth, and every property left null keeps the value of the HOCON beneath it (the
/// library's <c>reference.conf</c> in the end).
/// </summary>
public sealed class DatsyncMasterOptions
{
    /// <summary>The conventional configuration section, <c>Datsync:Master</c>.</summary>
    public const string SectionName = "Datsync:Master";

    /// <summary>Storage of the journal and snapshots (<c>datsync.storage</c>).</summary>
    public DatsyncStorageOptions Storage { get; set; } = new();

    /// <summary>Journal id of the transactor (<c>datsync.master.persistence-id</c>).</summary>
    public string? PersistenceId { get; set; }

    /// <summary>A snapshot every this many transactions, 0: never (<c>datsync.master.snapshot-every</c>).</summary>
    public int? SnapshotEvery { get; set; }

    /// <summary>Request ids of recent commits remembered (<c>datsync.master.remember-requests</c>).</summary>
    public int? RememberRequests { get; set; }

    /// <summary>Deltas a subscriber may leave unacknowledged (<c>datsync.listener.buffer-size</c>).</summary>
    public int? ListenerBufferSize { get; set; }

    /// <summary>Recent deltas kept in memory by the listener (<c>datsync.listener.recent-in-memory</c>).</summary>
    public int? ListenerRecentInMemory { get; set; }

    /// <summary>Bytes of encoded database per bootstrap chunk (<c>datsync.session.chunk-size</c>).</summary>
    public int? SessionChunkSize { get; set; }

    /// <summary>Bootstrap chunks sent ahead of acknowledgement (<c>datsync.session.bootstrap-window</c>).</summary>
    public int? BootstrapWindow { get; set; }

    /// <summary>How old (in transactions) a reused bootstrap image may be (<c>datsync.session.bootstrap-reuse-within</c>).</summary>
    public int? BootstrapReuseWithin { get; set; }

    /// <summary>Session heartbeat interval (<c>datsync.session.heartbeat-interval</c>).</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>Outcomes of recent requests kept per session (<c>datsync.session.outcome-cache</c>).</summary>
    public int? OutcomeCache { get; set; }

    /// <summary>In-process replicas adopt the master's values (<c>datsync.session.share-master-values</c>).</summary>
    public bool? ShareMasterValues { get; set; }

    /// <summary>
    /// Clients allowed to connect, client id = the hash of its token as <c>datsync token new</c> / <c>token hash</c>
    /// print it (<c>pbkdf2-sha256$...</c>; <c>datsync.server.clients</c>), e.g. bound from
    /// <c>Datsync:Master:Clients:replica-1</c>. Empty: the HOCON beneath decides (by default any client, no token).
    /// Entries with an empty value are left out. A plain token fails the server's start.
    /// </summary>
    public Dictionary<string, string?> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What each client may read and write (<c>datsync.server.scopes</c>); no rules: no scopes.</summary>
    public DatsyncScopesOptions Scopes { get; set; } = new();

    /// <summary>Any further HOCON; it wins over the properties above (e.g. SQL tuning under <c>datsync.storage</c>).</summary>
    public string? Hocon { get; set; }

    /// <summary>TLS of the server's remote transport (<c>Datsync:Master:Tls</c>): its certificate, where the
    /// certificate's password comes from, and the client CA that makes client certificates required. Null or with no
    /// file set: no TLS. Not HOCON: the certificate is a setup of the actor system, and no password is ever in HOCON.</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>The master's name: the name of its actor system, by which replicas in this process find it and remote
    /// ones address it (<see cref="DatsyncReplicaOptions.ServerSystemName"/>). Default <c>datsync</c>.</summary>
    public string Name { get; set; } = DatsyncReplicaOptions.DefaultServerSystemName;

    /// <summary><c>host:port</c> the master listens on for replicas in other processes (Akka.Remote; port 0: any free
    /// port, see <see cref="DatsyncMaster.ListeningAt"/>), e.g. <c>0.0.0.0:4053</c>. Null: replicas in this process
    /// only.</summary>
    public string? Listen { get; set; }

    /// <summary>A master on Akka.Cluster (<see cref="DatsyncClusterOptions"/>): this process is one node of it. Null: the
    /// whole master runs in this process.</summary>
    public DatsyncClusterOptions? Cluster { get; set; }

    /// <summary>Name of the transactor actor (its listener is <c>{MasterName}-log</c>).</summary>
    internal string MasterName { get; set; } = "datsync-master";

    /// <summary>Name of the server actor replicas connect to (remote replicas address <c>/user/{ServerName}</c>).</summary>
    internal string ServerName { get; set; } = DatsyncReplicaOptions.DefaultServerActorName;

    /// <summary>The HOCON of the properties that are set (only those), with <see cref="Hocon"/> not included.</summary>
    internal string ToHocon()
    {
        var hocon = new StringBuilder();
        (Storage ?? new DatsyncStorageOptions()).AppendHocon(hocon);
        HoconWriter.Set(hocon, "datsync.master.persistence-id", PersistenceId);
        HoconWriter.Set(hocon, "datsync.master.snapshot-every", SnapshotEvery);
        HoconWriter.Set(hocon, "datsync.master.remember-requests", RememberRequests);
        HoconWriter.Set(hocon, "datsync.listener.buffer-size", ListenerBufferSize);
        HoconWriter.Set(hocon, "datsync.listener.recent-in-memory", ListenerRecentInMemory);
        HoconWriter.Set(hocon, "datsync.session.chunk-size", SessionChunkSize);
        HoconWriter.Set(hocon, "datsync.session.bootstrap-window", BootstrapWindow);
        HoconWriter.Set(hocon, "datsync.session.bootstrap-reuse-within", BootstrapReuseWithin);
        HoconWriter.Set(hocon, "datsync.session.heartbeat-interval", HeartbeatInterval);
        HoconWriter.Set(hocon, "datsync.session.outcome-cache", OutcomeCache);
        HoconWriter.Set(hocon, "datsync.session.share-master-values", ShareMasterValues);
        foreach (var (clientId, hash) in (Clients ?? []).Where(c => !string.IsNullOrWhiteSpace(c.Value)).OrderBy(c => c.Key, StringComparer.Ordinal))
            HoconWriter.Set(hocon, ClientAccess.ConfigPath + "." + StorageOptions.Quote(clientId), hash);
        (Scopes ?? new DatsyncScopesOptions()).AppendHocon(hocon);
        Cluster?.AppendHocon(hocon);
        return hocon.ToString();
    }

    /// <summary><see cref="Hocon"/> over <see cref="ToHocon"/>, parsed; no storage plugin and no defaults behind it.
    /// Pure: touches neither disk nor network.</summary>
    internal Config ToConfig() =>
        ConfigurationFactory.ParseString(Hocon ?? "").WithFallback(ConfigurationFactory.ParseString(ToHocon()));

    /// <summary>The storage these options select over <paramref name="beneath"/> (e.g. an application's HOCON):
    /// <see cref="StorageOptions.FromConfig"/> of the combined configuration. Pure.</summary>
    /// <exception cref="ConfigurationException">Unknown kind, or PostgreSQL without a connection string.</exception>
    internal StorageOptions SelectStorage(Config? beneath = null) =>
        StorageOptions.FromConfig(beneath is null ? ToConfig() : ToConfig().WithFallback(beneath));

    /// <summary>
    /// The whole ActorSystem configuration of a master: these options over <paramref name="beneath"/>, then the
    /// selected storage's plugin HOCON (the storage is prepared: for SQLite the directory and file are created), then
    /// the library's defaults.
    /// </summary>
    internal Config BuildSystemConfig(Config? beneath = null)
    {
        var top = beneath is null ? ToConfig() : ToConfig().WithFallback(beneath);
        return top.WithFallback(Remote.WireSecurity.ForServer(ServerName)).WithFallback(SelectStorage(beneath).ToConfig())
            .WithFallback(DatsyncConfig.Default);
    }

    /// <summary>The master's settings these options give over <paramref name="systemConfig"/>.</summary>
    internal MasterSettings ToMasterSettings(Config systemConfig) => MasterSettings.From(ToConfig().WithFallback(systemConfig));

    /// <summary>The session settings these options give over <paramref name="systemConfig"/>.</summary>
    internal SessionSettings ToSessionSettings(Config systemConfig) => SessionSettings.From(ToConfig().WithFallback(systemConfig));
}

/// <summary>Writes HOCON assignments for the options that are set.</summary>
internal static class HoconWriter
{
    public static void Set(StringBuilder hocon, string path, string? value)
    {
        if (value is not null) hocon.Append(path).Append(" = ").AppendLine(StorageOptions.Quote(value));
    }

    public static void Set(StringBuilder hocon, string path, int? value)
    {
        if (value is { } v) hocon.Append(path).Append(" = ").AppendLine(v.ToString(CultureInfo.InvariantCulture));
    }

    public static void SetList(StringBuilder hocon, string path, IEnumerable<string> values) =>
        hocon.Append(path).Append(" = [").Append(string.Join(", ", values.Select(StorageOptions.Quote))).AppendLine("]");

    public static void Set(StringBuilder hocon, string path, bool? value)
    {
        if (value is { } v) hocon.Append(path).Append(" = ").AppendLine(v ? "on" : "off");
    }

    public static void Set(StringBuilder hocon, string path, TimeSpan? value)
    {
        if (value is not { } v) return;
        if (v <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(path, v, "a duration must be positive");
        hocon.Append(path).Append(" = ").AppendLine(StorageOptions.Duration(v));
    }
}
