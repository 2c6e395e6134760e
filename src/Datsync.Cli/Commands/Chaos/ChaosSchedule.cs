namespace Datsync.Cli.Commands.Chaos;

internal enum ChaosFault { KillServer, KillReplica, StopReplica }

/// <summary>One fault at <see cref="At"/> seconds into the run: the server or replica <see cref="Replica"/> killed
/// (down for <see cref="Seconds"/>, then started again), or a replica stopped (SIGSTOP) for <see cref="Seconds"/>.</summary>
internal sealed record ChaosEvent(double At, ChaosFault Fault, int Replica, double Seconds);

/// <summary>Hostile input number <see cref="Input"/> sent at <see cref="At"/> seconds into the run.</summary>
internal sealed record ChaosHostileEvent(double At, int Input);

internal sealed record ChaosPlan(IReadOnlyList<ChaosEvent> Faults, IReadOnlyList<ChaosHostileEvent> Hostile);

/// <summary>The run's schedule, from its seed alone (the same seed, the same plan).</summary>
internal static class ChaosSchedule
{
    public static ChaosPlan Plan(int seed, double seconds, int replicas, int hostileInputs)
    {
        var rnd = new Random(seed);
        // every kind of fault early on (in a seeded order), then any kind
        var first = new[] { ChaosFault.KillServer, ChaosFault.KillReplica, ChaosFault.StopReplica };
        rnd.Shuffle(first);
        var faults = new List<ChaosEvent>();
        for (var at = 3 + 2 * rnd.NextDouble(); at < seconds - 2; at += 4 + 4 * rnd.NextDouble())
        {
            var kind = faults.Count < first.Length ? first[faults.Count] : (ChaosFault)rnd.Next(3);
            var replica = rnd.Next(replicas);
            var length = kind switch
            {
                ChaosFault.KillServer => 1 + 2 * rnd.NextDouble(),
                ChaosFault.KillReplica => 0.5 + 1.5 * rnd.NextDouble(),
                _ => 12 + 8 * rnd.NextDouble(), // past Akka.Remote's failure detectors (10 s)
            };
            faults.Add(new ChaosEvent(Math.Round(at, 1), kind, replica, Math.Round(length, 1)));
        }

        // the hostile inputs in a seeded order, each once before any comes again
        var hostile = new List<ChaosHostileEvent>();
        var order = Enumerable.Range(0, hostileInputs).ToArray();
        for (var at = 2 + 2 * rnd.NextDouble(); hostileInputs > 0 && at < seconds - 1; at += 3 + 3 * rnd.NextDouble())
        {
            if (hostile.Count % hostileInputs == 0) rnd.Shuffle(order);
            hostile.Add(new ChaosHostileEvent(Math.Round(at, 1), order[hostile.Count % hostileInputs]));
        }
        return new ChaosPlan(faults, hostile);
    }
}
