using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
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
