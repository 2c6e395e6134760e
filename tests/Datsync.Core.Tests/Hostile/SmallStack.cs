namespace Datsync.Core.Tests.Hostile;

/// <summary>Runs code on a thread with a small stack, so deep recursion that is not bounded fails here rather
/// than on a production thread.</summary>
internal static class SmallStack
{
    public const int Size = 256 * 1024;

    /// <summary>The exception the action threw, or null.</summary>
    public static Exception? Run(Action action, int stackSize = Size)
    {
        Exception? caught = null;
        var thread = new Thread(
            () =>
            {
                try { action(); }
                catch (Exception e) { caught = e; }
            },
            stackSize);
        thread.Start();
        thread.Join();
        return caught;
    }

    /// <summary>The action's result on a small-stack thread; rethrows what it threw.</summary>
    public static T Run<T>(Func<T> func, int stackSize = Size)
    {
        T result = default!;
        var e = Run(() => { result = func(); }, stackSize);
        if (e is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        return result;
    }
}
