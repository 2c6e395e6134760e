using System.CommandLine;
using Datsync.Cli.Output;
using Datsync.Core;

namespace Datsync.Cli.Commands;

/// <summary><c>datsync replay FILE.edn</c>: runs a vector of transactions and prints each outcome and the final state.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "EDN file holding one vector of transactions (the first usually installs the schema)" };
        var cmd = new Command("replay", "Run transactions from an EDN file and print each outcome, then the final datoms");
        cmd.Arguments.Add(file);
        cmd.SetAction(parse =>
        {
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            return Run(parse.GetValue(file)!, stdout, Console.Error);
        });
        return cmd;
    }

    public static int Run(FileInfo file, TextWriter output, TextWriter stderr)
    {
        object? input;
        try
        {
            input = EdnReader.Read(File.ReadAllText(file.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EdnReadException)
        {
            stderr.WriteLine($"datsync replay: cannot read {file.Name}: {e.Message}");
            return 1;
        }
        if (input is not IReadOnlyList<object?> txs)
        {
            stderr.WriteLine($"datsync replay: {file.Name} must hold one vector of transactions");
            return 1;
        }
        var db = Db.Empty;
        for (var i = 0; i < txs.Count; i++)
        {
            var n = i + 1;
            if (txs[i] is not IReadOnlyList<object?> tx)
            {
                output.WriteLine(TxOutcome.Rejected($"{TxErrors.InvalidTxData}: transaction {n} must be a vector of tx forms", n));
                continue;
            }
            try
            {
                var report = db.Transact(tx);
                db = report.DbAfter;
                output.WriteLine(TxOutcome.Accepted(report.T, report.Tempids, n));
            }
            catch (TxException e)
            {
                output.WriteLine(TxOutcome.Rejected(e.Describe(), n));
            }
        }
        DatomListing.Write(output, "master", db);
        output.Flush();
        return 0;
    }
}
