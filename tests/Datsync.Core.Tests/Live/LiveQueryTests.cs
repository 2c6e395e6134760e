using Datsync.Core;

namespace Datsync.Core.Tests.Live;

/// <summary>How live queries prune: the topics a query records, the subscriptions the index finds for a transaction,
/// the one-pattern queries kept from the datoms, and result differences.</summary>
public class LiveQueryTests
{
    private static readonly DateTime When = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Db People()
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :p/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
             {:db/ident :p/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
             {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
            """, When).DbAfter;
        db = db.Transact("""[{:p/key "a" :p/age 30} {:p/key "b" :p/age 40}]""", When).DbAfter;
        return db.Transact("""[{:p/key "c" :p/age 50 :p/friend [:p/key "a"]}]""", When).DbAfter;
    }

    private static TxReport Tx(Db db, string tx) => db.Transact(tx, When);

    [Fact]
    public void A_join_is_not_evaluated_again_for_a_change_of_another_entity()
    {
        var db = People();
        var live = LiveQuery.Of("[:find ?a . :where [?e :p/key \"a\"] [?e :p/age ?a]]", []);
        var first = live.Run(db);
        Assert.Equal(30L, first.Result);

        var other = Tx(db, """[[:db/add [:p/key "b"] :p/age 41]]""");
        var (same, changed, evaluated) = live.Next(first, other.DbAfter, other.TxData);
        Assert.False(evaluated);
        Assert.False(changed);
        Assert.Equal(other.DbAfter.BasisT, same.T);

        var mine = Tx(other.DbAfter, """[[:db/add [:p/key "a"] :p/age 31]]""");
        var (next, changed2, evaluated2) = live.Next(same, mine.DbAfter, mine.TxData);
        Assert.True(evaluated2);
        Assert.True(changed2);
        Assert.Equal(31L, next.Result);
    }

    [Fact]
    public void A_change_the_query_reads_but_that_leaves_its_result_as_it_was_is_evaluated_and_not_emitted()
    {
        var db = People();
        var live = LiveQuery.Of("[:find ?k :where [?e :p/key ?k] [?e :p/age ?a] [(> ?a 35)]]", []);
        var first = live.Run(db);
        var r = Tx(db, """[[:db/add [:p/key "b"] :p/age 45]]"""); // still over 35
        var (_, changed, evaluated) = live.Next(first, r.DbAfter, r.TxData);
        Assert.True(evaluated);
        Assert.False(changed);
    }

    [Fact]
    public void The_index_finds_only_the_subscriptions_of_the_changed_entity_and_every_one_on_a_schema_change()
    {
        var db = People();
        var index = new TopicIndex<string>();
        var live = new Dictionary<string, LiveResult>();
        foreach (var k in new[] { "a", "b", "c" })
        {
            var r = LiveQuery.OfPull(EdnReader.Read("[:p/age]")!, new object?[] { Keyword.Intern("p/key"), k }).Run(db);
            index.Set(k, r.Topics);
            live[k] = r;
        }
        var all = LiveQuery.Of("[:find (count ?e) . :where [?e :p/nick]]", []).Run(db);
        index.Set("nicks", all.Topics);

        var r1 = Tx(db, """[[:db/add [:p/key "b"] :p/age 41]]""");
        Assert.Equal(["b"], index.Affected(r1.TxData, out _).Order());
        var r2 = Tx(db, """[[:db/add [:p/key "c"] :p/nick "cc"]]""");
        Assert.Equal(["nicks"], index.Affected(r2.TxData, out _).Order());
        var r3 = Tx(db, """[{:db/ident :p/new :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]""");
        Assert.Equal(["a", "b", "c", "nicks"], index.Affected(r3.TxData, out _).Order());

        index.Remove("b");
        Assert.Empty(index.Affected(r1.TxData, out _));
        Assert.Equal(3, index.Count);
    }

    [Fact]
    public void A_pattern_with_nothing_bound_listens_to_every_datom_of_its_attribute_and_a_free_attribute_to_all()
    {
        var db = People();
        var byAttr = LiveQuery.Of("[:find ?e :where [?e :p/nick]]", []).Run(db);
        var any = LiveQuery.Of("[:find ?v :where [?e ?a ?v] [(= ?v \"zz\")]]", []).Run(db);
        var nick = Tx(db, """[[:db/add [:p/key "a"] :p/nick "x"]]""");
        var age = Tx(db, """[[:db/add [:p/key "a"] :p/age 1]]""");
        Assert.True(byAttr.Topics.MayBeChangedBy(nick.TxData));
        Assert.False(byAttr.Topics.MayBeChangedBy(age.TxData));
        Assert.True(any.Topics.MayBeChangedBy(age.TxData));
    }

    [Fact]
    public void A_one_pattern_query_is_kept_from_the_datoms_and_a_join_is_run_again()
    {
        var db = People();
        var one = LiveQuery.Of("[:find ?e ?a :where [?e :p/age ?a]]", []);
        var join = LiveQuery.Of("[:find ?k ?a :where [?e :p/key ?k] [?e :p/age ?a]]", []);
        var (o, j) = (one.Run(db), join.Run(db));
        var r = Tx(db, """[[:db/add [:p/key "a"] :p/age 33] {:p/key "d" :p/age 60}]""");
        var (o2, _, _) = one.Next(o, r.DbAfter, r.TxData);
        var (j2, _, _) = join.Next(j, r.DbAfter, r.TxData);
        Assert.Same(o.Topics, o2.Topics); // not run: its topics are the same
        Assert.NotSame(j.Topics, j2.Topics);
        Assert.True(EdnEquality.Instance.Equals(r.DbAfter.Q("[:find ?e ?a :where [?e :p/age ?a]]"), o2.Result)); // as sets
        var a = r.DbAfter.EntId(new object?[] { Keyword.Intern("p/key"), "a" });
        Assert.Contains(new EdnVector(a, 33L), (EdnSet)o2.Result!);
        Assert.DoesNotContain(new EdnVector(a, 30L), (EdnSet)o2.Result!);
    }

    [Fact]
    public void Differences_are_of_tuples_for_relations_and_multisets_with_with_and_of_the_value_for_scalars()
    {
        var before = new EdnSet(new object?[] { new EdnVector("a", 1L), new EdnVector("b", 2L) });
        var after = new EdnSet(new object?[] { new EdnVector("b", 2L), new EdnVector("c", 3L) });
        var (added, removed) = ResultDiff.Of(FindShape.Relation, before, after);
        Assert.Equal([new EdnVector("c", 3L)], added);
        Assert.Equal([new EdnVector("a", 1L)], removed);

        var (add2, rem2) = ResultDiff.Of(FindShape.Relation, new EdnVector(1L, 1L, 2L), new EdnVector(1L, 2L, 2L));
        Assert.Equal([2L], add2);
        Assert.Equal([1L], rem2);

        var (add3, rem3) = ResultDiff.Of(FindShape.Scalar, 5L, 6L);
        Assert.Equal([6L], add3);
        Assert.Equal([5L], rem3);
        var (add4, rem4) = ResultDiff.Of(FindShape.Scalar, null, 6L);
        Assert.Equal([6L], add4);
        Assert.Empty(rem4);
        var (add5, rem5) = ResultDiff.Of(FindShape.Relation, before, before);
        Assert.Empty(add5);
        Assert.Empty(rem5);
    }

    [Fact]
    public void A_query_that_fails_on_a_value_keeps_the_error_and_listens_to_everything_until_it_runs()
    {
        var db = People();
        var live = LiveQuery.Of("[:find ?a . :where [[:p/key \"z\"] :p/age ?a]]", []);
        var failed = live.Run(db);
        Assert.NotNull(failed.Error);
        Assert.Contains("\"z\"", failed.Error.Message);
        Assert.True(failed.Topics.Everything);
        var r = Tx(db, """[{:p/key "z" :p/age 7}]""");
        var (next, changed, _) = live.Next(failed, r.DbAfter, r.TxData);
        Assert.True(changed);
        Assert.Null(next.Error);
        Assert.Equal(7L, next.Result);
    }
    [Fact]
    public void A_recursive_pull_listens_to_the_entities_its_recursion_reaches()
    {
        var db = Tx(People(), """[[:db/add [:p/key "a"] :p/friend [:p/key "b"]]]""").DbAfter;
        var pattern = EdnReader.Read("[:p/key {:p/friend ...}]");
        var live = LiveQuery.OfPull(pattern!, EdnReader.Read("[:p/key \"c\"]")!);
        var first = live.Run(db);

        // b is two steps from the root: its friends are read by the recursion, not by the root's pattern
        var r = Tx(db, """[[:db/add [:p/key "b"] :p/friend [:p/key "b"]]]""");
        var (next, changed, evaluated) = live.Next(first, r.DbAfter, r.TxData);
        Assert.True(evaluated);
        Assert.True(changed);
        Assert.Equal(ResultValues.Canonical(r.DbAfter.Pull(PullPattern.Parse(pattern!), r.DbAfter.EntId(EdnReader.Read("[:p/key \"c\"]"))!.Value)), next.Result);
        Assert.NotEqual(first.Result, next.Result);
    }
}
