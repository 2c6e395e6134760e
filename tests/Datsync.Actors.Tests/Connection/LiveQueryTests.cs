using System.Collections.Concurrent;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Connection;

/// <summary>Live queries on connections: the current result first, a new one only when a master transaction changes
/// it, with what was added and removed; only affected queries evaluated; replicas give master states in t order;
/// slow readers get the latest; disposal ends them.</summary>
public class LiveQueryTests(ITestOutputHelper output) : DatsyncTestKit(output: output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private const string Schema = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :item/tag :db/valueType :db.type/string :db/cardinality :db.cardinality/many}]
        """;

    private const string Big = "[:find ?k ?n :where [?e :item/key ?k] [?e :item/n ?n] [(> ?n 10)]]";

    private static string Item(string key, long n) => $$"""[{:item/key "{{key}}" :item/n {{n}}}]""";

    private static EdnVector Row(params object?[] items) => new(items);

    private async Task<IDatsyncConnection> On(DatsyncMaster master, string place)
    {
        if (place == "master") return master;
        var replica = await ConnectReplicaAsync(master, "live-" + Guid.NewGuid().ToString("N")[..6]);
        await AwaitConvergedAsync(master, replica);
        return replica;
    }

    private static LiveHub HubOf(IDatsyncConnection conn) => conn switch
    {
        DatsyncMaster m => m.Live,
        DatsyncReplica r => r.Live,
        _ => throw new ArgumentException("no hub", nameof(conn)),
    };

    public static TheoryData<string> Places => ["master", "replica"];

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_subscription_gives_the_current_result_then_each_change_with_what_was_added_and_removed(string place)
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        await master.TransactAsync(Item("a", 20)).WaitAsync(Long);
        var conn = await On(master, place);
        await using var sub = conn.Subscribe(Big);
        await using var updates = sub.GetAsyncEnumerator();

        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Long));
        Assert.Equal(new EdnSet(new object?[] { Row("a", 20L) }), updates.Current.Result);
        Assert.Equal(new object?[] { Row("a", 20L) }, updates.Current.Added);
        Assert.Empty(updates.Current.Removed);
        Assert.Equal(conn.Db.BasisT, updates.Current.T);

        var t = (await master.TransactAsync(Item("a", 30)).WaitAsync(Long)).T;
        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Long));
        Assert.Equal(t, updates.Current.T);
        Assert.Equal(new EdnSet(new object?[] { Row("a", 30L) }), updates.Current.Result);
        Assert.Equal(new object?[] { Row("a", 30L) }, updates.Current.Added);
        Assert.Equal(new object?[] { Row("a", 20L) }, updates.Current.Removed);

        // below the predicate's bound: the tuple goes, nothing comes
        var t2 = (await master.TransactAsync(Item("a", 5)).WaitAsync(Long)).T;
        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Long));
        Assert.Equal(t2, updates.Current.T);
        Assert.Equal(EdnSet.Empty, updates.Current.Result);
        Assert.Empty(updates.Current.Added);
        Assert.Equal(new object?[] { Row("a", 30L) }, updates.Current.Removed);
        if (conn is DatsyncReplica) await conn.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_transaction_that_touches_no_topic_of_a_query_does_not_evaluate_it(string place)
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        for (var i = 0; i < 5; i++) await master.TransactAsync(Item("k" + i, i)).WaitAsync(Long);
        var conn = await On(master, place);
        var steps = new ConcurrentDictionary<long, LiveStep>();
        HubOf(conn).Stepped = s => steps[s.T] = s;
        // one pull per item, and one query on k2 only
        var pulls = Enumerable.Range(0, 5).Select(i => conn.SubscribePull("[:item/key :item/n]", new object?[] { Keyword.Intern("item/key"), "k" + i })).ToList();
        await using var k2 = conn.Subscribe("[:find ?n . :where [?e :item/key \"k2\"] [?e :item/n ?n]]");
        await k2.GetAsyncEnumerator().MoveNextAsync().AsTask().WaitAsync(Long);
        foreach (var p in pulls) await AwaitAssertAsync(() => Assert.NotNull(p.Current), Long);

        // k4's tag: read by no subscription's topics (the pulls name :item/key and :item/n)
        var tagged = (await master.TransactAsync("""[[:db/add [:item/key "k4"] :item/tag "x"]]""").WaitAsync(Long)).T;
        // k3's n: only k3's pull
        var changed = (await master.TransactAsync(Item("k3", 33)).WaitAsync(Long)).T;
        await AwaitAssertAsync(() => Assert.True(steps.ContainsKey(changed)), Long);

        Assert.Equal(6, steps[tagged].Subscriptions);
        Assert.Equal(0, steps[tagged].Evaluated);
        Assert.Equal(0, steps[tagged].Emitted);
        Assert.Equal(1, steps[changed].Evaluated);
        Assert.Equal(1, steps[changed].Emitted);
        Assert.Equal(33L, ((IReadOnlyDictionary<object, object?>)pulls[3].Current!.Result!)[Keyword.Intern("item/n")]);
        Assert.Equal(2L, k2.Current!.Result);
        foreach (var p in pulls) await p.DisposeAsync();
        if (conn is DatsyncReplica) await conn.DisposeAsync();
    }

    [Fact]
    public async Task A_replica_behind_faults_gives_only_master_states_in_t_order()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        // the master's value at every t, to judge each result by
        var states = new ConcurrentDictionary<long, Db>();
        states[master.Db.BasisT] = master.Db;
        var enumerator = master.Reports.GetAsyncEnumerator(); // its reader counts from here
        var reports = Task.Run(async () => { while (await enumerator.MoveNextAsync()) states[enumerator.Current.T] = enumerator.Current.DbAfter; });
        var replica = await ConnectReplicaAsync(master, "faulty", new Faults(Seed: 7, Drop: 0.2, Duplicate: 0.2, Delay: 0.3, Reorder: 0.3));
        await AwaitConvergedAsync(master, replica);
        const string sum = "[:find (sum ?n) . :where [?e :item/n ?n]]";
        await using var sub = replica.Subscribe(sum);
        var seen = new List<QueryUpdate>();
        var reader = Task.Run(async () => { await foreach (var u in sub) lock (seen) seen.Add(u); });

        long last = 0;
        for (var i = 0; i < 40; i++)
        {
            // the replica's own writes too: their pending values must not show
            IDatsyncConnection writer = i % 3 == 0 ? replica : master;
            last = (await writer.TransactAsync(Item("k" + (i % 7), i)).WaitAsync(Long)).T;
        }
        await AwaitConvergedAsync(master, replica);
        var expected = master.Db.Q(sum);
        await AwaitAssertAsync(() => { lock (seen) Assert.Equal(expected, seen[^1].Result); }, Long);

        List<QueryUpdate> got;
        lock (seen) got = [.. seen];
        for (var i = 1; i < got.Count; i++) Assert.True(got[i].T > got[i - 1].T, $"t {got[i].T} after {got[i - 1].T}");
        foreach (var u in got)
        {
            Assert.True(states.TryGetValue(u.T, out var state), $"no master state at t={u.T}");
            Assert.Equal(state.Q(sum), u.Result);
        }
        await replica.DisposeAsync();
        await sub.DisposeAsync();
        await reader.WaitAsync(Long);
    }

    [Fact]
    public async Task A_slow_reader_gets_the_latest_result_not_every_one()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        await using var sub = master.Subscribe("[:find ?n . :where [?e :item/key \"a\"] [?e :item/n ?n]]");
        long t = 0;
        for (var i = 1; i <= 30; i++) t = (await master.TransactAsync(Item("a", i)).WaitAsync(Long)).T;
        await AwaitAssertAsync(() => Assert.Equal(30L, sub.Current?.Result), Long);
        await using var updates = sub.GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Long));
        Assert.Equal(t, updates.Current.T);
        Assert.Equal(30L, updates.Current.Result);
        Assert.Equal(new object?[] { 30L }, updates.Current.Added);
    }

    [Fact]
    public async Task A_pull_subscription_follows_ref_changes_and_retractEntity_with_its_components()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync("""
            [{:db/ident :doc/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
             {:db/ident :doc/part :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
             {:db/ident :doc/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
             {:db/ident :doc/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """).WaitAsync(Long);
        await master.TransactAsync("""[{:doc/key "o1" :doc/text "Olga"} {:doc/key "o2" :doc/text "Oleg"}]""").WaitAsync(Long);
        await master.TransactAsync("""[{:doc/key "d" :doc/owner [:doc/key "o1"] :doc/part [{:doc/text "p1"}]}]""").WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "pulls");
        await AwaitConvergedAsync(master, replica);
        const string pattern = "[:doc/key {:doc/owner [:doc/text]} {:doc/part [:doc/text]}]";
        var d = new object?[] { Keyword.Intern("doc/key"), "d" };
        await using var sub = replica.SubscribePull(pattern, d);

        async Task Expect(long t)
        {
            await AwaitAssertAsync(() =>
            {
                var u = sub.Current;
                Assert.NotNull(u);
                Assert.Equal(t, u.T);
                var db = master.Db;
                var fresh = db.EntId(d) is { } id ? db.Pull(EdnReader.Read(pattern)!, id) : null;
                Assert.Equal(EdnPrinter.Print(fresh), EdnPrinter.Print(u.Result));
            }, Long);
        }

        await Expect(replica.Db.BasisT);
        await Expect((await master.TransactAsync("""[[:db/add [:doc/key "o1"] :doc/text "Olga K"]]""").WaitAsync(Long)).T); // a nested entity's value
        await Expect((await master.TransactAsync("""[[:db/add [:doc/key "d"] :doc/owner [:doc/key "o2"]]]""").WaitAsync(Long)).T); // the ref moves
        var part = master.Db.Q("[:find ?p . :where [?d :doc/key \"d\"] [?d :doc/part ?p]]");
        await Expect((await master.TransactAsync($"[[:db/add {part} :doc/text \"p1 edited\"]]").WaitAsync(Long)).T); // a component's value
        await Expect((await master.TransactAsync("""[[:db/retractEntity [:doc/key "d"]]]""").WaitAsync(Long)).T); // gone, with its part
        Assert.Null(sub.Current!.Result);
        Assert.Null(master.Db.Entity((long)part!)?.Get<string>(":doc/text"));
        await replica.DisposeAsync();
    }

    [Fact]
    public async Task Many_subscribers_on_one_replica_each_get_their_own_results()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "many");
        await AwaitConvergedAsync(master, replica);
        var subs = Enumerable.Range(0, 200).Select(i => replica.Subscribe("[:find ?n . :in $ ?k :where [?e :item/key ?k] [?e :item/n ?n]]", "k" + i)).ToList();
        var tx = "[" + string.Concat(Enumerable.Range(0, 200).Select(i => $$"""{:item/key "k{{i}}" :item/n {{i * 2}}}""")) + "]";
        await master.TransactAsync(tx).WaitAsync(Long);
        await AwaitAssertAsync(() =>
        {
            for (var i = 0; i < subs.Count; i++) Assert.Equal((long)i * 2, subs[i].Current?.Result);
        }, Long);
        foreach (var s in subs) s.Dispose();
        await replica.DisposeAsync();
    }

    [Fact]
    public async Task Disposing_a_subscription_or_its_connection_ends_the_enumerations()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "ends");
        await AwaitConvergedAsync(master, replica);
        var one = replica.Subscribe("[:find ?k :where [?e :item/key ?k]]");
        var two = replica.Subscribe("[:find ?n :where [?e :item/n ?n]]");
        async Task<int> Count(QuerySubscription s)
        {
            var n = 0;
            await foreach (var _ in s) n++;
            return n;
        }
        var first = Count(one);
        var second = Count(two);
        await AwaitAssertAsync(() => Assert.NotNull(one.Current), Long);
        await one.DisposeAsync();
        Assert.True(await first.WaitAsync(Long) >= 1);
        await master.TransactAsync(Item("x", 1)).WaitAsync(Long);
        await AwaitAssertAsync(() => Assert.Equal(new EdnSet(new object?[] { Row(1L) }), two.Current?.Result), Long);
        await replica.DisposeAsync();
        Assert.True(await second.WaitAsync(Long) >= 1);
        Assert.ThrowsAny<ObjectDisposedException>(() => replica.Subscribe("[:find ?k :where [?e :item/key ?k]]"));
    }

    [Fact]
    public async Task The_observable_adapter_gives_the_current_result_then_each_change_until_it_is_unsubscribed()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        await using var sub = master.Subscribe("[:find ?n . :where [?e :item/key \"o\"] [?e :item/n ?n]]");
        var seen = new ConcurrentQueue<QueryUpdate>();
        var observer = new Observer(seen);
        var unsubscribe = sub.AsObservable().Subscribe(observer);
        await AwaitAssertAsync(() => Assert.Single(seen), Long);
        Assert.Null(seen.Single().Result); // nothing yet
        var t = (await master.TransactAsync(Item("o", 7)).WaitAsync(Long)).T;
        await AwaitAssertAsync(() => Assert.Equal(2, seen.Count), Long);
        Assert.Equal(7L, seen.Last().Result);
        Assert.Equal(t, seen.Last().T);

        unsubscribe.Dispose(); // as in Rx, an observer that unsubscribes is told nothing more, not even OnCompleted
        await master.TransactAsync(Item("o", 8)).WaitAsync(Long);
        await AwaitAssertAsync(() => Assert.Equal(8L, sub.Current?.Result), Long);
        Assert.Equal(2, seen.Count); // nothing after it was unsubscribed
        Assert.Null(observer.Error);
        Assert.False(observer.Completed);
    }

    private sealed class Observer(ConcurrentQueue<QueryUpdate> seen) : IObserver<QueryUpdate>
    {
        public volatile bool Completed;
        public Exception? Error;
        public void OnNext(QueryUpdate value) => seen.Enqueue(value);
        public void OnError(Exception error) => Error = error;
        public void OnCompleted() => Completed = true;
    }

    [Fact]
    public async Task A_malformed_query_is_refused_at_once_and_a_failing_one_says_why_until_a_transaction_mends_it()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var bad = Assert.Throws<QueryException>(() => master.Subscribe("[:find ?x :where [?x :item/key] 42]"));
        Assert.Contains("42", bad.Message);

        await using var sub = master.Subscribe("[:find ?n . :where [[:item/key \"late\"] :item/n ?n]]");
        await AwaitAssertAsync(() => Assert.NotNull(sub.Current?.Error), Long);
        Assert.Contains("late", sub.Current!.Error);
        await master.TransactAsync(Item("late", 9)).WaitAsync(Long);
        await AwaitAssertAsync(() => Assert.Equal(9L, sub.Current?.Result), Long);
        Assert.Null(sub.Current!.Error);
    }
}
