using System.Reflection;
using Datsync.Integration.Tests.Fixtures;
using PublicApiGenerator;

namespace Datsync.Integration.Tests.PublicApi;

/// <summary>
/// The public API of each package is a promise: it is written down in <c>api/{package}.txt</c>, and a change that
/// does not change that file as well fails here. To accept a change on purpose, run these tests with
/// <c>DATSYNC_ACCEPT_API=1</c>: they write the files, and the diff goes into the commit for review.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Packages => ["Datsync.Core", "Datsync.Actors", "Datsync.Actors.Hosting", "Datsync.Actors.TestKit"];

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_public_api_is_the_one_written_down(string package)
    {
        var assembly = Assembly.Load(package);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false })
            .ReplaceLineEndings("\n");
        var path = RepositoryFiles.File("api", package + ".txt");
        if (Environment.GetEnvironmentVariable("DATSYNC_ACCEPT_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, api);
        }
        Assert.True(File.Exists(path), $"{path} does not exist: run the tests with DATSYNC_ACCEPT_API=1 to write it");
        var written = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (written == api) return;
        var (a, b) = (written.Split('\n'), api.Split('\n'));
        var first = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
        Assert.Fail($"the public API of {package} is not the one in api/{package}.txt (first difference at line {first + 1}: " +
                    $"written \"{(first < a.Length ? a[first].Trim() : "<end>")}\", now \"{(first < b.Length ? b[first].Trim() : "<end>")}\"); " +
                    "if the change is meant, run the tests with DATSYNC_ACCEPT_API=1 and commit api/");
    }
}
