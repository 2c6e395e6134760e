using Datsync.Integration.Tests.Fixtures;
using System.Text.RegularExpressions;

namespace Datsync.Integration.Tests;

/// <summary>
/// The README's C# examples are the code tests run: the first <c>```csharp</c> block after a heading is compared with
/// the lines between <c>// README: {name} (begin)</c> and <c>(end)</c> in a test file. <c>using</c> lines, and the
/// declarations of the variables an example takes from its surroundings (a data directory, an address, a token), are
/// left out on both sides: the README shows them with example values, the test with its own.
/// </summary>
internal static partial class ReadmeBlocks
{
    public static void AssertShows(string readmeHeading, string[] testFile, string marker, params string[] setupVariables) =>
        AssertShowsBlock(readmeHeading, 0, testFile, marker, setupVariables);

    /// <summary>As <see cref="AssertShows"/>, for the <paramref name="block"/>th (from 0) C# block after the heading.</summary>
    public static void AssertShowsBlock(string readmeHeading, int block, string[] testFile, string marker, params string[] setupVariables)
    {
        var readme = File.ReadAllLines(RepositoryFiles.File("README.md"));
        var heading = Array.IndexOf(readme, readmeHeading);
        Assert.True(heading >= 0, $"README.md has no '{readmeHeading}' section");
        var open = Array.FindIndex(readme, heading, l => l == "```csharp");
        for (var i = 0; i < block && open >= 0; i++) open = Array.FindIndex(readme, open + 1, l => l == "```csharp");
        Assert.True(open >= 0, $"README.md's '{readmeHeading}' has no C# block {block}");
        var close = Array.FindIndex(readme, open + 1, l => l == "```");
        var shown = Keep(readme[(open + 1)..close], setupVariables);

        var source = File.ReadAllLines(RepositoryFiles.File(testFile));
        var begin = Array.FindIndex(source, l => l.Trim() == $"// README: {marker} (begin)");
        var end = Array.FindIndex(source, l => l.Trim() == $"// README: {marker} (end)");
        Assert.True(begin >= 0 && end > begin, $"{string.Join('/', testFile)} has no README: {marker} markers");
        var indent = source[begin].Length - source[begin].TrimStart().Length;
        var run = Keep(source[(begin + 1)..end].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()), setupVariables);

        Assert.Equal(run, shown);
    }

    private static List<string> Keep(IEnumerable<string> lines, string[] setupVariables) =>
        lines.Where(l => !UsingLine().IsMatch(l))
            .Where(l => !(SetupLine().Match(l) is { Success: true } m
                          && m.Groups[1].Value.Trim('(', ')').Split(',', StringSplitOptions.TrimEntries).All(setupVariables.Contains)))
            .SkipWhile(string.IsNullOrWhiteSpace)
            .ToList();

    [GeneratedRegex(@"^using [\w.]+;$")]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"^\s*var (\w+|\([\w, ]+\)) = .*;\s*(//.*)?$")]
    private static partial Regex SetupLine();
}

/// <summary>The README's examples that live in other test projects: the code they run is the code it shows.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void The_testkit_section_shows_exactly_the_code_its_test_runs() =>
        ReadmeBlocks.AssertShows("## Testing with Datsync.Actors.TestKit", ["tests", "Datsync.Actors.Tests", "TestKit", "TestKitExampleTests.cs"], "TestKit");

    [Fact]
    public void The_live_queries_section_shows_exactly_the_code_its_test_runs() =>
        ReadmeBlocks.AssertShows("### Live queries", ["tests", "Datsync.Actors.Tests", "Connection", "LiveQueryExampleTests.cs"], "Live queries");

    [Fact]
    public void The_hosting_section_shows_exactly_the_code_its_test_runs()
    {
        string[] file = ["tests", "Datsync.Actors.Hosting.Tests", "HostingExampleTests.cs"];
        ReadmeBlocks.AssertShowsBlock("## Hosting", 0, file, "Hosting");
        ReadmeBlocks.AssertShowsBlock("## Hosting", 1, file, "Hosting service");
    }
}
