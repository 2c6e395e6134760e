using Datsync.Core;

namespace Datsync.Integration.Tests.Cli;

/// <summary><c>datsync query --db PATH [--explain] 'QUERY' [INPUT ...]</c>: the result as EDN on standard output
/// (after the plan with <c>--explain</c>); a malformed query one line on standard error.</summary>
public sealed class QueryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-query-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private async Task<string> People()
    {
        var db = Path.Combine(_dir, "master.db");
        foreach (var edn in new[]
                 {
                     "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one} " +
                     "{:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]",
                     """[{:person/name "Anna" :person/age 30} {:person/name "Boris" :person/age 41} {:person/name "Vera" :person/age 52}]""",
                 })
        {
            var r = await DatsyncProcess.Run($"transact --db \"{db}\" -", edn);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        return db;
    }

    [Fact]
    public async Task A_query_with_an_input_prints_its_result_as_edn()
    {
        var db = await People();
        var r = await DatsyncProcess.Run(
            $"query --db \"{db}\" \"[:find ?n ?a :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]\" 40");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(EdnReader.Read("""#{["Boris" 41] ["Vera" 52]}"""), EdnReader.Read(r.Stdout));
        var count = await DatsyncProcess.Run($"query --db \"{db}\" \"[:find (count ?e) . :where [?e :person/name]]\"");
        Assert.Equal("3", count.Stdout.Trim());
    }

    [Fact]
    public async Task A_malformed_query_gives_one_line_naming_it()
    {
        var db = await People();
        var r = await DatsyncProcess.Run($"query --db \"{db}\" \"[:find ?x :where [?e :person/name ?n]]\"");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("datsync query: ", line);
        Assert.Contains("?x", line);
        Assert.Empty(r.Stdout.Trim());
    }

    [Fact]
    public async Task With_explain_the_plan_comes_first_and_the_result_last()
    {
        var db = await People();
        var r = await DatsyncProcess.Run(
            $"query --db \"{db}\" --explain \"[:find ?n :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]\" 40");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // the header, a line per step (the predicate may run inside the age pattern's scan), the result
        Assert.InRange(lines.Length, 4, 5);
        Assert.Matches(@"^#\s+clause\s+strategy\s+est\.\s+in\s+out\s+runs$", lines[0]);
        Assert.Equal(EdnReader.Read("""#{["Boris"] ["Vera"]}"""), EdnReader.Read(lines[^1]));
        var steps = lines[1..^1];
        foreach (var clause in new[] { "[?e :person/name ?n]", "[?e :person/age ?a]", "[(>= ?a ?min)]" })
            Assert.Single(steps, l => l.Contains(clause, StringComparison.Ordinal));
        // the last step leaves Boris and Vera of the three people: 2 tuples out, in one run
        Assert.Matches(@"\s2\s+1$", steps[^1]);
    }
}
