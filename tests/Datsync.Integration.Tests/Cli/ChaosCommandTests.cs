using System.Text.RegularExpressions;
using Datsync.Actors;
using Datsync.Cli.Commands.Chaos;
using Datsync.Cli.Commands.Demo;
using Datsync.Core;

namespace Datsync.Integration.Tests.Cli;

/// <summary>`datsync chaos`: a short run passes its own verdict; the verdict fails on what it must catch.</summary>
public sealed class ChaosCommandTests
{
    /// <summary>The hostile inputs of the short run: those the server on this branch rejects without harm (see the
    /// report of a full run for the others).</summary>
    private const string SafeHostile = "nested-6000,string-5mb,unknown-attribute,wrong-token";

    [Fact]
    public async Task A_short_run_with_kills_stops_and_hostile_input_ends_with_the_verdict_ok()
    {
        var r = await DatsyncProcess.Run($"chaos --seconds 20 --replicas 2 --seed 1 --hostile {SafeHostile}");
        var lines = r.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        Assert.True(r.ExitCode == 0, $"exit code {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}");
        var verdict = Assert.Single(lines, l => l.StartsWith("verdict: ", StringComparison.Ordinal));
        Assert.Matches(new Regex(@"^verdict: OK — [\d,]+ acknowledged transactions each in the master once, none twice, 2 replicas equal the master at t=\d+ \([\d,]+ datoms\)$"), verdict);
        Assert.Contains(lines, l => l.StartsWith("faults: server killed ", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^transactions: [1-9][\d,]* acknowledged"));
        Assert.Contains(r.StderrLines, l => l.Contains("kill -9 server"));
    }

    [Fact]
    public async Task Bad_options_exit_2()
    {
        var r = await DatsyncProcess.Run("chaos --replicas 0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--replicas", r.Stderr);
        var h = await DatsyncProcess.Run("chaos --hostile no-such-input");
        Assert.Equal(2, h.ExitCode);
        Assert.Contains("no-such-input", h.Stderr);
    }

    private static readonly DbDigest Master = new(8, 20, new string('a', 64));

    private static IReadOnlyDictionary<string, IReadOnlyList<long>> Markers(params (string Marker, long[] Ts)[] markers) =>
        markers.ToDictionary(m => m.Marker, m => (IReadOnlyList<long>)m.Ts);

    private static ChaosOutcome Ack(string marker, long t) => new(marker, "w1", ChaosOutcomeKind.Acknowledged, t);
    private static ChaosOutcome Doubt(string marker) => new(marker, "w1", ChaosOutcomeKind.InDoubt, Detail: "no answer");

    [Fact]
    public void The_verdict_holds_when_every_acknowledged_marker_is_there_once_and_the_replicas_equal_the_master()
    {
        var violations = ChaosVerdict.Violations(
            [Ack("m-1", 5), Ack("m-2", 6), Doubt("m-3"), Doubt("m-4"),
             new ChaosOutcome("m-5", "w2", ChaosOutcomeKind.Rejected, Category: ":datsync.error/unavailable")],
            Markers(("m-1", [5]), ("m-2", [6]), ("m-3", [7])), Master,
            [new ChaosReplicaDigest("r1", Master), new ChaosReplicaDigest("r2", Master)],
            [new ChaosHostileResult("wrong-token", true, true, "exit 2")]);
        Assert.Empty(violations);
    }

    [Fact]
    public void The_verdict_fails_on_a_duplicate_a_missing_acknowledged_marker_and_a_replica_that_differs()
    {
        var violations = ChaosVerdict.Violations(
            [Ack("m-1", 5), Ack("m-2", 6), Doubt("m-3"), Ack("m-4", 7),
             new ChaosOutcome("m-5", "w2", ChaosOutcomeKind.Rejected, Category: ":db.error/unique-conflict")],
            Markers(("m-1", [5, 6]), ("m-3", [7, 8]), ("m-4", [6]), ("m-5", [8]), ("m-9", [8])), Master,
            [new ChaosReplicaDigest("r1", Master), new ChaosReplicaDigest("r2", Master with { Sha256 = new string('b', 64) }),
             new ChaosReplicaDigest("r3", Master with { T = 7 }), new ChaosReplicaDigest("r4", null, "no digest in time")],
            [new ChaosHostileResult("rename-builtin", false, true, "exit 0"), new ChaosHostileResult("nested-6000", true, false, "exit 2")],
            ["replica r5 (pid 1) exited on its own, code 134"]);

        void Has(string part) => Assert.Contains(violations, v => v.Contains(part, StringComparison.Ordinal));
        Has("acknowledged marker m-1 (via w1, t=5) is in the master 2 times (t=5, 6)");
        Has("acknowledged marker m-2 (via w1, t=6) is not in the master");
        Has("in-doubt marker m-3 (via w1) is in the master 2 times");
        Has("acknowledged marker m-4 (via w1) was acknowledged at t=7 but the master has it at t=6");
        Has("rejected marker m-5");
        Has("marker m-9 is in the master (t=8) but no writer submitted it");
        Has("replica r2 holds other datoms than the master at t=8");
        Has("replica r3 is at t=7, the master at t=8");
        Has("replica r4 gave no digest: no digest in time");
        Has("hostile input rename-builtin was not rejected");
        Has("hostile input nested-6000 took the server down");
        Has("replica r5 (pid 1) exited on its own");
        Assert.DoesNotContain(violations, v => v.Contains("r1", StringComparison.Ordinal));
        Assert.Equal(12, violations.Count);
    }

    [Fact]
    public void The_markers_of_a_run_are_read_from_the_master_with_the_t_of_each_entity()
    {
        var db = Db.Empty.Transact(ChaosWriter.Schema).DbAfter;
        db = db.Transact(ChaosWriter.Tx("run1-w1.1-000001")).DbAfter;
        var t = db.BasisT;
        db = db.Transact(ChaosWriter.Tx("run1-w1.1-000001")).DbAfter; // committed twice
        db = db.Transact(ChaosWriter.Tx("other-w1.1-000001")).DbAfter; // another run's
        var markers = ChaosVerdict.MarkersIn(db, "run1-");
        Assert.Equal(new long[] { t, t + 1 }, Assert.Single(markers).Value);
        Assert.Equal(new[] { "only in the master: 1 2 x", "only in the replica: 1 2 y" },
            ChaosVerdict.Differences(new[] { "0 1 a", "1 2 x" }, new[] { "0 1 a", "1 2 y" }, 10));
    }

    [Fact]
    public void Outcome_lines_and_the_schedule_are_what_the_processes_and_the_seed_say()
    {
        foreach (var o in new[] { Ack("m-1", 5), Doubt("m-2"), new ChaosOutcome("m-3", "w1", ChaosOutcomeKind.Rejected, Category: ":datsync.error/busy", Detail: "full up") })
            Assert.Equal(o, ChaosOutcome.Parse(o.ToLine(), "w1"));

        var plan = ChaosSchedule.Plan(7, 60, 3, 8);
        Assert.Equal(plan.Faults, ChaosSchedule.Plan(7, 60, 3, 8).Faults);
        Assert.Equal(plan.Hostile, ChaosSchedule.Plan(7, 60, 3, 8).Hostile);
        Assert.Equal(3, plan.Faults.Take(3).Select(f => f.Fault).Distinct().Count());
        Assert.All(plan.Faults.Where(f => f.Fault == ChaosFault.StopReplica), f => Assert.InRange(f.Seconds, 12, 20));
        Assert.Equal(8, plan.Hostile.Take(8).Select(h => h.Input).Distinct().Count());
    }
}
