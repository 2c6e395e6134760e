using System.CommandLine;
using Datsync.Actors;
using Datsync.Actors.Remote;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync certs DIR [--host NAME ...]</c>: a development CA, a server and a client certificate signed by
/// it (<see cref="DevCertificates"/>), the password of both in <c>DIR/password</c>, and the lines that use them.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Directory to write ca.crt, server.pfx, client.pfx and password into (created when missing)" };
        var hosts = new Option<string[]>("--host")
        {
            Description = "A name or address the server is reached by, besides localhost, 127.0.0.1 and ::1 (repeatable)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var force = new Option<bool>("--force") { Description = "Overwrite files that exist already" };
        var cmd = new Command("certs",
            "Make a development CA (ca.crt), a server certificate (server.pfx) and a client certificate (client.pfx) signed by it, " +
            "their password in DIR/password (mode 0600), and print the serve and replica lines that use them");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(hosts);
        cmd.Options.Add(force);
        cmd.SetAction((parse, _) => CliSupport.Guarded("certs", parse.GetValue(CliSupport.Verbose), () =>
        {
            var names = parse.GetValue(hosts) ?? [];
            DevCertificateFiles files;
            try { files = DevCertificates.Write(parse.GetValue(dir)!, names, parse.GetValue(force)); }
            catch (IOException e) { throw new CliException(e.Message + (e.Message.Contains("exists already") ? " (--force overwrites)" : "")); }
            catch (UnauthorizedAccessException e) { throw new CliException(e.Message); }
            var host = names.FirstOrDefault() ?? "127.0.0.1";
            var hostPort = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{CliSupport.DefaultPort}" : $"{host}:{CliSupport.DefaultPort}";
            var o = Console.Out;
            o.WriteLine($"wrote {files.CaCertificate} (the CA), {files.ServerPfx} (names: {string.Join(", ", files.ServerNames)}), " +
                        $"{files.ClientPfx} and {files.PasswordFile} (the password of both .pfx files)");
            o.WriteLine("serve (clients must show a certificate of this CA; leave out --tls-client-ca to ask for none):");
            o.WriteLine($"  datsync serve --host {host} --tls-cert {Q(files.ServerPfx)} --tls-password-file {Q(files.PasswordFile)} --tls-client-ca {Q(files.CaCertificate)}");
            o.WriteLine("replica and transact:");
            o.WriteLine($"  datsync replica --server {hostPort} --tls-ca {Q(files.CaCertificate)} --tls-cert {Q(files.ClientPfx)} --tls-password-file {Q(files.PasswordFile)}");
            o.WriteLine($"  datsync transact --server {hostPort} --tls-ca {Q(files.CaCertificate)} --tls-cert {Q(files.ClientPfx)} --tls-password-file {Q(files.PasswordFile)} FILE.edn");
            o.WriteLine("Copy ca.crt, client.pfx and password to each client machine; keep server.pfx on the server. The CA's key is not kept: " +
                        "for more certificates, make a new set.");
            return Task.FromResult(0);
        }));
        return cmd;
    }

    private static string Q(string path) => path.Contains(' ') ? $"\"{path}\"" : path;
}
