using System.CommandLine;
using Datsync.Actors;
using Datsync.Actors.Replica;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync outbox --store DIR --client-id ID</c>: the local transactions the replica's store holds that the
/// master has not answered yet, in the order they will be sent, without a network call.</summary>
internal static class OutboxCommand
{
    public static Command Create()
    {
        var store = new Option<string>("--store") { Description = "The replica's store directory (DIR/replica.db)", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "The client id the store belongs to", Required = true };
        var cmd = new Command("outbox", "List the local transactions a replica's store holds for the master, in the order they will be sent: `#N REQUEST-ID CREATED TX`, then a count");
        cmd.Options.Add(store);
        cmd.Options.Add(clientId);
        cmd.SetAction((parse, _) => CliSupport.Guarded("outbox", parse.GetValue(CliSupport.Verbose), () =>
            Task.FromResult(List(parse.GetValue(store)!, parse.GetValue(clientId)!))));
        return cmd;
    }

    private static int List(string dir, string clientId)
    {
        if (!File.Exists(Path.Combine(dir, ReplicaStore.FileName))) throw new CliException($"{dir} holds no replica store ({ReplicaStore.FileName})");
        IReadOnlyList<OutboxEntry> entries;
        try
        {
            using var s = ReplicaStore.Open(dir, clientId);
            entries = s.Outbox();
        }
        catch (DatsyncStorageException e) { throw new CliException(e.Message.ReplaceLineEndings(" ")); }
        foreach (var e in entries)
            Console.Out.WriteLine($"#{e.MutationId} {e.RequestId} {e.Created:yyyy-MM-ddTHH:mm:ss.fffZ} {e.TxEdn}");
        Console.Error.WriteLine(entries.Count == 1 ? "1 transaction pending" : $"{entries.Count} transactions pending");
        return 0;
    }
}
