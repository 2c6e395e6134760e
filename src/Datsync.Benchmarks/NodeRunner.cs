using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace Datsync.Benchmarks;

/// <summary>Thrown when the DataScript side cannot run (no node or npm, install failed, script failed).</summary>
internal sealed class NodeSideException(string message) : Exception(message);

/// <summary>Thrown when the DataScript JVM side cannot run (no run.sh, no java, no Clojure jars, the runner failed).</summary>
internal sealed class JvmSideException(string message) : Exception(message);

/// <summary>A DataScript side's results as its runner prints them (js/ds_bench.js, or run.sh on the JVM: the same
/// JSON shape). <paramref name="Runtime"/> is the runner's "node" field: node's version, or "jvm ..." for the JVM.</summary>
internal sealed record SideResults(string Runtime, string DataScriptVersion, List<CaseResult> Cases, MemoryResult? Memory);

/// <summary>Runs js/ds_bench.js with node, installing its npm dependencies first when they are missing.</summary>
internal static class NodeRunner
{
    public const string PinnedDataScript = "1.8.1";

    private static string JsDir => Path.Combine(AppContext.BaseDirectory, "js");

    private static Exception Fail(string message) => new NodeSideException(message);

    public static string NodeVersion()
    {
        var node = Require("node", "the DataScript side needs Node.js (18 or newer) on PATH");
        return SideProcess.Capture(node, ["--version"], JsDir, Fail).Trim();
    }

    /// <summary>Runs <c>npm ci</c> (or <c>npm install</c>) in the output js directory when datascript is not installed
    /// at the pinned version.</summary>
    public static void EnsureInstalled()
    {
        if (InstalledVersion() == PinnedDataScript) return;
        var npm = Require("npm", "npm is needed to install datascript " + PinnedDataScript + " for the DataScript side");
        var useCi = File.Exists(Path.Combine(JsDir, "package-lock.json"));
        Harness.Progress("datascript", $"installing npm dependencies in {JsDir} (npm {(useCi ? "ci" : "install")})");
        // npm's output goes to our stderr: stdout is reserved for the result tables
        var output = SideProcess.Capture(npm, [useCi ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"], JsDir,
            m => Fail($"npm failed in {JsDir}: {m}"));
        if (output.Length > 0) Console.Error.Write(output);
        var v = InstalledVersion();
        if (v != PinnedDataScript) throw new NodeSideException($"after npm install, datascript is {v ?? "missing"}, expected {PinnedDataScript}");
    }

    private static string? InstalledVersion()
    {
        var pkg = Path.Combine(JsDir, "node_modules", "datascript", "package.json");
        if (!File.Exists(pkg)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(pkg));
        return doc.RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
    }

    /// <summary>Runs the DataScript cases (and the memory measurement unless skipped), each in its own node process.</summary>
    public static SideResults Run(string workloadPath, RunSettings s, IReadOnlyCollection<string> cases, bool memory)
    {
        EnsureInstalled();
        var node = Require("node", "the DataScript side needs Node.js (18 or newer) on PATH");
        var script = Path.Combine(JsDir, "ds_bench.js");
        if (!File.Exists(script)) throw new NodeSideException($"{script} is missing (is js/** copied to the output?)");
        string[] nodeArgs = ["--expose-gc", "--max-old-space-size=4096", script, "--workload", workloadPath];
        return SideProcess.RunCasesAndMemory("ds_bench.js", Fail,
            cases.Count == 0 ? null : () => SideProcess.Capture(node,
            [
                .. nodeArgs, "--warmup", s.Warmup.ToString(), "--samples", s.Samples.ToString(), "--cases", string.Join(',', cases),
            ], JsDir, Fail),
            memory ? () => SideProcess.Capture(node, [.. nodeArgs, "--memory"], JsDir, Fail) : null);
    }

    private static string Require(string name, string why) =>
        SideProcess.FindOnPath(name) ?? throw new NodeSideException(
            $"'{name}' was not found on PATH: {why}. Install Node.js (which includes npm) and retry, or use `run` for the Datsync side only.");
}

/// <summary>
/// Runs DataScript 1.7.8 on the JVM through /work/shared/jvm-datascript/run.sh (bench.clj on DataScript's Clojure API),
/// which prints one JSON line in ds_bench.js's shape (read by <see cref="SideProcess"/>, as the node side's).
/// </summary>
internal static class JvmRunner
{
    private static Exception Fail(string message) => new JvmSideException(message);

    /// <summary>run.sh: <paramref name="overridePath"/> when given, else <c>shared/jvm-datascript/run.sh</c> in the
    /// nearest folder above the repository root (the repo's sibling <c>shared/</c>: <c>../shared</c> from the root).</summary>
    public static string Locate(string? overridePath)
    {
        if (overridePath is not null)
        {
            var full = Path.GetFullPath(overridePath);
            return File.Exists(full) ? full : throw new JvmSideException($"--jvm-runner {full}: no such file");
        }
        var root = RepoRoot() ?? throw new JvmSideException(
            $"cannot find the repository root above {AppContext.BaseDirectory} (no .git): give run.sh with --jvm-runner PATH");
        for (var dir = Directory.GetParent(root); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "jvm-datascript", "run.sh");
            if (File.Exists(candidate)) return candidate;
        }
        throw new JvmSideException($"no shared/jvm-datascript/run.sh in any folder above the repository root {root}: give it with --jvm-runner PATH");
    }

    private static string? RepoRoot()
    {
        // the program runs from src/Datsync.Benchmarks/bin/<config>/<tfm>/; a worktree's .git is a file, a clone's a folder
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
                    return dir.FullName;
        return null;
    }

    /// <summary>
    /// Fails early, in one line, when the JVM side cannot run: run.sh without arguments installs Clojure's jars (and a
    /// JDK) with apt-get when they are missing and then prints its usage (exit code 2); any other outcome, or no
    /// <c>java</c> on PATH afterwards, is the failure.
    /// </summary>
    public static void Preflight(string runSh)
    {
        Harness.Progress("datascript-jvm", $"checking {runSh} (it installs Clojure's jars with apt-get when they are missing)");
        var (code, _, stderr) = SideProcess.Exec(runSh, [], Path.GetDirectoryName(runSh)!, Fail, captureStderr: true);
        var usage = code == 2 && stderr.Contains("usage:", StringComparison.Ordinal);
        if (!usage)
        {
            var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no output)";
            throw new JvmSideException($"{runSh} could not get java and Clojure's jars (exit code {code}): {last}");
        }
        if (SideProcess.FindOnPath("java") is null)
            throw new JvmSideException("'java' was not found on PATH: the JVM side needs a Java runtime (OpenJDK 17)");
    }

    /// <summary>Whether the runner defines a case: bench.clj beside run.sh names it (as a string); without a bench.clj
    /// there, every case is assumed.</summary>
    public static bool Defines(string runSh, string name)
    {
        var clj = Path.Combine(Path.GetDirectoryName(runSh)!, "bench.clj");
        return !File.Exists(clj) || File.ReadAllText(clj).Contains($"\"{name}\"", StringComparison.Ordinal);
    }

    /// <summary>Runs the cases (one JVM), then the memory measurement unless skipped (another JVM).</summary>
    public static SideResults Run(string runSh, string workloadPath, RunSettings s, IReadOnlyCollection<string> cases, bool memory)
    {
        var dir = Path.GetDirectoryName(runSh)!;
        return SideProcess.RunCasesAndMemory("run.sh", Fail,
            cases.Count == 0 ? null : () => SideProcess.Capture(runSh,
            [
                "--workload", workloadPath, "--warmup", s.Warmup.ToString(), "--samples", s.Samples.ToString(), "--cases", string.Join(',', cases),
            ], dir, Fail),
            memory ? () => SideProcess.Capture(runSh, ["--workload", workloadPath, "--memory"], dir, Fail) : null);
    }
}

/// <summary>The runner processes of the DataScript sides and the one reading of their JSON output.</summary>
internal static class SideProcess
{
    /// <summary>Runs the cases and the memory measurement (either may be null: not run) and reads both outputs.</summary>
    public static SideResults RunCasesAndMemory(string runner, Func<string, Exception> fail, Func<string>? cases, Func<string>? memory)
    {
        var results = new List<CaseResult>();
        string runtime = "", dsVersion = "";
        if (cases is not null)
        {
            using var doc = Parse(runner, cases(), fail);
            var root = doc.RootElement;
            runtime = root.GetProperty("node").GetString()!;
            dsVersion = root.GetProperty("datascript").GetString()!;
            foreach (var r in root.GetProperty("results").EnumerateArray())
                results.Add(new CaseResult(
                    r.GetProperty("name").GetString()!,
                    r.GetProperty("medianMs").GetDouble(),
                    r.GetProperty("samplesMs").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
                    r.GetProperty("check").GetString()!));
        }
        MemoryResult? mem = null;
        if (memory is not null)
        {
            using var doc = Parse(runner, memory(), fail);
            var m = doc.RootElement.GetProperty("memory");
            var check = m.GetProperty("check").GetString();
            var expected = $"datoms={Workload.MemoryEntities * 5} ids={Workload.MemoryEntities}";
            if (check != expected) throw fail($"{runner}: memory db: {check}, expected {expected}");
            mem = new MemoryResult(m.GetProperty("datoms").GetInt64(), m.GetProperty("bytesBefore").GetInt64(), m.GetProperty("bytesAfter").GetInt64());
            runtime = doc.RootElement.GetProperty("node").GetString()!;
            dsVersion = doc.RootElement.GetProperty("datascript").GetString()!;
        }
        return new SideResults(runtime, dsVersion, results, mem);
    }

    private static JsonDocument Parse(string runner, string output, Func<string, Exception> fail)
    {
        // the JSON is the last line; anything a runner printed on stdout before it is ignored
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        try { return JsonDocument.Parse(line); }
        catch (JsonException e) { throw fail($"{runner} printed no valid JSON ({e.Message}):\n{output}"); }
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd" } : new[] { name };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var n in names)
            {
                var full = Path.Combine(dir, n);
                if (File.Exists(full)) return full;
            }
        return null;
    }

    private static ProcessStartInfo Start(string exe, IEnumerable<string> args, string dir, bool captureStderr)
    {
        ProcessStartInfo psi;
        if (exe.EndsWith(".cmd", StringComparison.OrdinalIgnoreCase))
        {
            psi = new ProcessStartInfo("cmd.exe");
            psi.ArgumentList.Add("/c");
            psi.ArgumentList.Add(exe);
        }
        else psi = new ProcessStartInfo(exe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.WorkingDirectory = dir;
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = captureStderr; // otherwise progress lines go straight to our stderr
        return psi;
    }

    /// <summary>Runs a process to completion: its exit code, stdout and (when captured) stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Exec(string exe, IEnumerable<string> args, string dir,
        Func<string, Exception> fail, bool captureStderr = false)
    {
        var psi = Start(exe, args, dir, captureStderr);
        Process? p;
        try { p = Process.Start(psi); }
        catch (Win32Exception e) { throw fail($"could not start {exe}: {e.Message}"); }
        if (p is null) throw fail($"could not start {exe}");
        using (p)
        {
            var stderr = captureStderr ? p.StandardError.ReadToEndAsync() : Task.FromResult("");
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>Runs a process to completion and returns its stdout; a non-zero exit is a loud failure.</summary>
    public static string Capture(string exe, IEnumerable<string> args, string dir, Func<string, Exception> fail)
    {
        var (code, output, _) = Exec(exe, args, dir, fail);
        if (code != 0)
            throw fail($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed with exit code {code}\n{output}");
        return output;
    }
}
