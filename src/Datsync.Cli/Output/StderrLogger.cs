using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Datsync.Cli.Output;

/// <summary>Akka's log, written to standard error: standard output holds only the command's EDN forms.</summary>
internal sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>HOCON for an ActorSystem started by the CLI: warnings and errors to standard error, nothing to
    /// standard output (<c>stdout-loglevel</c> covers the start and the end of the system, before and after its
    /// loggers run).</summary>
    public const string Hocon = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.loggers = ["Datsync.Cli.Output.StderrLogger, datsync"]
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """;

    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }
}
