using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Datsync.Actors.Tests.TestKit;

/// <summary>The TestKit itself: held deltas, seeded faults, convergence waits and the equality assertion.</summary>
public class DatsyncTestKitTests(ITestOutputHelper output) : DatsyncTestKit(output: output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private const string Schema = """
        [{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]
        """;

    private static string Item(string key, long n) => $$"""[{:item/key "{{key}}" :item/n {{n}}}]""";

    private static long? Key(Db db, string key) => db.EntId(new object?[] { Keyword.Intern("item/key"), key });

    [Fact]
    public async Task A_held_link_keeps_the_deltas_from_its_replica_and_releases_them_in_order()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var replica = await ConnectReplicaAsync(master, "held");
        await AwaitConvergedAsync(master, replica);
        var before = replica.Status.BasisT;
        var link = Link(replica);
        Assert.Same(replica, link.Replica);

        link.Hold();
        var ts = new List<long>();
        for (var i = 0; i < 3; i++) ts.Add((await master.TransactAsync(Item("k" + i, i)).WaitAsync(Long)).T);
        await link.AwaitHeldAsync(ts[^1]);
        Assert.Equal(before, replica.Status.BasisT); // the replica has none of them
        Assert.Null(Key(replica.Db, "k0"));

        await using var reports = replica.Reports.GetAsyncEnumerator();
        var next = reports.MoveNextAsync().AsTask(); // the enumeration starts before the release
        link.Release();
        var applied = new List<long>();
        while (applied.Count < ts.Count)
        {
            Assert.True(await next.WaitAsync(Long));
            applied.Add(reports.Current.T);
            if (applied.Count < ts.Count) next = reports.MoveNextAsync().AsTask();
        }
        Assert.Equal(ts, applied);
        Assert.NotNull(Key(replica.Db, "k2"));
        AssertReplicaEqualsMaster(master, replica);
    }

    [Fact]
    public async Task Replicas_behind_seeded_faults_converge_and_every_kind_of_fault_happened()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var replicas = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            ConnectReplicaAsync(master, "f" + i, new Faults(Seed: 7 + i, Drop: 0.1, Duplicate: 0.1, Delay: 0.2, Reorder: 0.1))));
        for (var i = 0; i < 40; i++) await master.TransactAsync(Item("k" + i % 7, i)).WaitAsync(Long);
        await replicas[0].TransactAsync(Item("from-a-replica", 1)).WaitAsync(Long);

        await AwaitConvergedAsync(master, replicas);
        foreach (var r in replicas) AssertReplicaEqualsMaster(master, r);
        var stats = await Task.WhenAll(replicas.Select(r => Link(r).StatsAsync()));
        Assert.True(stats.Sum(s => s.Dropped) > 0, "dropped");
        Assert.True(stats.Sum(s => s.Duplicated) > 0, "duplicated");
        Assert.True(stats.Sum(s => s.Delayed) > 0, "delayed");
        Assert.True(stats.Sum(s => s.Reordered) > 0, "reordered");
    }

    [Fact]
    public async Task The_equality_assertion_fails_against_another_masters_value_and_names_the_datoms()
    {
        var master = await StartMasterAsync("equal-a");
        var other = await StartMasterAsync("equal-b");
        foreach (var m in new[] { master, other }) await m.TransactAsync(Schema).WaitAsync(Long);
        await master.TransactAsync(Item("a", 1)).WaitAsync(Long);
        await other.TransactAsync(Item("a", 2)).WaitAsync(Long); // the same t, another value
        var replica = await ConnectReplicaAsync(master, "c1");
        await AwaitConvergedAsync(master, replica);
        AssertReplicaEqualsMaster(master, replica);
        Assert.Equal(master.Db.BasisT, other.Db.BasisT);

        var differs = Assert.Throws<XunitException>(() => AssertReplicaEqualsMaster(other, replica));
        Assert.Contains("differs from master equal-b", differs.Message);
        Assert.Contains(":item/n 2]", differs.Message); // what only the other master has
        Assert.Contains(":item/n 1]", differs.Message); // what only the replica has

        await other.TransactAsync(Item("b", 3)).WaitAsync(Long);
        var ahead = Assert.Throws<XunitException>(() => AssertReplicaEqualsMaster(other, replica));
        Assert.Contains($"master equal-b at t={other.Db.BasisT}", ahead.Message);
    }

    [Fact]
    public async Task Awaiting_convergence_times_out_while_a_link_holds_and_completes_once_it_releases()
    {
        var master = await StartMasterAsync();
        await master.TransactAsync(Schema).WaitAsync(Long);
        var free = await ConnectReplicaAsync(master, "free");
        var held = await ConnectReplicaAsync(master, "held");
        Link(held).Hold();
        var t = (await master.TransactAsync(Item("a", 1)).WaitAsync(Long)).T;
        await Link(held).AwaitHeldAsync(t);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => AwaitConvergedAsync(master, [free, held], TimeSpan.FromMilliseconds(300)));
        Assert.Contains("held at t=", timeout.Message);
        Assert.DoesNotContain("free at", timeout.Message);
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AwaitConvergedAsync(master, [held], Long, cancelled.Token));
        }

        Link(held).Release();
        await AwaitConvergedAsync(master, free, held);
        Assert.Equal(t, held.Status.BasisT);
        AssertReplicaEqualsMaster(master, held);
    }

    [Fact]
    public async Task A_disposed_master_ends_its_reports_and_leaves_the_test_system_running_and_its_journal_for_the_next()
    {
        var master = await StartMasterAsync("again");
        await master.TransactAsync(Schema).WaitAsync(Long);
        var t = (await master.TransactAsync(Item("a", 1)).WaitAsync(Long)).T;
        await using var reports = master.Reports.GetAsyncEnumerator();
        var next = reports.MoveNextAsync().AsTask();

        await master.DisposeAsync();
        Assert.False(await next.WaitAsync(Long)); // the reports ended
        Assert.False(Sys.WhenTerminated.IsCompleted);

        var again = await StartMasterAsync("again");
        Assert.Equal(t, again.Db.BasisT);
        Assert.NotNull(Key(again.Db, "a"));
    }

    [Fact]
    public async Task A_disposed_replica_ends_its_link_a_replica_not_started_here_has_none_and_faults_must_be_probabilities()
    {
        var master = await StartMasterAsync();
        var replica = await ConnectReplicaAsync(master, "c1");
        var shim = Link(replica).Shim;
        Watch(shim);
        await replica.DisposeAsync();
        ExpectTerminated(shim, Long);

        await using var stranger = DatsyncReplica.Start(Sys, master.Server, "stranger");
        Assert.Throws<ArgumentException>(() => Link(stranger));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ConnectReplicaAsync(master, "c2", new Faults(Drop: 1.5)));
        await Assert.ThrowsAsync<ArgumentException>(() => ConnectReplicaAsync(master, "c3", new Faults(Drop: 0.6, Delay: 0.6)));
    }
}
