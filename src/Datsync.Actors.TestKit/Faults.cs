namespace Datsync.Actors.TestKit;

/// <summary>
/// The faults a replica's link to its session injects, each a probability per message (the rest pass): a message is
/// dropped, duplicated (the copy comes later), delayed by 1..<paramref name="MaxDelayMs"/> ms (so delays also
/// reorder), or held back until the next message has passed (reordered). One seeded <see cref="Random"/> per link
/// decides, so a test that fails with a seed fails the same way with it again (as far as the actors' own timing
/// allows). The replica recovers from every fault (it asks again, the session sends again); a test ends equal to the
/// master.
/// </summary>
/// <param name="Seed">The seed of the link's random decisions.</param>
/// <param name="Drop">How often a message is lost.</param>
/// <param name="Duplicate">How often a message is delivered twice (the copy after a delay).</param>
/// <param name="Delay">How often a message is delivered 1..<paramref name="MaxDelayMs"/> ms later.</param>
/// <param name="Reorder">How often a message is delivered after the next one (or after
/// <paramref name="MaxDelayMs"/> ms when no other comes).</param>
/// <param name="MaxDelayMs">The longest delay, in milliseconds (at least 1).</param>
public sealed record Faults(int Seed = 0, double Drop = 0, double Duplicate = 0, double Delay = 0, double Reorder = 0, int MaxDelayMs = 50)
{
    /// <summary>No faults: every message passes, once and in order (a link can still hold deltas).</summary>
    public static readonly Faults None = new();

    /// <summary>The rates the project's own fault tests start from (drops, duplicates and delays).</summary>
    internal static readonly Faults Default = new(Drop: 0.1, Duplicate: 0.1, Delay: 0.2);

    /// <summary>Throws when a rate is outside 0..1, the rates add up to more than 1, or the delay is not positive.</summary>
    internal Faults Validated()
    {
        foreach (var (name, rate) in new[] { (nameof(Drop), Drop), (nameof(Duplicate), Duplicate), (nameof(Delay), Delay), (nameof(Reorder), Reorder) })
            if (rate is < 0 or > 1 || double.IsNaN(rate))
                throw new ArgumentOutOfRangeException(name, rate, $"a fault rate is a probability (0..1); {name} is {rate}");
        if (Drop + Duplicate + Delay + Reorder > 1)
            throw new ArgumentException($"the fault rates add up to {Drop + Duplicate + Delay + Reorder}, more than 1");
        if (MaxDelayMs < 1) throw new ArgumentOutOfRangeException(nameof(MaxDelayMs), MaxDelayMs, "the longest delay must be at least 1 ms");
        return this;
    }
}
