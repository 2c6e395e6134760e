using System.CommandLine;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Cli.Output;
using Datsync.Core;

namespace Datsync.Cli.Commands;

/// <summary><c>transact</c>, <c>dump</c> and <c>log</c> on a SQLite master file opened in this process.</summary>
internal static class DbCommands
{
    private static Option<string> DbOption() => new("--db") { Description = "Path of the master's SQLite file (created when missing)", Required = true };

    public static Command Transact()
    {
        var db = new Option<string?>("--db") { Description = "Path of the master's SQLite file (created when missing), or a directory holding datsync.db" };
        var server = new Option<string?>("--server") { Description = "HOST:PORT of a master started with `datsync serve` (instead of --db)" };
        var clientId = CliSupport.ClientIdOption("cli");
        var token = CliSupport.TokenOption();
        var timeout = CliSupport.TimeoutOption();
        var config = CliSupport.ConfigOption("with --server: the client's remote transport, e.g. hocon/client.conf");
        var tls = TlsFlags.Client();
        var file = new Argument<string?>("file") { Description = "EDN file with the tx data, or - for standard input", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("transact", "Transact EDN tx data against the master and print {:t T :tempids {...}} or {:error ...}");
        cmd.Options.Add(db);
        cmd.Options.Add(server);
        cmd.Options.Add(clientId);
        cmd.Options.Add(token);
        cmd.Options.Add(timeout);
        cmd.Options.Add(config);
        tls.AddTo(cmd);
        cmd.Arguments.Add(file);
        cmd.SetAction(async (parse, _) =>
        {
            var verbose = parse.GetValue(CliSupport.Verbose);
            var dbPath = parse.GetValue(db);
            var serverAt = parse.GetValue(server);
            if ((dbPath is null) == (serverAt is null)) return CliSupport.Error("transact", "give either --db PATH or --server HOST:PORT");
            var path = parse.GetValue(file);
            string text;
            try { text = await CliSupport.ReadText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail($"{TxErrors.InvalidTxData}: cannot read {path}: {e.Message}"); }
            catch (EdnReadException e) { return Fail($"{TxErrors.InvalidTxData}: {e.Message}"); }
            IReadOnlyList<object?> txData;
            try
            {
                txData = EdnReader.Read(text) as IReadOnlyList<object?> ?? throw new FormatException("tx data must be a vector of tx forms");
            }
            catch (FormatException e) { return Fail($"{TxErrors.InvalidTxData}: {e.Message}"); }
            if (serverAt is not null)
                return await CliSupport.Guarded("transact", verbose, () => RemoteTransact.Run(serverAt, CliSupport.LoadConfig(parse.GetValue(config)), text,
                    parse.GetValue(clientId) ?? CliSupport.DefaultClientId("cli"), parse.GetValue(token),
                    TimeSpan.FromSeconds(parse.GetValue(timeout)), verbose, tls.Read(parse)));
            return await CliSupport.Guarded("transact", verbose, async () =>
            {
                var (local, _) = await LocalMaster.Open(dbPath!, verbose);
                await using (local)
                {
                    var reply = await local.Master.Transactor.Ask(new Transact(Guid.NewGuid().ToString("n"), txData), LocalMaster.Timeout);
                    return Outcome(reply);
                }
            });
        });
        return cmd;
    }

    /// <summary>Prints a transactor's reply: {:t T :tempids {...}} (exit 0), or {:error "category: message"} on standard
    /// output and the same on one line of standard error (exit 1).</summary>
    internal static int Outcome(object reply, int rejectedExit = 1)
    {
        switch (reply)
        {
            case TxAccepted a:
                Console.WriteLine(TxOutcome.Accepted(a.T, a.Tempids));
                return 0;
            case TxRejected r:
                return Fail(r.Describe(), rejectedExit);
            default:
                return Fail($"unexpected reply {reply}");
        }
    }

    public static Command Dump()
    {
        var db = DbOption();
        var cmd = new Command("dump", "Print {:t T} and the master's current datoms as {:master [[e :attr v] ...]}");
        cmd.Options.Add(db);
        cmd.SetAction((parse, _) => CliSupport.Guarded("dump", parse.GetValue(CliSupport.Verbose), async () =>
        {
            var (local, current) = await LocalMaster.Open(parse.GetValue(db)!, parse.GetValue(CliSupport.Verbose));
            await using (local)
            {
                using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
                stdout.WriteLine(EdnPrinter.Print(EdnMap.Of(Keyword.Intern("t"), current.BasisT)));
                DatomListing.Write(stdout, "master", current);
                return 0;
            }
        }));
        return cmd;
    }

    public static Command Query()
    {
        var db = DbOption();
        var query = new Argument<string>("query") { Description = "The Datalog query as EDN, e.g. '[:find ?n :where [?e :person/name ?n]]'" };
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "The query's inputs after $, in :in order, each as EDN (\"Anna\", 42, [\"a\" \"b\"], a rule vector for %)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var explain = QueryOutput.ExplainOption();
        var cmd = new Command("query", "Run a Datalog query on the master's current value and print the result as EDN");
        cmd.Options.Add(db);
        cmd.Options.Add(explain);
        cmd.Arguments.Add(query);
        cmd.Arguments.Add(inputs);
        cmd.SetAction((parse, _) => CliSupport.Guarded("query", parse.GetValue(CliSupport.Verbose), async () =>
        {
            var q = QueryOutput.Read("query", parse.GetValue(query)!, parse.GetValue(inputs));
            var (local, current) = await LocalMaster.Open(parse.GetValue(db)!, parse.GetValue(CliSupport.Verbose));
            await using (local)
            {
                return q.Print(current, parse.GetValue(explain));
            }
        }));
        return cmd;
    }

    public static Command Log()
    {
        var db = DbOption();
        var from = new Option<long>("--from") { Description = "Print the transactions after this t (default 0: all)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("log", "Print the master's transactions after a t, one EDN map per transaction");
        cmd.Options.Add(db);
        cmd.Options.Add(from);
        cmd.SetAction((parse, _) => CliSupport.Guarded("log", parse.GetValue(CliSupport.Verbose), async () =>
        {
            var (local, current) = await LocalMaster.Open(parse.GetValue(db)!, parse.GetValue(CliSupport.Verbose));
            await using (local)
            {
                var range = (TxRangeResult)await local.Master.Listener.Ask(new TxRange(parse.GetValue(from) + 1, current.BasisT), LocalMaster.Timeout);
                using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
                foreach (var d in range.Deltas) stdout.WriteLine(d.ToString());
                return 0;
            }
        }));
        return cmd;
    }

    internal static int Fail(string error, int exitCode = 1)
    {
        Console.WriteLine(TxOutcome.Rejected(error));
        Console.Out.Flush();
        return CliSupport.Error("transact", error, exitCode: exitCode);
    }
}
