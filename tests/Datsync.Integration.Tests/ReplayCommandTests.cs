using Datsync.Cli.Commands;
using Datsync.Core;

namespace Datsync.Integration.Tests;

/// <summary>The `datsync replay` contract (shared/oracle/README.md) on the bundled example and on edge cases.</summary>
public class ReplayCommandTests
{
    private static (int code, List<object?> forms, string stderr) Replay(string ednText)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, ednText);
            return Replay(new FileInfo(path));
        }
        finally { File.Delete(path); }
    }

    private static (int code, List<object?> forms, string stderr) Replay(FileInfo file)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = ReplayCommand.Run(file, output, errors);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (code, lines.Select(EdnReader.Read).ToList(), errors.ToString());
    }

    private static object? Get(object? map, string key) => ((EdnMap)map!)[Keyword.Intern(key)];

    [Fact]
    public void The_bundled_example_prints_one_line_per_transaction_then_the_master_datoms()
    {
        var (code, forms, _) = Replay(new FileInfo(Path.Combine(AppContext.BaseDirectory, "examples", "people.edn")));
        Assert.Equal(0, code);
        Assert.Equal(7, forms.Count); // 6 transactions + {:master ...}
        for (var i = 0; i < 6; i++) Assert.Equal((long)(i + 1), Get(forms[i], ":tx"));
        Assert.Equal(new[] { 1L, 2L, 3L }, forms.Take(3).Select(f => (long)Get(f, ":t")!));
        Assert.StartsWith(":db.error/cas-failed: ", (string)Get(forms[3], ":error")!);
        Assert.StartsWith(":db.error/wrong-type-for-attribute: ", (string)Get(forms[4], ":error")!);
        Assert.Equal(4L, Get(forms[5], ":t"));
        var tempids = (EdnMap)Get(forms[1], ":tempids")!;
        var ivan = (long)tempids["ivan"]!;
        var master = (IReadOnlyList<object?>)Get(forms[6], ":master")!;
        var rows = master.Cast<IReadOnlyList<object?>>().Select(r => (r[0], r[1]!.ToString()!, r[2])).ToList();
        Assert.Equal(new (object?, string, object?)[]
        {
            (ivan, ":person/age", 38L), (ivan, ":person/email", "ivan@example.org"), (ivan, ":person/name", "Ivan"),
        }, rows);
    }

    [Fact]
    public void Master_datoms_are_sorted_by_entity_attribute_and_value_and_leave_out_schema_and_transactions()
    {
        var (_, forms, _) = Replay("""
            [[{:db/ident :z/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
              {:db/ident :a/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
             [{:db/id "x" :z/tags ["b" "a" "c"] :a/name "X"} [:db/add "datomic.tx" :db/doc "meta"]]]
            """);
        var master = (IReadOnlyList<object?>)Get(forms[^1], ":master")!;
        var rows = master.Cast<IReadOnlyList<object?>>().Select(r => $"{r[1]} {r[2]}").ToList();
        Assert.Equal(new[] { ":a/name X", ":z/tags a", ":z/tags b", ":z/tags c" }, rows);
    }

    [Fact]
    public void Unreadable_input_is_one_clear_error_and_a_non_zero_exit()
    {
        var (code, forms, stderr) = Replay("[[{:a 1}]");
        Assert.NotEqual(0, code);
        Assert.Empty(forms);
        Assert.Contains("line 1", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_transaction_that_is_not_a_vector_is_reported_and_the_rest_still_run()
    {
        var (code, forms, _) = Replay("""[[{:db/ident :a/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}] 42 [{:a/n 1}]]""");
        Assert.Equal(0, code);
        Assert.StartsWith(":db.error/invalid-tx-data", (string)Get(forms[1], ":error")!);
        Assert.Equal(2L, Get(forms[2], ":t"));
    }
}
