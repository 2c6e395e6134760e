using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("datsync-hosting-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools(); // pooled connections keep the file open
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort */ }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>An ILoggerProvider that keeps every message and lets a test wait for one.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, string Message)> _messages = new();
    private readonly ConcurrentBag<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public IReadOnlyCollection<(string Category, string Message)> Messages => _messages;

    /// <summary>Completes with the first message (logged before or after the call) that contains <paramref name="text"/>.</summary>
    public Task<string> WaitFor(string text)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((m => m.Contains(text, StringComparison.Ordinal), found));
        foreach (var (_, m) in _messages)
            if (m.Contains(text, StringComparison.Ordinal)) found.TrySetResult(m);
        return found.Task;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private void Add(string category, string message)
    {
        _messages.Enqueue((category, message));
        foreach (var (match, found) in _waiters)
            if (match(message)) found.TrySetResult(message);
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => provider.Add(category, formatter(state, exception));
    }
}

/// <summary>Hosts as an application builds them: <c>AddDatsync</c> from the <c>Datsync</c> section of its
/// configuration, with the Datsync health checks.</summary>
public static class Hosts
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public const string PeopleSchema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>A name no other test's master has (the masters of one process are found by name).</summary>
    public static string UniqueName(string prefix = "m") => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public static IHost Build(IDictionary<string, string?> settings, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null,
        IConfigurationSource? source = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (source is not null) ((IConfigurationBuilder)builder.Configuration).Add(source);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Services.AddDatsync(builder.Configuration.GetSection("Datsync"));
        builder.Services.AddHealthChecks().AddDatsync();
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Makes every later write to the SQLite journal at <paramref name="file"/> fail (as a full disk would).</summary>
    public static void FailJournalWrites(string file) =>
        Sql(file, "CREATE TRIGGER datsync_test_no_writes BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;");

    /// <summary>Overwrites every event of the SQLite journal at <paramref name="file"/> with bytes no master can decode.</summary>
    public static void CorruptJournal(string file) => Assert.True(Sql(file, "UPDATE journal SET message = x'0a0bff00ff'") > 0);

    private static int Sql(string file, string sql)
    {
        using var c = new SqliteConnection($"Data Source={file};Pooling=False");
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }
}

/// <summary>A configuration source whose whole content a test replaces, firing the reload a file change would.</summary>
internal sealed class ReloadableSource(IDictionary<string, string?> initial) : IConfigurationSource
{
    private readonly Provider _provider = new(initial);

    public IReadOnlyDictionary<string, string?> Current => _provider.Snapshot;

    public void Replace(IDictionary<string, string?> data) => _provider.Replace(data);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

    private sealed class Provider : ConfigurationProvider
    {
        public Provider(IDictionary<string, string?> initial) => Data = new Dictionary<string, string?>(initial, StringComparer.OrdinalIgnoreCase);

        public IReadOnlyDictionary<string, string?> Snapshot => new Dictionary<string, string?>(Data, StringComparer.OrdinalIgnoreCase);

        public void Replace(IDictionary<string, string?> data)
        {
            Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
            OnReload();
        }
    }
}
