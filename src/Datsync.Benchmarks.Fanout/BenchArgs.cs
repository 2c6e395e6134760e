using System.Globalization;

namespace Datsync.Benchmarks.Fanout;

/// <summary>Reads a benchmark's options one by one: <c>while (r.Next(out var option)) switch (option) ...</c>.</summary>
internal sealed class BenchArgs(IReadOnlyList<string> args)
{
    private int _i = -1;

    public bool Next(out string option)
    {
        option = ++_i < args.Count ? args[_i] : "";
        return _i < args.Count;
    }

    /// <summary>The value after the current option.</summary>
    public string Value() => _i + 1 < args.Count ? args[++_i] : throw new ArgumentException($"{args[_i]} needs a value");

    public int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);

    /// <summary>A comma-separated list of counts, e.g. <c>1,10,100</c>.</summary>
    public int[] Ints() => Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    public ArgumentException Unknown() => new($"unknown option {args[_i]}");
}
