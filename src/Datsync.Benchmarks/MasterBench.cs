using System.Diagnostics;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Microsoft.Data.Sqlite;

namespace Datsync.Benchmarks;

/// <summary>
/// `master`: durable transactions per second on a SQLite file through the transactor (group commit), beside a plain
/// batched SQLite insert loop of the same rows in the same run, and recovery speed of a 1M-datom master.
/// </summary>
internal static class MasterBench
{
    private const string Schema = """
        [{:db/ident :id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :city :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    private static readonly Keyword Add = Keyword.Intern("db/add"), Id = Keyword.Intern("id"), Name = Keyword.Intern("name"),
        Age = Keyword.Intern("age"), Salary = Keyword.Intern("salary"), City = Keyword.Intern("city");

    public static int Run(string[] args)
    {
        var singles = args.Contains("--quick") ? 5_000 : 20_000;
        var bigTxs = args.Contains("--quick") ? 50 : 200;
        var dir = Path.Combine(Path.GetTempPath(), "datsync-bench-master-" + Guid.NewGuid().ToString("n")[..8]);
        try
        {
            Harness.Progress("master", $"SQLite files under {dir}");
            var (txPerSec, avgBatch) = SingleDatom(Path.Combine(dir, "single"), singles, submitters: 64);
            var refSingle = PlainSqlite(Path.Combine(dir, "plain-single.db"), singles, rowBytes: 120, batch: Math.Max(1, (int)avgBatch));
            var datomsPerSec = BigTransactions(Path.Combine(dir, "big"), bigTxs, datomsPerTx: 1000, submitters: 4);
            var refBig = PlainSqlite(Path.Combine(dir, "plain-big.db"), bigTxs * 1000, rowBytes: 40, batch: 1000);
            var (recoverDatoms, recoverMs) = Recovery(Path.Combine(dir, "recover"), 1_000_000);

            Console.WriteLine();
            Console.WriteLine($"> machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; .NET {Environment.Version}; SQLite file, WAL");
            Console.WriteLine();
            Console.WriteLine("| case | datsync | plain SQLite loop | ratio |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| single-datom tx/s, 64 submitters (avg batch {avgBatch:F1}) | {txPerSec:N0} | {refSingle:N0} rows/s | {txPerSec / refSingle:F2} |");
            Console.WriteLine($"| datoms/s in 1,000-datom transactions | {datomsPerSec:N0} | {refBig:N0} rows/s | {datomsPerSec / refBig:F2} |");
            Console.WriteLine($"| recovery of {recoverDatoms:N0} datoms (snapshot + events) | {recoverMs:N0} ms = {recoverDatoms / (recoverMs / 1000.0):N0} datoms/s | | |");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static (ActorSystem, MasterHandle) Start(string dir, int snapshotEvery)
    {
        var m = MasterRuntime.StartSystem("bench", new SqliteStorage(dir), $"akka.loglevel = WARNING\ndatsync.master.snapshot-every = {snapshotEvery}");
        return (m.System, m.Master);
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static async Task<TxAccepted> Commit(IActorRef transactor, string id, IReadOnlyList<object?> tx)
    {
        var reply = await transactor.Ask(new Transact(id, tx), Timeout);
        return reply as TxAccepted ?? throw new InvalidOperationException($"benchmark transaction refused: {(reply as TxRejected)?.Describe() ?? reply.ToString()}");
    }

    private static (double txPerSec, double avgBatch) SingleDatom(string dir, int count, int submitters)
    {
        var (system, master) = Start(dir, snapshotEvery: 0);
        try
        {
            Commit(master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
            Harness.Progress("master", $"single-datom: {count:N0} transactions from {submitters} submitters");
            var next = 0;
            var sw = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, submitters).Select(async s =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) <= count)
                    await Commit(master.Transactor, "s" + i, new object?[] { new object?[] { Add, "e", Id, (long)i } });
            }).ToArray();
            Task.WaitAll(tasks);
            sw.Stop();
            var db = ((CurrentDb)master.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db;
            if (db.BasisT != count + 1) throw new InvalidOperationException($"expected t={count + 1}, got {db.BasisT}");
            var batches = CountBatches(Path.Combine(dir, "datsync.db"));
            var rate = count / sw.Elapsed.TotalSeconds;
            Harness.Progress("master", $"single-datom: {rate:N0} tx/s; {batches:N0} journal batches");
            return (rate, (double)(count + 1) / Math.Max(1, batches));
        }
        finally { system.Terminate().Wait(); }
    }

    /// <summary>Journal batches = distinct write timestamps is not exposed; count rows per created tick group instead.</summary>
    private static long CountBatches(string file)
    {
        using var c = new SqliteConnection($"Data Source={file};Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(DISTINCT created) FROM journal";
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private static List<object?> BigTx(long firstId, int entities) =>
        Enumerable.Range(0, entities).Select(j => (object?)new Dictionary<object, object?>
        {
            [Id] = firstId + j, [Name] = "name" + (j % 97), [Age] = (long)(j % 90), [Salary] = (long)(j * 37 % 100_000), [City] = "city" + (j % 13),
        }).ToList();

    private static double BigTransactions(string dir, int count, int datomsPerTx, int submitters)
    {
        var (system, master) = Start(dir, snapshotEvery: 0);
        try
        {
            Commit(master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
            var entities = datomsPerTx / 5;
            var txs = Enumerable.Range(0, count).Select(i => BigTx((long)i * entities, entities)).ToList();
            Harness.Progress("master", $"big: {count} transactions of {datomsPerTx} datoms from {submitters} submitters");
            var next = -1;
            var sw = Stopwatch.StartNew();
            Task.WaitAll(Enumerable.Range(0, submitters).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count) await Commit(master.Transactor, "b" + i, txs[i]);
            }).ToArray());
            sw.Stop();
            var rate = (double)count * datomsPerTx / sw.Elapsed.TotalSeconds;
            Harness.Progress("master", $"big: {rate:N0} datoms/s");
            return rate;
        }
        finally { system.Terminate().Wait(); }
    }

    /// <summary>The reference: the same number of rows, of a similar size, inserted in batches by plain SQLite.</summary>
    private static double PlainSqlite(string file, int rows, int rowBytes, int batch)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var c = new SqliteConnection($"Data Source={file}");
        c.Open();
        using (var pragma = c.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE journal(ordering INTEGER PRIMARY KEY, persistence_id TEXT, sequence_nr INTEGER, payload BLOB);";
            pragma.ExecuteNonQuery();
        }
        var payload = new byte[rowBytes];
        Random.Shared.NextBytes(payload);
        Harness.Progress("plain", $"{rows:N0} rows of {rowBytes} bytes in batches of {batch}");
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < rows;)
        {
            using var tx = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO journal(persistence_id, sequence_nr, payload) VALUES ($p, $s, $b)";
            var p = cmd.Parameters.Add("$p", SqliteType.Text);
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var b = cmd.Parameters.Add("$b", SqliteType.Blob);
            p.Value = "datsync-master";
            b.Value = payload;
            for (var k = 0; k < batch && i < rows; k++, i++)
            {
                s.Value = i;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        var rate = rows / sw.Elapsed.TotalSeconds;
        Harness.Progress("plain", $"{rate:N0} rows/s");
        return rate;
    }

    private static (long datoms, double ms) Recovery(string dir, int datoms)
    {
        var perTx = 5_000;
        var (system, master) = Start(dir, snapshotEvery: 150);
        long count;
        try
        {
            Commit(master.Transactor, "schema", (IReadOnlyList<object?>)EdnReader.Read(Schema)!).GetAwaiter().GetResult();
            Harness.Progress("recovery", $"building a master of {datoms:N0} datoms");
            for (var i = 0; i < datoms / perTx; i++)
                Commit(master.Transactor, "r" + i, BigTx((long)i * (perTx / 5), perTx / 5)).GetAwaiter().GetResult();
            count = ((CurrentDb)master.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db.Count;
        }
        finally { system.Terminate().Wait(); }

        var (system2, master2) = Start(dir, snapshotEvery: 150);
        try
        {
            var sw = Stopwatch.StartNew();
            var db = ((CurrentDb)master2.Transactor.Ask(GetDb.Instance, Timeout).GetAwaiter().GetResult()).Db;
            sw.Stop();
            if (db.Count != count) throw new InvalidOperationException($"recovered {db.Count} datoms, expected {count}");
            Harness.Progress("recovery", $"{db.Count:N0} datoms recovered in {sw.Elapsed.TotalMilliseconds:N0} ms");
            return (db.Count, sw.Elapsed.TotalMilliseconds);
        }
        finally { system2.Terminate().Wait(); }
    }
}
