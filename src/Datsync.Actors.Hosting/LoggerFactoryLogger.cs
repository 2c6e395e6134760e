using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Datsync.Actors.Hosting;

/// <summary>The host's <see cref="ILoggerFactory"/>, handed to an actor system in its setup for
/// <see cref="LoggerFactoryLogger"/>.</summary>
internal sealed class LoggerFactorySetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;

    /// <summary>The HOCON that makes <see cref="LoggerFactoryLogger"/> the actor system's only logger.</summary>
    public static Config LoggersConfig { get; } = ConfigurationFactory.ParseString(
        $"akka.loggers = [\"{typeof(LoggerFactoryLogger).FullName}, {typeof(LoggerFactoryLogger).Assembly.GetName().Name}\"]");
}

/// <summary>An Akka logger (<c>akka.loggers</c>) that writes every log event to the <see cref="ILoggerFactory"/> of
/// the actor system's <see cref="LoggerFactorySetup"/>, under the category of the class that logged it.</summary>
internal sealed class LoggerFactoryLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public LoggerFactoryLogger()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        ILoggerFactory? factory = setup.HasValue ? setup.Value.Factory : null;
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (factory is null) return;
            try
            {
                var logger = factory.CreateLogger(e.LogClass?.FullName ?? e.LogSource ?? "Akka");
                var level = Level(e.LogLevel());
                if (!logger.IsEnabled(level)) return;
                logger.Log(level, default, (e.LogSource, Message: e.Message?.ToString() ?? ""), e.Cause,
                    static (s, _) => $"[{s.LogSource}] {s.Message}");
            }
            catch (ObjectDisposedException)
            {
                factory = null; // the host disposed its logging before this actor system ended: the rest is not logged
            }
        });
    }

    private static LogLevel Level(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
