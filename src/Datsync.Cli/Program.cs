using System.CommandLine;
using Datsync.Actors;
using Datsync.Cli.Commands;

var root = new RootCommand("datsync: a Datomic-style master database and its DataScript-style replicas");
root.Options.Add(CliSupport.Verbose);
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(DbCommands.Transact());
root.Subcommands.Add(DbCommands.Dump());
root.Subcommands.Add(DbCommands.Log());
root.Subcommands.Add(DbCommands.Query());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ReplicaCommand.Create());
root.Subcommands.Add(OutboxCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
root.Subcommands.Add(Datsync.Cli.Commands.Demo.DemoCommand.Create());
root.Subcommands.Add(Datsync.Cli.Commands.Demo.DemoReplicaProcess.Create());
root.Subcommands.Add(Datsync.Cli.Commands.Chaos.ChaosCommand.Create());
// Ctrl-C / SIGTERM cancel the running verb's token; `serve`, `replica` and `demo` then shut their actor systems down
// (which may take longer than System.CommandLine's default two seconds before it forces the exit)
return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
