using System.IO.Compression;
using System.Xml.Linq;
using Datsync.Core;
using Datsync.Integration.Tests.Cli;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Packaging;

/// <summary>
/// <c>dotnet pack Datsync.Actors.sln</c> once into a temporary directory, for every test of <see cref="PackageTests"/>.
/// </summary>
/// <remarks>
/// The solution is packed in the configuration these tests were built in (the folder above <c>net10.0</c> in their
/// path; Release under <c>dotnet test -c Release</c>), first with <c>--no-build</c>: <c>dotnet test</c> has built the
/// solution, so pack only reads the projects' outputs and writes nothing these running tests loaded. When that fails
/// because some packable project's outputs are missing (only this test project and what it references were built,
/// which leaves out Datsync.Actors.Hosting), it packs again with a build. That is safe as well: pack builds only the
/// packable projects (NuGet's GenerateNuspec target, which depends on Build, is skipped for IsPackable=false), so it
/// writes under src/*/bin and src/*/obj and never into this test project's output folder, where the running tests'
/// assemblies are.
/// </remarks>
public sealed class PackedSolution : IAsyncLifetime
{
    public static readonly TimeSpan PackLimit = TimeSpan.FromMinutes(15);

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("datsync-pack-");

    /// <summary>Where the packages are.</summary>
    public string Output => Path.Combine(_temp.FullName, "packages");

    /// <summary>A temporary directory of this run, deleted with it.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(_temp.FullName, name)).FullName;

    /// <summary>What the pack runs printed, for failure messages.</summary>
    public string Log { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var solution = RepositoryFiles.File("Datsync.Actors.sln");
        Assert.True(File.Exists(solution), $"no {solution}");
        var pack = $"pack \"{solution}\" -c {configuration} -o \"{Output}\"";

        var noBuild = await Dotnet($"{pack} --no-build", PackLimit);
        Log = $"dotnet {pack} --no-build: exit {noBuild.ExitCode}\n{noBuild.Stdout}{noBuild.Stderr}";
        if (noBuild.ExitCode == 0) return;

        if (Directory.Exists(Output)) Directory.Delete(Output, true); // what the first run packed before it failed
        var built = await Dotnet(pack, PackLimit);
        Log += $"\ndotnet {pack}: exit {built.ExitCode}\n{built.Stdout}{built.Stderr}";
        Assert.True(built.ExitCode == 0, Log);
    }

    public Task DisposeAsync()
    {
        try { _temp.Delete(true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    /// <summary>Runs <c>dotnet ARGS</c>, with <paramref name="environment"/> on top of this process's.</summary>
    public static Task<DatsyncProcess.Result> Dotnet(string args, TimeSpan limit, IReadOnlyDictionary<string, string>? environment = null) =>
        Run("dotnet", args, limit, environment);

    public static Task<DatsyncProcess.Result> Run(string file, string args, TimeSpan limit,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = DatsyncProcess.Info(file, args);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        return DatsyncProcess.Run(psi, limit, $"{Path.GetFileName(file)} {args}");
    }
}

/// <summary>The packages the solution makes: the three libraries, the TestKit and the <c>datsync</c> tool, each with its
/// README, the license and its metadata; the tool without the benchmarks, installable from the packed folder, and
/// working.</summary>
public sealed class PackageTests(PackedSolution packed) : IClassFixture<PackedSolution>
{
    private static readonly string[] Packages = ["Datsync.Core", "Datsync.Actors", "Datsync.Actors.Hosting", "Datsync.Actors.TestKit", "Datsync.Cli"];

    /// <summary>The version every package carries (Directory.Build.props).</summary>
    private static readonly string Version =
        XDocument.Load(RepositoryFiles.File("Directory.Build.props")).Descendants("Version").Single().Value;

    private string Nupkg(string id)
    {
        var path = Path.Combine(packed.Output, $"{id}.{Version}.nupkg");
        Assert.True(File.Exists(path),
            $"no {Path.GetFileName(path)} among [{string.Join(", ", Directory.GetFiles(packed.Output).Select(Path.GetFileName))}]\n{packed.Log}");
        return path;
    }

    private static string Text(ZipArchive zip, string entry)
    {
        var e = zip.GetEntry(entry);
        Assert.True(e is not null, $"no {entry} in the package: [{string.Join(", ", zip.Entries.Select(x => x.FullName))}]");
        using var reader = new StreamReader(e.Open());
        return reader.ReadToEnd();
    }

    /// <summary>The <c>metadata</c> element's child of that name (whatever the nuspec schema's namespace).</summary>
    private static XElement? Metadata(XDocument nuspec, string name) =>
        nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata").Elements().SingleOrDefault(e => e.Name.LocalName == name);

    [Fact]
    public void Exactly_the_libraries_and_the_tool_are_packed()
    {
        var made = Directory.GetFiles(packed.Output, "*.nupkg").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(Packages.Select(id => $"{id}.{Version}.nupkg").Order().ToArray(), made);
    }

    [Theory]
    [InlineData("Datsync.Core")]
    [InlineData("Datsync.Actors")]
    [InlineData("Datsync.Actors.Hosting")]
    [InlineData("Datsync.Actors.TestKit")]
    [InlineData("Datsync.Cli")]
    public void Each_package_holds_its_readme_the_license_and_its_metadata(string id)
    {
        using var zip = ZipFile.OpenRead(Nupkg(id));
        var readme = Text(zip, "README.md");
        Assert.StartsWith($"# {id}\n", readme.ReplaceLineEndings("\n"));
        Assert.Equal(File.ReadAllText(RepositoryFiles.File("LICENSE")), Text(zip, "LICENSE"));

        var nuspec = XDocument.Parse(Text(zip, $"{id}.nuspec"));
        string Value(string name) => Metadata(nuspec, name)?.Value ?? throw new InvalidOperationException($"no <{name}> in {id}.nuspec:\n{nuspec}");
        Assert.Equal(id, Value("id"));
        Assert.Equal(Version, Value("version"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Equal("LICENSE", Value("license"));
        Assert.Equal("file", Metadata(nuspec, "license")!.Attribute("type")?.Value);
        Assert.Equal("Datsync.Actors contributors", Value("authors"));
        Assert.Equal("Copyright (c) 2026 Datsync.Actors contributors", Value("copyright"));
        Assert.Contains("replication", Value("tags").Split(' '));
        var description = Value("description");
        Assert.False(string.IsNullOrWhiteSpace(description));
        Assert.NotEqual("Package Description", description); // the SDK's placeholder: the project said nothing
    }

    [Fact]
    public void The_tool_package_holds_the_command_and_no_benchmark()
    {
        using var zip = ZipFile.OpenRead(Nupkg("Datsync.Cli"));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains(names, n => n.EndsWith("/datsync.dll", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("/Datsync.Actors.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.Contains("Datsync.Benchmarks", StringComparison.OrdinalIgnoreCase));

        var nuspec = XDocument.Parse(Text(zip, "Datsync.Cli.nuspec"));
        var types = Metadata(nuspec, "packageTypes")?.Elements().Select(e => e.Attribute("name")?.Value).ToArray();
        Assert.Equal(new[] { "DotnetTool" }, types);
        var settings = XDocument.Parse(Text(zip, names.Single(n => n.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal))));
        Assert.Equal("datsync", settings.Descendants().Single(e => e.Name.LocalName == "Command").Attribute("Name")?.Value);
    }

    [Fact]
    public async Task The_tool_installs_from_the_packed_folder_and_prints_its_version_and_replays_a_transaction()
    {
        Nupkg("Datsync.Cli");
        var tools = packed.Scratch("tools");
        // only the packed folder as a source, and a packages folder of its own: no user or machine NuGet
        // configuration, and no Datsync.Cli of the same version packed elsewhere and cached, takes part
        var config = Path.Combine(packed.Scratch("nuget"), "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{packed.Output}" />
              </packageSources>
            </configuration>
            """);
        var nuget = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packed.Scratch("nuget-packages") };
        var install = await PackedSolution.Dotnet(
            $"tool install Datsync.Cli --tool-path \"{tools}\" --add-source \"{packed.Output}\" --configfile \"{config}\" --version {Version}",
            TimeSpan.FromMinutes(10), nuget);
        Assert.True(install.ExitCode == 0, $"dotnet tool install: exit {install.ExitCode}\n{install.Stdout}\n{install.Stderr}");

        // the command's launcher finds the runtime these tests run on
        var runtime = new Dictionary<string, string>
        {
            ["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..")),
        };
        var datsync = Path.Combine(tools, OperatingSystem.IsWindows() ? "datsync.exe" : "datsync");
        Assert.True(File.Exists(datsync), $"no {datsync} after the install:\n{install.Stdout}");

        var version = await PackedSolution.Run(datsync, "--version", DatsyncProcess.Limit, runtime);
        Assert.True(version.ExitCode == 0, $"datsync --version: exit {version.ExitCode}\n{version.Stderr}");
        Assert.Equal(Version, version.Stdout.Trim());

        var edn = Path.Combine(packed.Scratch("replay"), "one.edn");
        File.WriteAllText(edn, """
            [[{:db/ident :package/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
             [{:db/id "p" :package/name "Datsync.Cli"}]]
            """);
        var replay = await PackedSolution.Run(datsync, $"replay \"{edn}\"", DatsyncProcess.Limit, runtime);
        Assert.True(replay.ExitCode == 0, $"datsync replay: exit {replay.ExitCode}\n{replay.Stdout}\n{replay.Stderr}");
        var forms = replay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(EdnReader.Read).Cast<EdnMap>().ToList();
        Assert.True(forms.Count == 4, replay.Stdout); // two outcomes, then {:master ...} and {:replica ...}
        object? Get(EdnMap map, string key) => map[Keyword.Intern(key)];
        Assert.Equal(1L, Get(forms[0], ":t"));
        Assert.Equal(2L, Get(forms[1], ":t"));
        var entity = (long)((EdnMap)Get(forms[1], ":tempids")!)["p"]!;
        foreach (var (form, key) in new[] { (forms[2], ":master"), (forms[3], ":replica") })
        {
            var row = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<object?>>(Get(form, key)).Cast<IReadOnlyList<object?>>());
            Assert.Equal(new object?[] { entity, ":package/name", "Datsync.Cli" }, new[] { row[0], row[1]?.ToString(), row[2] });
        }
    }
}
