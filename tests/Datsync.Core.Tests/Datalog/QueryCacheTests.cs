using Datsync.Core;

namespace Datsync.Core.Tests.Datalog;

/// <summary>A query run again is not parsed again; what it finds still follows the database and the inputs.</summary>
public class QueryCacheTests
{
    private static string Unique(string query) => query.Replace("UNIQUE", Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_same_text_is_parsed_once()
    {
        var text = Unique("""[:find ?e :where [?e :person/name "UNIQUE"]]""");
        Assert.Same(QueryCache.Parse(text), QueryCache.Parse(text));
    }

    [Fact]
    public void Equal_query_data_is_parsed_once()
    {
        var text = Unique("""[:find ?e :where [?e :person/name "UNIQUE"] [?e :person/age 30]]""");
        Assert.Same(QueryCache.Parse(EdnReader.Read(text)!), QueryCache.Parse(EdnReader.Read(text)!));
        var map = Unique("""{:find [?e] :where [[?e :person/name "UNIQUE"]]}""");
        Assert.Same(QueryCache.Parse(EdnReader.Read(map)!), QueryCache.Parse(EdnReader.Read(map)!));
    }

    [Fact]
    public void Data_that_equals_another_query_without_being_it_is_not_taken_for_it()
    {
        // 1.0M equals 1.00M and 12 equals 12N as EDN values, but each query returns its own constant
        var a = EdnReader.Read("[:find ?x . :where [(ground 1.0M) ?x]]")!;
        var b = EdnReader.Read("[:find ?x . :where [(ground 1.00M) ?x]]")!;
        Assert.Equal(a, b);
        Assert.Equal("1.0M", EdnPrinter.Print(Family.Data.Q(a)));
        Assert.Equal("1.00M", EdnPrinter.Print(Family.Data.Q(b)));
        Assert.IsType<System.Numerics.BigInteger>(Family.Data.Q(EdnReader.Read("[:find ?x . :where [(ground 12N) ?x]]")!));
        Assert.IsType<long>(Family.Data.Q(EdnReader.Read("[:find ?x . :where [(ground 12) ?x]]")!));
    }

    [Fact]
    public void A_mutable_list_is_parsed_on_every_run()
    {
        var where = new List<object?> { EdnReader.Read("[?e :person/age 30]") };
        var query = new List<object?> { Keyword.Intern("find"), new Symbol("?e"), Keyword.Intern("where") };
        query.AddRange(where);
        Assert.Equal(2, ((EdnSet)Family.Data.Q(query)!).Count);
        query[^1] = EdnReader.Read("[?e :person/age 25]");
        Assert.Single((EdnSet)Family.Data.Q(query)!);
    }

    [Fact]
    public void The_cache_keeps_a_bounded_number_of_queries_and_drops_the_least_recently_used()
    {
        var first = Unique("""[:find ?e :where [?e :person/name "UNIQUE"]]""");
        var parsed = QueryCache.Parse(first);
        for (var i = 0; i < QueryCache.Capacity + 10; i++) QueryCache.Parse(Unique($"[:find ?e :where [?e :person/age {i}] [?e :person/name \"UNIQUE\"]]"));
        Assert.True(QueryCache.Count <= 4 * QueryCache.Capacity, $"{QueryCache.Count} kept");
        Assert.NotSame(parsed, QueryCache.Parse(first));
    }

    [Fact]
    public void A_huge_query_is_not_kept()
    {
        var text = Unique("""[:find ?e :where [?e :person/name "UNIQUE"] [(ground [PAD]) [?x ...]]]""").Replace("PAD", string.Join(" ", Enumerable.Range(0, 5000)));
        Assert.True(text.Length > QueryCache.MaxSize);
        Assert.NotSame(QueryCache.Parse(text), QueryCache.Parse(text));
        var form = EdnReader.Read(Unique("""[:find ?e :where [?e :person/name "UNIQUE"] [(ground [PAD]) [?e ...]]]""").Replace("PAD", string.Join(" ", Enumerable.Range(0, QueryCache.MaxSize))))!;
        Assert.NotSame(QueryCache.Parse(form), QueryCache.Parse(form));
    }

    [Fact]
    public void A_query_run_again_finds_what_the_new_database_and_inputs_hold()
    {
        const string query = "[:find ?n :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]";
        Family.AssertQ("""#{["Alice"] ["Carol"]}""", query, 30L);
        Family.AssertQ("""#{["Alice"] ["Bob"] ["Carol"]}""", query, 20L);
        var older = Family.Data.Transact("""[{:person/name "Dave" :person/age 70}]""").DbAfter;
        Family.AssertQ(older, """#{["Dave"]}""", query, 40L);
    }

    [Fact]
    public void Rules_given_again_as_the_same_text_run_on_each_database()
    {
        const string rules = "[[(anc ?x ?y) [?x :person/parent ?y]] [(anc ?x ?y) [?x :person/parent ?z] (anc ?z ?y)]]";
        const string query = """[:find ?n :in $ % :where [?d :person/name "Dave"] (anc ?d ?a) [?a :person/name ?n]]""";
        Family.AssertQ("""#{["Carol"] ["Bob"] ["Alice"]}""", query, rules);
        var cut = Family.Data.Transact("""[[:db/retract [:person/name "Bob"] :person/parent [:person/name "Alice"]]]""").DbAfter;
        Family.AssertQ(cut, """#{["Carol"] ["Bob"]}""", query, rules);
        Assert.Same(QueryCache.ParseRules(rules), QueryCache.ParseRules(rules));
    }

    [Fact]
    public void Queries_sharing_a_parse_run_in_parallel_each_with_its_own_state()
    {
        // n people aged 0..n-1, each the parent of the next: people at least min years old, and how many ancestors the
        // youngest of them has, for many databases and inputs at once on the same query and rules
        const string query = """
            [:find (count ?a) . :with ?e :in $ % ?min
             :where [?e :p/age ?age] [(>= ?age ?min)] (not [?e :p/age 0]) (anc ?e ?a)]
            """;
        const string rules = "[[(anc ?x ?y) [?x :p/parent ?y]] [(anc ?x ?y) [?x :p/parent ?z] (anc ?z ?y)]]";
        var dbs = Enumerable.Range(2, 6).Select(Chain).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var n = 2 + i % 6;
            var min = (long)(i / 6 % n);
            // (e, a) pairs with a an ancestor of e, e aged at least max(min, 1): sum over ages k of k ancestors
            var from = Math.Max(min, 1);
            long expected = 0;
            for (var k = from; k < n; k++) expected += k;
            var actual = dbs[n - 2].Q(query, rules, min);
            if (!Equals(expected, actual)) failures.Add($"n={n} min={min}: {EdnPrinter.Print(actual)}, expected {expected}");
        });
        Assert.Empty(failures);
    }

    private static Db Chain(int n)
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :p/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}]
            """).DbAfter;
        // each parent is written before its child, so the child's lookup ref finds it
        foreach (var k in Enumerable.Range(0, n))
            db = db.Transact(k == 0 ? "[{:p/age 0}]" : $"[{{:p/age {k} :p/parent [:p/age {k - 1}]}}]").DbAfter;
        return db;
    }
}
