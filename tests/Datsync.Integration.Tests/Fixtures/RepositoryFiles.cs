namespace Datsync.Integration.Tests.Fixtures;

/// <summary>Files of the repository the tests run from (found by walking up from the test binaries).</summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "hocon", "datsync.conf"))) return dir.FullName;
        throw new InvalidOperationException($"No hocon/datsync.conf above {AppContext.BaseDirectory}: run the tests from the repository.");
    });

    /// <summary>The path of a file of the repository, e.g. <c>File("README.md")</c>.</summary>
    public static string File(params string[] parts) => Path.Combine([Root.Value, .. parts]);

    /// <summary>The path of a file in <c>hocon/</c>.</summary>
    public static string Hocon(string file) => Path.Combine(Root.Value, "hocon", file);
}
