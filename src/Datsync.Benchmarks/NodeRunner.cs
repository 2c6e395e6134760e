using System.Diagnostics;
using System.Text.Json;

namespace Datsync.Benchmarks;

/// <summary>Thrown when the DataScript side cannot run (no node or npm, install failed, script failed).</summary>
internal sealed class NodeSideException(string message) : Exception(message);

/// <summary>The DataScript side's results as printed by js/ds_bench.js.</summary>
internal sealed record NodeResults(string NodeVersion, string DataScriptVersion, List<CaseResult> Cases, MemoryResult? Memory);

/// <summary>Runs js/ds_bench.js with node, installing its npm dependencies first when they are missing.</summary>
internal static class NodeRunner
{
    public const string PinnedDataScript = "1.8.1";

    private static string JsDir => Path.Combine(AppContext.BaseDirectory, "js");

    public static string NodeVersion()
    {
        var node = Require("node", "the DataScript side needs Node.js (18 or newer) on PATH");
        return Capture(node, ["--version"], JsDir).Trim();
    }

    /// <summary>Runs <c>npm ci</c> (or <c>npm install</c>) in the output js directory when datascript is not installed
    /// at the pinned version.</summary>
    public static void EnsureInstalled()
    {
        if (InstalledVersion() == PinnedDataScript) return;
        var npm = Require("npm", "npm is needed to install datascript " + PinnedDataScript + " for the DataScript side");
        var useCi = File.Exists(Path.Combine(JsDir, "package-lock.json"));
        Harness.Progress("datascript", $"installing npm dependencies in {JsDir} (npm {(useCi ? "ci" : "install")})");
        var psi = Start(npm, [useCi ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"], JsDir);
        using var p = Process.Start(psi) ?? throw new NodeSideException("could not start npm");
        // npm's output goes to our stderr: stdout is reserved for the result tables
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (output.Length > 0) Console.Error.Write(output);
        if (p.ExitCode != 0) throw new NodeSideException($"npm failed (exit code {p.ExitCode}) in {JsDir}");
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
    public static NodeResults Run(string workloadPath, RunSettings s, IReadOnlyCollection<string> cases, bool memory)
    {
        EnsureInstalled();
        var node = Require("node", "the DataScript side needs Node.js (18 or newer) on PATH");
        var script = Path.Combine(JsDir, "ds_bench.js");
        if (!File.Exists(script)) throw new NodeSideException($"{script} is missing (is js/** copied to the output?)");

        var results = new List<CaseResult>();
        string nodeVersion = "", dsVersion = "";
        if (cases.Count > 0)
        {
            var json = Capture(node,
            [
                "--expose-gc", "--max-old-space-size=4096", script,
                "--workload", workloadPath, "--warmup", s.Warmup.ToString(), "--samples", s.Samples.ToString(),
                "--cases", string.Join(',', cases),
            ], JsDir);
            using var doc = Parse(json);
            var root = doc.RootElement;
            nodeVersion = root.GetProperty("node").GetString()!;
            dsVersion = root.GetProperty("datascript").GetString()!;
            foreach (var r in root.GetProperty("results").EnumerateArray())
                results.Add(new CaseResult(
                    r.GetProperty("name").GetString()!,
                    r.GetProperty("medianMs").GetDouble(),
                    r.GetProperty("samplesMs").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
                    r.GetProperty("check").GetString()!));
        }
        MemoryResult? mem = null;
        if (memory)
        {
            var json = Capture(node, ["--expose-gc", "--max-old-space-size=4096", script, "--workload", workloadPath, "--memory"], JsDir);
            using var doc = Parse(json);
            var m = doc.RootElement.GetProperty("memory");
            var check = m.GetProperty("check").GetString();
            var expected = $"datoms={Workload.MemoryEntities * 5} ids={Workload.MemoryEntities}";
            if (check != expected) throw new NodeSideException($"DataScript memory db: {check}, expected {expected}");
            mem = new MemoryResult(m.GetProperty("datoms").GetInt64(), m.GetProperty("bytesBefore").GetInt64(), m.GetProperty("bytesAfter").GetInt64());
            nodeVersion = doc.RootElement.GetProperty("node").GetString()!;
            dsVersion = doc.RootElement.GetProperty("datascript").GetString()!;
        }
        return new NodeResults(nodeVersion, dsVersion, results, mem);
    }

    private static JsonDocument Parse(string json)
    {
        try { return JsonDocument.Parse(json); }
        catch (JsonException e) { throw new NodeSideException($"ds_bench.js printed no valid JSON ({e.Message}):\n{json}"); }
    }

    /// <summary>The full path of an executable on PATH, or a loud failure.</summary>
    private static string Require(string name, string why)
    {
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd" } : new[] { name };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var n in names)
            {
                var full = Path.Combine(dir, n);
                if (File.Exists(full)) return full;
            }
        throw new NodeSideException($"'{name}' was not found on PATH: {why}. Install Node.js (which includes npm) and retry, or use `run` for the Datsync side only.");
    }

    private static ProcessStartInfo Start(string exe, IEnumerable<string> args, string dir)
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
        psi.RedirectStandardError = false; // progress lines go straight to our stderr
        return psi;
    }

    /// <summary>Runs a process to completion and returns its stdout; a non-zero exit is a loud failure.</summary>
    private static string Capture(string exe, IEnumerable<string> args, string dir)
    {
        var psi = Start(exe, args, dir);
        using var p = Process.Start(psi) ?? throw new NodeSideException($"could not start {exe}");
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new NodeSideException($"{Path.GetFileName(exe)} {string.Join(' ', psi.ArgumentList)} failed with exit code {p.ExitCode}\n{output}");
        return output;
    }
}
