using System.CommandLine;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Cli.Output;
using Datsync.Core;

namespace Datsync.Cli.Commands;

/// <summary>
/// <c>datsync replay FILE.edn</c>: runs a vector of transactions through a master started in this process (in-memory
/// journal) and prints each outcome, then the master's final datoms, then those of a replica that bootstrapped after
/// the first transaction and followed the rest through the replication protocol. Given a map
/// <c>{:txs [tx ...] :queries [{:query Q :inputs [I ...]} ...]}</c>, it then runs each query on both final values.
/// </summary>
internal static class ReplayCommand
{
    /// <summary>How long one step (a transaction, the replica's bootstrap or catching up) may take.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "EDN file holding one vector of transactions (the first usually installs the schema), or {:txs [tx ...] :queries [{:query Q :inputs [I ...]} ...]}" };
        var cmd = new Command("replay",
            "Run transactions from an EDN file through a master and print each outcome, then the master's and a replica's final datoms");
        cmd.Arguments.Add(file);
        cmd.SetAction(async (parse, _) =>
        {
            await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            return await RunAsync(parse.GetValue(file)!, stdout, Console.Error);
        });
        return cmd;
    }

    public static int Run(FileInfo file, TextWriter output, TextWriter stderr) =>
        RunAsync(file, output, stderr).GetAwaiter().GetResult();

    /// <summary>Exit codes: 0 when the input was read (whatever the transactions did), 1 when it could not be, 2 when
    /// the master or the replica did not answer in time.</summary>
    public static async Task<int> RunAsync(FileInfo file, TextWriter output, TextWriter stderr)
    {
        object? input;
        try
        {
            input = EdnReader.Read(await CliSupport.ReadText(file.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EdnReadException)
        {
            stderr.WriteLine($"datsync replay: cannot read {file.Name}: {e.Message}");
            return 1;
        }
        IReadOnlyList<object?>? queries = null;
        if (input is IReadOnlyDictionary<object, object?> map)
        {
            if (!map.TryGetValue(TxsKey, out var t) || t is not IReadOnlyList<object?> mapTxs
                || map.TryGetValue(QueriesKey, out var qs) && qs is not IReadOnlyList<object?>)
            {
                stderr.WriteLine($"datsync replay: {file.Name} must hold {{:txs [tx ...] :queries [{{:query Q :inputs [I ...]}} ...]}}");
                return 1;
            }
            input = mapTxs;
            queries = map.GetValueOrDefault(QueriesKey) as IReadOnlyList<object?> ?? [];
        }
        if (input is not IReadOnlyList<object?> txs)
        {
            stderr.WriteLine($"datsync replay: {file.Name} must hold one vector of transactions");
            return 1;
        }

        // the replica applies every delta's datoms itself, as one in another process does, rather than adopting the
        // master's value: its listing is then a real check of replication
        var name = "datsync-replay-" + Guid.NewGuid().ToString("N")[..8];
        DatsyncMaster? master = null;
        DatsyncReplica? replica = null;
        try
        {
            master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
            {
                Name = name, Storage = { Kind = "memory" }, ShareMasterValues = false, Hocon = StderrLogger.Hocon,
            }).WaitAsync(StepTimeout);
            for (var i = 0; i < txs.Count; i++)
            {
                var n = i + 1;
                if (txs[i] is not IReadOnlyList<object?> tx)
                    output.WriteLine(TxOutcome.Rejected($"{TxErrors.InvalidTxData}: transaction {n} must be a vector of tx forms", n));
                else
                    output.WriteLine(await Submit(master, tx, n));
                // the replica bootstraps from the value after the first (schema) transaction and follows the rest as deltas
                if (i == 0) replica = await Connect(name);
            }
            replica ??= await Connect(name);

            var db = master.Db;
            await replica.SyncAsync(db.BasisT).WaitAsync(StepTimeout);
            DatomListing.Write(output, "master", db);
            DatomListing.Write(output, "replica", replica.SyncedDb);
            if (queries is not null)
                for (var i = 0; i < queries.Count; i++)
                    output.WriteLine(QueryLine(queries[i], i + 1, db, replica.SyncedDb));
            output.Flush();
            return 0;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or DatsyncStorageException)
        {
            output.Flush();
            stderr.WriteLine($"datsync replay: {e.Message}");
            return 2;
        }
        finally
        {
            try
            {
                if (replica is not null) await replica.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (master is not null) await master.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException) { stderr.WriteLine("datsync replay: the actor system did not stop within 10s"); }
        }
    }

    private static readonly Keyword TxsKey = Keyword.Intern("txs"), QueriesKey = Keyword.Intern("queries"),
        QueryKey = Keyword.Intern("query"), InputsKey = Keyword.Intern("inputs");

    /// <summary><c>{:query N :master R :replica R}</c>, or <c>{:query N :error "message"}</c> when the query fails on either.</summary>
    private static string QueryLine(object? spec, int n, Db master, Db replica)
    {
        try
        {
            if (spec is not IReadOnlyDictionary<object, object?> m || !m.TryGetValue(QueryKey, out var q) || q is null)
                throw new QueryException($"query {n} must be a map {{:query Q :inputs [I ...]}}");
            var inputs = m.GetValueOrDefault(InputsKey) switch
            {
                null => [],
                IReadOnlyList<object?> l => l.ToArray(),
                var other => throw new QueryException($":inputs of query {n} must be a vector, got {EdnPrinter.Print(other)}"),
            };
            var onMaster = master.Q(q, inputs);
            var onReplica = replica.Q(q, inputs);
            return $"{{:query {n} :master {EdnPrinter.Print(onMaster)} :replica {EdnPrinter.Print(onReplica)}}}";
        }
        catch (QueryException e)
        {
            return $"{{:query {n} :error {EdnPrinter.Print(e.Message)}}}";
        }
    }

    private static async Task<string> Submit(DatsyncMaster master, IReadOnlyList<object?> tx, int n)
    {
        try
        {
            var r = await master.TransactAsync(tx).WaitAsync(StepTimeout);
            return TxOutcome.Accepted(r.T, r.Tempids, n);
        }
        catch (TxRejectedException e)
        {
            return TxOutcome.Rejected(e.Describe(), n);
        }
    }

    private static Task<DatsyncReplica> Connect(string master) =>
        DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "replay", ServerSystemName = master }).WaitAsync(StepTimeout);
}
