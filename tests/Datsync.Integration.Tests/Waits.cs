using Akka.TestKit.Xunit2;

namespace Datsync.Integration.Tests;

/// <summary>Waiting for a condition that nothing signals (counters of the transport guard, lines a child process
/// printed): the TestKit's AwaitCondition, with a generous deadline.</summary>
internal static class Waits
{
    private static readonly Lazy<TestKit> Kit = new(() => new TestKit());

    public static Task Until(Func<bool> condition, TimeSpan within, Func<string> what) =>
        Kit.Value.AwaitConditionAsync(() => Task.FromResult(condition()), within, TimeSpan.FromMilliseconds(50), what());
}
