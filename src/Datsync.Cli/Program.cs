using System.CommandLine;
using Datsync.Cli.Commands;

var root = new RootCommand("datsync: a Datomic-style master database and its DataScript-style replicas");
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(DbCommands.Transact());
root.Subcommands.Add(DbCommands.Dump());
root.Subcommands.Add(DbCommands.Log());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(Datsync.Cli.Commands.Demo.DemoCommand.Create());
root.Subcommands.Add(Datsync.Cli.Commands.Demo.DemoReplicaProcess.Create());
return root.Parse(args).Invoke();
