using Datsync.Actors;
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

    /// <summary>The rows of the <c>{:key [[e :attr v] ...]}</c> form, which must be the only key of it.</summary>
    private static List<(object? e, string a, object? v)> Rows(object? form, string key)
    {
        var map = Assert.IsType<EdnMap>(form);
        Assert.Single(map);
        var listing = Assert.IsAssignableFrom<IReadOnlyList<object?>>(map[Keyword.Intern(key)]);
        return listing.Cast<IReadOnlyList<object?>>().Select(r => (r[0], r[1]!.ToString()!, r[2])).ToList();
    }

    /// <summary>The last two forms are <c>{:master ...}</c> then <c>{:replica ...}</c>, each with these rows.</summary>
    private static void AssertFinalState(List<object?> forms, params (object? e, string a, object? v)[] expected)
    {
        Assert.True(forms.Count >= 2);
        Assert.Equal(expected, Rows(forms[^2], ":master"));
        Assert.Equal(expected, Rows(forms[^1], ":replica"));
    }

    [Fact]
    public void The_bundled_example_prints_one_line_per_transaction_then_the_master_and_replica_datoms()
    {
        var (code, forms, stderr) = Replay(new FileInfo(Path.Combine(AppContext.BaseDirectory, "examples", "people.edn")));
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(8, forms.Count); // 6 transactions + {:master ...} + {:replica ...}
        for (var i = 0; i < 6; i++) Assert.Equal((long)(i + 1), Get(forms[i], ":tx"));
        Assert.Equal(new[] { 1L, 2L, 3L }, forms.Take(3).Select(f => (long)Get(f, ":t")!));
        Assert.StartsWith(":db.error/cas-failed: ", (string)Get(forms[3], ":error")!);
        Assert.StartsWith(":db.error/wrong-type-for-attribute: ", (string)Get(forms[4], ":error")!);
        Assert.Equal(4L, Get(forms[5], ":t"));
        var tempids = (EdnMap)Get(forms[1], ":tempids")!;
        var ivan = (long)tempids["ivan"]!;
        AssertFinalState(forms,
            (ivan, ":person/age", 38L), (ivan, ":person/email", "ivan@example.org"), (ivan, ":person/name", "Ivan"));
    }

    [Fact]
    public void Master_and_replica_datoms_are_sorted_by_entity_attribute_and_value_and_leave_out_schema_and_transactions()
    {
        var (_, forms, _) = Replay("""
            [[{:db/ident :z/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
              {:db/ident :a/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
             [{:db/id "x" :z/tags ["b" "a" "c"] :a/name "X"} [:db/add "datomic.tx" :db/doc "meta"]]]
            """);
        var x = (long)((EdnMap)Get(forms[1], ":tempids")!)["x"]!;
        AssertFinalState(forms, (x, ":a/name", "X"), (x, ":z/tags", "a"), (x, ":z/tags", "b"), (x, ":z/tags", "c"));
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
        var (code, forms, _) = Replay("""[[{:db/ident :a/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}] 42 [{:db/id "x" :a/n 1}]]""");
        Assert.Equal(0, code);
        Assert.StartsWith(":db.error/invalid-tx-data", (string)Get(forms[1], ":error")!);
        Assert.Equal(2L, Get(forms[2], ":t"));
        Assert.Equal(5, forms.Count);
        var e = ((EdnMap)Get(forms[2], ":tempids")!)["x"];
        AssertFinalState(forms, (e, ":a/n", 1L));
    }

    [Fact]
    public void Schema_changes_after_the_replica_bootstrapped_reach_it_as_deltas()
    {
        // the replica connects after transaction 1: the rename, the cardinality change and the retraction of an
        // entity reach it through the log
        var (code, forms, stderr) = Replay("""
            [[{:db/ident :a/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
              {:db/ident :a/k :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
             [{:db/id "p" :a/k "p" :a/n 1} {:db/id "q" :a/k "q" :a/n 2}]
             [{:db/id :a/n :db/ident :a/m}]
             [{:db/id :a/m :db/cardinality :db.cardinality/many}]
             [[:db/add [:a/k "p"] :a/m 3] [:db/retractEntity [:a/k "q"]]]]
            """);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(7, forms.Count);
        Assert.Equal(new long?[] { 1, 2, 3, 4, 5 }, forms.Take(5).Select(f => (long?)Get(f, ":t")));
        var p = (long)((EdnMap)Get(forms[1], ":tempids")!)["p"]!;
        AssertFinalState(forms, (p, ":a/k", "p"), (p, ":a/m", 1L), (p, ":a/m", 3L));
    }

    [Fact]
    public void An_empty_vector_prints_empty_master_and_replica_listings()
    {
        var (code, forms, _) = Replay("[]");
        Assert.Equal(0, code);
        Assert.Equal(2, forms.Count);
        AssertFinalState(forms);
    }

    private const string QueryTxs = """
        [[{:db/ident :node/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
          {:db/ident :node/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}]
         [{:db/id "a" :node/key "k1"} {:db/id "b" :node/key "k2" :node/parent "a"} {:db/id "c" :node/key "k3" :node/parent "b"}]]
        """;

    [Fact]
    public void A_map_input_prints_one_line_per_query_after_the_listings()
    {
        var (code, forms, _) = Replay("{:txs " + QueryTxs + """
             :queries [{:query [:find ?k :where [?e :node/key ?k] [?e :node/parent _]] :inputs []}
                       {:query [:find [?k ...] :in $ [?p ...] :where [?e :node/parent ?pe] [?pe :node/key ?p] [?e :node/key ?k]] :inputs [["k1"]]}
                       {:query [:find ?a . :in $ % :where [?e :node/key "k3"] (anc ?e ?x) [?x :node/key ?a] [(= ?a "k1")]]
                        :inputs [[[(anc ?x ?y) [?x :node/parent ?y]] [(anc ?x ?y) [?x :node/parent ?z] (anc ?z ?y)]]]}]}
            """);
        Assert.Equal(0, code);
        Assert.Equal(2 + 2 + 3, forms.Count);
        Assert.Equal(Keyword.Intern("master"), ((EdnMap)forms[2]!).Keys.Single());
        var expected = new object?[] { EdnReader.Read("""#{["k2"] ["k3"]}"""), EdnReader.Read("""["k2"]"""), "k1" };
        for (var i = 0; i < 3; i++)
        {
            var line = (EdnMap)forms[4 + i]!;
            Assert.Equal((long)(i + 1), Get(line, "query"));
            Assert.Equal(expected[i], Get(line, "master"));
            Assert.Equal(expected[i], Get(line, "replica"));
        }
    }

    [Fact]
    public void An_invalid_query_prints_an_error_line_and_the_rest_still_run()
    {
        var (code, forms, _) = Replay("{:txs " + QueryTxs + """
             :queries [{:query [:find ?k ?nowhere :where [?e :node/key ?k]] :inputs []}
                       {:query [:find (count ?e) . :where [?e :node/key]] :inputs []}]}
            """);
        Assert.Equal(0, code);
        var error = (EdnMap)forms[^2]!;
        Assert.Equal(1L, Get(error, "query"));
        Assert.Contains("?nowhere", (string)Get(error, "error")!);
        Assert.Equal(3L, Get(forms[^1], "master"));
    }

    [Fact]
    public void A_map_without_txs_is_an_input_error()
    {
        var (code, _, stderr) = Replay("{:queries []}");
        Assert.Equal(1, code);
        Assert.Contains(":txs", stderr);
    }
}
