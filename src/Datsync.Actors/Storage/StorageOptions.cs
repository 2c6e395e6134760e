using Akka.Configuration;

namespace Datsync.Actors.Storage;

/// <summary>
/// Where the durable master keeps its journal and snapshots. Typed options produce HOCON; HOCON stays the single
/// source of truth: <see cref="ToHocon"/> is the exact text the ActorSystem runs with, and anything a deployment file
/// sets explicitly under <c>datsync.persistence</c> wins over it (see <see cref="BuildSystemConfig"/>).
/// </summary>
/// <remarks>
/// Pick a kind in code (<c>new SqliteStorage("./data")</c>) or by configuration alone
/// (<c>datsync.storage.kind = sqlite | postgres | memory</c>, read by <see cref="FromConfig"/>).
/// The HOCON defines Datsync's own journal, snapshot store and read journal at <see cref="JournalPluginId"/>,
/// <see cref="SnapshotStorePluginId"/> and <see cref="ReadJournalPluginId"/>, which only the master uses: it never
/// sets <c>akka.persistence.journal.plugin</c> or <c>akka.persistence.snapshot-store.plugin</c>, so the application's
/// own persistent actors in the same ActorSystem keep the default journal the application (or Akka) configures.
/// </remarks>
internal abstract record StorageOptions
{
    /// <summary>The HOCON section <see cref="FromConfig"/> reads.</summary>
    public const string ConfigPath = "datsync.storage";

    /// <summary>The HOCON section holding Datsync's persistence plugins.</summary>
    public const string PluginsPath = "datsync.persistence";

    /// <summary>Plugin id (and HOCON path) of the master's journal: the transactor writes its transactions there and
    /// the log listener reads them back.</summary>
    public const string JournalPluginId = PluginsPath + ".journal";

    /// <summary>Plugin id (and HOCON path) of the master's snapshot store.</summary>
    public const string SnapshotStorePluginId = PluginsPath + ".snapshot-store";

    /// <summary>Plugin id (and HOCON path) of the read journal over the master's journal (Akka.Persistence.Query;
    /// SQL storage only).</summary>
    public const string ReadJournalPluginId = PluginsPath + ".query";

    /// <summary>The value of <c>datsync.storage.kind</c> that selects these options.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// The <c>datsync.persistence</c> HOCON these options stand for. Pure: it touches neither disk nor network.
    /// </summary>
    public abstract string ToHocon();

    /// <summary>
    /// Gets the storage ready before the ActorSystem starts (for SQLite: the data directory, the database file and
    /// WAL mode). Idempotent. <see cref="ToConfig"/> calls it.
    /// </summary>
    public virtual void Prepare() { }

    /// <summary>
    /// Prepares the storage, then returns <see cref="ToHocon"/> parsed. The plugins need no other file: each names its
    /// class, and the SQL plugins fall back to Akka.Persistence.Sql's defaults for what it leaves out.
    /// </summary>
    public virtual Config ToConfig()
    {
        Prepare();
        return ConfigurationFactory.ParseString(ToHocon());
    }

    /// <summary>The <c>class</c> value of a plugin type: its full name and assembly, without version.</summary>
    internal static string PluginClass(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    /// <summary>
    /// The whole ActorSystem configuration for an application config: the storage it selects
    /// (<see cref="FromConfig"/>), prepared, with <paramref name="appConfig"/> layered on top so that explicit
    /// <c>datsync.persistence...</c> settings in deployment files still win (and the application's own
    /// <c>akka.persistence</c> settings stay its own).
    /// </summary>
    public static Config BuildSystemConfig(Config appConfig)
    {
        ArgumentNullException.ThrowIfNull(appConfig);
        return appConfig.WithFallback(FromConfig(appConfig).ToConfig());
    }

    /// <summary>
    /// Reads <c>datsync.storage</c>. Missing keys take the defaults of <c>hocon/datsync.conf</c>: SQLite in
    /// <c>./data/datsync.db</c>.
    /// </summary>
    /// <exception cref="ConfigurationException">Unknown kind, or PostgreSQL without a connection string.</exception>
    public static StorageOptions FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = new Section(config, ConfigPath);
        var kind = s.String("kind", "sqlite").Trim().ToLowerInvariant();
        switch (kind)
        {
            case SqliteStorage.KindName:
            {
                var defaults = new SqliteStorage(SqliteStorage.DefaultDataDirectory);
                return new SqliteStorage(
                    s.String("data-directory", SqliteStorage.DefaultDataDirectory),
                    s.String("sqlite.file-name", SqliteStorage.DefaultFileName))
                {
                    Pooling = s.Bool("sqlite.pooling", defaults.Pooling),
                    BusyTimeout = s.Duration("sqlite.busy-timeout", defaults.BusyTimeout),
                    Tuning = SqlTuning.Read(s, SqlTuning.Sqlite),
                };
            }
            case PostgresStorage.KindName:
            {
                var connectionString = s.String("postgres.connection-string", "");
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new ConfigurationException(
                        $"{ConfigPath}.postgres.connection-string is required when {ConfigPath}.kind = postgres " +
                        "(e.g. \"Host=127.0.0.1;Port=5432;Database=datsync;Username=datsync;Password=...\").");
                return new PostgresStorage(connectionString, s.String("postgres.schema", PostgresStorage.DefaultSchema))
                {
                    Tuning = SqlTuning.Read(s, SqlTuning.Postgres),
                };
            }
            case InMemoryStorage.KindName:
                return new InMemoryStorage();
            default:
                throw new ConfigurationException(
                    $"{ConfigPath}.kind must be one of sqlite, postgres, memory; got '{kind}'.");
        }
    }

    /// <summary>A HOCON string literal: quoted, with backslashes and quotes escaped.</summary>
    internal static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A HOCON duration in milliseconds (<c>250ms</c>).</summary>
    internal static string Duration(TimeSpan value) => $"{(long)value.TotalMilliseconds}ms";

    /// <summary>Typed reads under one HOCON path, with defaults for missing keys.</summary>
    internal readonly struct Section(Config config, string root)
    {
        private string Path(string key) => root + "." + key;

        public bool Has(string key) => config.HasPath(Path(key));

        public string String(string key, string fallback) => Has(key) ? config.GetString(Path(key)) ?? fallback : fallback;

        public int Int(string key, int fallback) => Has(key) ? config.GetInt(Path(key)) : fallback;

        public bool Bool(string key, bool fallback) => Has(key) ? config.GetBoolean(Path(key)) : fallback;

        public TimeSpan Duration(string key, TimeSpan fallback) =>
            Has(key) ? config.GetTimeSpan(Path(key), fallback, allowInfinite: false) : fallback;
    }
}
