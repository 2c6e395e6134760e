using System.Text.RegularExpressions;
using Datsync.Actors;
using Datsync.Cli.Commands.Demo;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests;

/// <summary>`datsync demo`: a short run in each mode ends with every replica equal to the master.</summary>
[Collection(DefaultMasterName.Name)] // with --processes its master has the default name
public class DemoCommandTests
{
    private static (int Code, string[] Lines, string Stderr) Demo(DemoOptions options)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = DemoCommand.Run(options, output, errors);
        return (code, output.ToString().Split('\n', StringSplitOptions.TrimEntries), errors.ToString());
    }

    /// <summary>The verdict is OK for all the replicas, every writer's unexpected count is 0, and each replica's row
    /// in the database table shows the master's t, datoms and digest.</summary>
    private static void AssertEveryReplicaEqualsTheMaster(int code, string[] lines, string stderr, int replicas)
    {
        var text = string.Join("\n", lines);
        Assert.True(code == 0, $"exit code {code}\nstdout:\n{text}\nstderr:\n{stderr}");
        var verdict = Assert.Single(lines, l => l.StartsWith("verdict: ", StringComparison.Ordinal));
        Assert.Matches(new Regex($@"^verdict: OK — {(replicas == 1 ? "the replica equals" : $"{replicas} replicas equal")} the master at t=\d+ \([\d,]+ datoms\)$"), verdict);

        var total = Regex.Match(Assert.Single(lines, l => l.StartsWith("total ", StringComparison.Ordinal)),
            @"^total\s+(?<committed>[\d,]+)\s+(?<expected>[\d,]+)\s+(?<unexpected>[\d,]+)\s");
        Assert.True(total.Success, text);
        Assert.True(long.Parse(total.Groups["committed"].Value.Replace(",", "")) > 0, text);
        Assert.True(long.Parse(total.Groups["expected"].Value.Replace(",", "")) > 0, "no transaction was rejected as planned\n" + text);
        Assert.Equal("0", total.Groups["unexpected"].Value);

        var master = Assert.Single(lines, l => l.StartsWith("master ", StringComparison.Ordinal) && !l.Contains("writers"));
        var masterCells = master.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i <= replicas; i++)
        {
            var row = Assert.Single(lines, l => l.StartsWith($"r{i} ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(masterCells[1..4], row[1..4]); // t, datoms, sha256
            Assert.Equal("yes", row[4]);
        }

        // the closing query, answered on the first replica: every organisation with its members, as the master says
        var query = Array.FindIndex(lines, l => l == $"query on r1: {DemoCommand.MembersQuery}");
        Assert.True(query >= 0, text);
        var answer = Assert.IsType<Datsync.Core.EdnSet>(Datsync.Core.EdnReader.Read(lines[query + 1]));
        // a short run need not have given every organisation a member: each row names a known one, with a count
        Assert.InRange(answer.Count, 1, DemoWorkload.Orgs.Length);
        foreach (var row in answer)
        {
            var cells = Assert.IsType<Datsync.Core.EdnVector>(row);
            Assert.Contains(Assert.IsType<string>(cells[0]), DemoWorkload.Orgs);
            Assert.True(Convert.ToInt64(cells[1]) > 0, text);
        }
        Assert.Equal("(the master answers the same)", lines[query + 2]);
    }

    [Fact]
    public void In_process_replicas_equal_the_master_after_a_short_run()
    {
        var (code, lines, stderr) = Demo(new DemoOptions { Replicas = 3, Seconds = 2 });
        AssertEveryReplicaEqualsTheMaster(code, lines, stderr, 3);
        Assert.Contains(lines, l => l.Contains("3 replicas in this process"));
    }

    [Fact]
    public void Replicas_in_child_processes_equal_the_master_after_a_short_run()
    {
        var (code, lines, stderr) = Demo(new DemoOptions { Replicas = 2, Seconds = 2, Processes = true });
        AssertEveryReplicaEqualsTheMaster(code, lines, stderr, 2);
        Assert.Contains(lines, l => l.Contains("2 replicas in child processes over Akka.Remote"));
    }

    [Fact]
    public void A_transaction_limit_stops_the_writers_and_the_database_is_kept_in_the_given_directory()
    {
        using var dir = new SqliteFile();
        var (code, lines, stderr) = Demo(new DemoOptions { Replicas = 1, Transactions = 120, DataDirectory = dir.Directory });
        AssertEveryReplicaEqualsTheMaster(code, lines, stderr, 1);
        var total = Regex.Match(lines.Single(l => l.StartsWith("total ", StringComparison.Ordinal)), @"^total\s+(\d+)\s+(\d+)\s+(\d+)");
        Assert.Equal(120, int.Parse(total.Groups[1].Value) + int.Parse(total.Groups[2].Value) + int.Parse(total.Groups[3].Value));
        Assert.True(File.Exists(Path.Combine(dir.Directory, DemoCommand.DbFileName)));

        // run again on the same file: the master recovers it, a new replica bootstraps from it, and they still agree
        var (again, againLines, againErrors) = Demo(new DemoOptions { Replicas = 1, Transactions = 30, DataDirectory = dir.Directory });
        AssertEveryReplicaEqualsTheMaster(again, againLines, againErrors, 1);
    }

    /// <summary>Scoped: each user's replica equals the master filtered to its scope, each user's row shows the datoms it
    /// holds (fewer than the master's), the share was committed and the sharee's retraction refused, and every writer's
    /// forbidden writes were refused as expected.</summary>
    [Fact]
    public void Scoped_replicas_equal_the_filtered_master_through_a_share_an_unshare_and_refused_writes()
    {
        var (code, lines, stderr) = Demo(new DemoOptions { Replicas = 3, Transactions = 90, Scoped = true });
        var text = string.Join("\n", lines);
        Assert.True(code == 0, $"exit code {code}\nstdout:\n{text}\nstderr:\n{stderr}");
        Assert.Matches(new Regex(@"^verdict: OK — 3 scoped replicas equal the master filtered to their user at t=\d+ \([\d,]+ datoms on the master\)$"),
            Assert.Single(lines, l => l.StartsWith("verdict: ", StringComparison.Ordinal)));

        var total = Regex.Match(Assert.Single(lines, l => l.StartsWith("total ", StringComparison.Ordinal)),
            @"^total\s+(?<committed>[\d,]+)\s+(?<forbidden>[\d,]+)\s+(?<unexpected>[\d,]+)\s");
        Assert.True(total.Success, text);
        Assert.True(long.Parse(total.Groups["forbidden"].Value.Replace(",", "")) > 0, "no write was refused\n" + text);
        Assert.Equal("0", total.Groups["unexpected"].Value);
        Assert.Contains("u2 retracts the shared u1-notes: refused as expected (:datsync.error/forbidden)", lines);
        Assert.Contains(lines, l => l.StartsWith("u1 shares u1-notes with u2: committed at t=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("u1 unshares u1-notes from u2: committed at t=", StringComparison.Ordinal));
        Assert.Contains("after the unshare u2's replica no longer holds u1-notes", lines);

        var master = Assert.Single(lines, l => l.StartsWith("master ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var masterDatoms = long.Parse(master[2].Replace(",", ""));
        for (var i = 1; i <= 3; i++)
        {
            Assert.Matches(new Regex(@"^via u" + i + @"\s+[\d,]+\s+[1-9][\d,]*\s+0\s"), Assert.Single(lines, l => l.StartsWith($"via u{i} ", StringComparison.Ordinal)));
            var row = Assert.Single(lines, l => Regex.IsMatch(l, $@"^u{i}\s+\d")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(master[1], row[1]); // the master's t
            Assert.InRange(long.Parse(row[2].Replace(",", "")), 1, masterDatoms - 1); // some of the master's datoms, not all
            Assert.Equal("yes", row[4]);
        }
    }

    [Fact]
    public void The_scoped_demo_refuses_child_processes_and_a_single_user()
    {
        var (code, _, stderr) = Demo(new DemoOptions { Replicas = 1, Scoped = true });
        Assert.Equal(2, code);
        Assert.Contains("--replicas", stderr);
        (code, _, stderr) = Demo(new DemoOptions { Replicas = 2, Scoped = true, Processes = true });
        Assert.Equal(2, code);
        Assert.Contains("--processes", stderr);
    }

    [Fact]
    public void Bad_options_are_refused_with_exit_code_2()
    {
        var (code, _, stderr) = Demo(new DemoOptions { Replicas = 0 });
        Assert.Equal(2, code);
        Assert.Contains("--replicas", stderr);
    }

    [Fact]
    public void The_digest_and_the_first_difference_tell_two_values_apart()
    {
        var schema = "[{:db/ident :k/v :db/valueType :db.type/string :db/cardinality :db.cardinality/many}]";
        var a = Db.Empty.Transact(schema, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)).DbAfter;
        var b = a.Transact("[[:db/add \"e\" :k/v \"x\"]]", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)).DbAfter;
        Assert.Equal(DbDigest.Of(a), DbDigest.Of(a));
        Assert.NotEqual(DbDigest.Of(a).Sha256, DbDigest.Of(b).Sha256);
        Assert.Null(DbDigest.FirstDifference(b, b));
        Assert.Contains(":k/v \"x\"", DbDigest.FirstDifference(b, a));
        Assert.Equal(DbDigest.Of(b), DbDigest.TryParse(DbDigest.Of(b).ToLine()));
    }
}
