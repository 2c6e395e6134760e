using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors;
using Datsync.Actors.Server;

namespace Datsync.Cli.Commands;

/// <summary>
/// <c>datsync serve</c> reads its <c>--config</c> files again on SIGHUP and gives the server the client list they hold
/// now (<see cref="ReplaceClients"/>): a client removed, or given another token hash, loses its session at once. A file
/// that cannot be read, is not valid HOCON or holds a plain token leaves the old list in force; either way one line on
/// standard error says what happened. On a master started with scopes it then gives the server the scopes and roles
/// of the files (<see cref="ReplaceScopes"/>): each scoped client whose view changes is bootstrapped again with its new
/// filtered value; scopes that do not parse or name no rules leave the old ones in force, in one more line.
/// </summary>
internal sealed class ClientsReload : IDisposable
{
    private readonly IActorRef _server;
    private readonly string[] _files;
    private readonly PosixSignalRegistration? _registration;
    private readonly object _gate = new();
    private Task _last = Task.CompletedTask;

    private readonly bool _scoped;

    private ClientsReload(IActorRef server, string[] files, bool scoped)
    {
        _server = server;
        _files = files;
        _scoped = scoped;
        try
        {
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP would end the process otherwise
                Request();
            });
        }
        catch (PlatformNotSupportedException) { _registration = null; } // no SIGHUP here (Windows)
    }

    /// <summary>From now until disposed, a SIGHUP reloads the client list of <paramref name="files"/> into <paramref name="server"/>.</summary>
    public static ClientsReload OnSighup(IActorRef server, string[]? files, bool scoped = false) => new(server, files ?? [], scoped);

    /// <summary>The client list of the loaded files, read as the server reads it (a plain token fails here, in one
    /// line, before anything starts).</summary>
    /// <exception cref="CliException">A plain token or a malformed hash.</exception>
    public static ClientAccess Read(Config files)
    {
        try { return ClientAccess.From(files); }
        catch (ConfigurationException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
    }

    /// <summary>A reload, after the one before it.</summary>
    public Task Request()
    {
        lock (_gate) return _last = _last.ContinueWith(_ => Reload(), TaskScheduler.Default).Unwrap();
    }

    private async Task Reload()
    {
        string line;
        try
        {
            var access = Read(CliSupport.LoadConfig(_files));
            var reply = await _server.Ask<object>(new ReplaceClients(access), TimeSpan.FromSeconds(30));
            line = reply switch
            {
                ClientsReplaced r => $"reloaded the client list ({Count(access)})" +
                                     (r.Ended.Count == 0 ? "; no session ended" : $"; ended the sessions of {string.Join(", ", r.Ended)}"),
                ClientsNotReplaced n => $"kept the old client list: {n.Reason}",
                _ => $"kept the old client list: unexpected answer {reply}",
            };
        }
        catch (Exception e)
        {
            line = $"kept the old client list: {(e is CliException ? e.Message : $"{e.Message} ({e.GetType().Name})").ReplaceLineEndings(" ")}";
        }
        Console.Error.WriteLine("datsync serve: " + line);
        if (_scoped)
        {
            // the scopes and roles of the files too (a server started without scopes takes none)
            try { line = ScopesReload.Line(await ScopesReload.ReplaceAsync(_server, CliSupport.LoadConfig(_files))); }
            catch (Exception e) when (e is ConfigurationException or InvalidOperationException or AskTimeoutException or CliException)
            {
                line = $"kept the old scopes: {e.Message.ReplaceLineEndings(" ")}";
            }
            Console.Error.WriteLine("datsync serve: " + line);
        }
        Console.Error.Flush();
    }

    private static string Count(ClientAccess access) =>
        access.IsOpen ? "open: any client" : access.ClientIds.Count == 1 ? "1 client" : $"{access.ClientIds.Count} clients";

    public void Dispose() => _registration?.Dispose();
}
