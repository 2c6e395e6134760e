using Akka.Actor;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

public class ReplicaWriteTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly Keyword ItemRef = Keyword.Intern("item/ref");

    private static long RefOf(Db db, long e) => (long)db.Datoms(IndexType.Eavt, e, ItemRef).Single().V;

    [Fact]
    public async Task Several_replicas_write_at_once_with_tempids_and_refs_between_new_entities_of_one_transaction()
    {
        var (master, server) = StartMaster("write-many");
        Commit(master, RichSchemaEdn);
        var replicas = Enumerable.Range(0, 4).Select(i => StartReplica(server, "w" + i)).ToList();
        foreach (var r in replicas) await r.Ready.WaitAsync(Long);

        var writes = replicas.SelectMany((r, j) => Enumerable.Range(0, 5).Select(i => r.Submit($$"""
            [{:db/id "parent" :item/key "p{{j}}-{{i}}"}
             {:db/id "child" :item/key "c{{j}}-{{i}}" :item/ref "parent" :item/refs ["parent" "other"]}
             [:db/add "other" :item/n {{i}}]]
            """))).ToList();
        var results = await Task.WhenAll(writes).WaitAsync(Long);
        AwaitEqual(master, replicas);

        var db = DbOf(master.Transactor);
        Assert.Equal(results.Length, results.Select(r => r.T).Distinct().Count());
        foreach (var r in results)
        {
            Assert.All(r.Tempids.Values, id => Assert.True(id < ReplicaState.LocalIdBase));
            Assert.All(r.LocalTempids.Values, id => Assert.True(id >= ReplicaState.LocalIdBase));
            Assert.Equal(r.Tempids["parent"], RefOf(db, r.Tempids["child"]));
            Assert.Equal(new[] { r.Tempids["parent"], r.Tempids["other"] }.Order(),
                db.Datoms(IndexType.Eavt, r.Tempids["child"], Keyword.Intern("item/refs")).Select(d => (long)d.V).Order());
            Assert.Equal(r.Tempids["parent"], r.LocalToRemote[r.LocalTempids["parent"]]);
        }
        Assert.All(replicas, r => Assert.Equal(0, r.Status.PendingLocal));
    }

    [Fact]
    public async Task A_transaction_that_names_an_entity_of_an_earlier_pending_transaction_of_the_same_replica_commits_after_it_with_its_master_id()
    {
        var (master, server) = StartMaster("write-chain");
        Commit(master, RichSchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        var (other, _) = StartShimmedReplica(server, "c2", 2, Faults.None);
        await replica.Ready.WaitAsync(Long);
        await other.Ready.WaitAsync(Long);
        var t0 = MasterT(master);
        shim.Tell(new FaultShim.Hold(m => m is SubmitTx or SubmitTxData)); // the master hears nothing until released

        var first = replica.Submit("""[{:db/id "parent" :item/key "parent" :item/n 1}]""");
        long localParent = 0;
        AwaitAssert(() => localParent = Lookup(replica.Db, "item/key", "parent") ?? throw new Xunit.Sdk.XunitException("not in the view yet"), Long);
        Assert.True(localParent >= ReplicaState.LocalIdBase);
        Assert.Null(replica.RemoteId(localParent));
        var second = replica.Submit($$"""[{:db/id "child" :item/key "child" :item/ref {{localParent}}} [:db/add {{localParent}} :item/n 2]]""");
        AwaitAssert(() => Assert.Equal(2, replica.Status.PendingLocal), Long);
        var localChild = Lookup(replica.Db, "item/key", "child")!.Value;
        Assert.Equal(localParent, RefOf(replica.Db, localChild));
        Assert.Equal(t0, MasterT(master));
        Assert.Null(Lookup(replica.SyncedDb, "item/key", "parent"));

        shim.Tell(new FaultShim.Hold(null));
        var r1 = await first.WaitAsync(Long);
        var r2 = await second.WaitAsync(Long);
        Assert.True(r2.T > r1.T);
        var parent = r1.Tempids["parent"];
        Assert.Equal(localParent, r1.LocalTempids["parent"]);
        Assert.Equal(parent, replica.RemoteId(localParent));

        AwaitEqual(master, replica);
        AwaitEqual(master, other);
        var db = DbOf(master.Transactor);
        Assert.Equal(parent, RefOf(db, r2.Tempids["child"]));
        Assert.Equal(2L, db.Datoms(IndexType.Eavt, parent, Keyword.Intern("item/n")).Single().V);
        Assert.Equal(parent, RefOf(other.Db, Lookup(other.Db, "item/key", "child")!.Value));
        Assert.Equal(parent, Lookup(replica.Db, "item/key", "parent"));
        Assert.Equal(0, replica.Status.PendingLocal);
    }

    [Fact]
    public async Task A_transaction_the_master_rejects_as_a_unique_conflict_faults_with_that_category_and_changes_nothing_anywhere()
    {
        var (master, server) = StartMaster("write-reject");
        Commit(master, RichSchemaEdn);
        var (a, shimA) = StartShimmedReplica(server, "a", 1, Faults.None);
        var (b, _) = StartShimmedReplica(server, "b", 2, Faults.None);
        var c = StartReplica(server, "c");
        foreach (var r in new[] { a, b, c }) await r.Ready.WaitAsync(Long);

        shimA.Tell(new FaultShim.Hold(m => m is SubmitTx or SubmitTxData));
        var losing = a.Submit("""[{:db/id "x" :item/key "from-a" :item/email "dup@x"}]""");
        long localX = 0;
        AwaitAssert(() => localX = Lookup(a.Db, "item/key", "from-a") ?? throw new Xunit.Sdk.XunitException("not in the view yet"), Long);
        var dependent = a.Submit($$"""[[:db/add {{localX}} :item/n 7]]""");
        AwaitAssert(() => Assert.Equal(2, a.Status.PendingLocal), Long);

        await b.Submit("""[{:item/key "from-b" :item/email "dup@x"}]""").WaitAsync(Long);
        var before = DbOf(master.Transactor);
        await a.SyncAsync(before.BasisT).WaitAsync(Long);
        shimA.Tell(new FaultShim.Hold(null));

        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => losing.WaitAsync(Long));
        Assert.Equal(TxErrors.UniqueConflict, ex.Category);
        var ex2 = await Assert.ThrowsAsync<TxRejectedException>(() => dependent.WaitAsync(Long));
        Assert.Equal(TxErrors.NotAnEntity, ex2.Category);

        var after = DbOf(master.Transactor);
        Assert.Equal(before.BasisT, after.BasisT);
        Assert.Equal(AllDatoms(before), AllDatoms(after));
        foreach (var r in new[] { a, b, c })
        {
            AwaitEqual(master, r);
            Assert.Null(Lookup(r.Db, "item/key", "from-a"));
            Assert.NotNull(Lookup(r.Db, "item/key", "from-b"));
        }
        AwaitAssert(() => Assert.Equal(0, a.Status.PendingLocal), Long);
        Assert.Equal(AllDatoms(a.SyncedDb), AllDatoms(a.Db));
    }

    [Fact]
    public async Task A_transaction_invalid_on_the_replica_faults_at_once_and_nothing_is_sent()
    {
        var (master, server) = StartMaster("write-invalid");
        Commit(master, RichSchemaEdn);
        Commit(master, """[{:item/key "k" :item/email "taken@x"}]""");
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        await replica.SyncAsync(MasterT(master)).WaitAsync(Long);
        var t = MasterT(master);

        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => replica.Submit("""[{:item/key "other" :item/email "taken@x"}]""").WaitAsync(Long));
        Assert.Equal(TxErrors.UniqueConflict, ex.Category);
        ex = await Assert.ThrowsAsync<TxRejectedException>(() => replica.Submit("""[[:db/add "x" :item/nope 1]]""").WaitAsync(Long));
        Assert.Equal(TxErrors.NotAnAttribute, ex.Category);
        Assert.Equal(0, replica.Status.PendingLocal);
        Assert.Equal(t, MasterT(master));
        AwaitEqual(master, replica);
    }

    [Fact]
    public async Task Chains_of_transactions_over_pending_local_ids_commit_in_order_behind_faults()
    {
        var (master, server) = StartMaster("write-chain-faults");
        Commit(master, RichSchemaEdn);
        var (replica, _) = StartShimmedReplica(server, "c1", 77, Faults.Default with { Drop = 0.2 });
        var (other, _) = StartShimmedReplica(server, "c2", 78, Faults.Default);
        await replica.Ready.WaitAsync(Long);
        await other.Ready.WaitAsync(Long);

        var parents = new List<Task<ReplicaTxResult>>();
        var children = new List<Task<ReplicaTxResult>>();
        for (var i = 0; i < 12; i++)
        {
            parents.Add(replica.Submit($$"""[{:db/id "p" :item/key "p{{i}}" :item/n {{i}}}]"""));
            long local = 0;
            AwaitAssert(() => local = Lookup(replica.Db, "item/key", $"p{i}") ?? throw new Xunit.Sdk.XunitException("not in the view yet"), Long);
            children.Add(replica.Submit($$"""[{:db/id "c" :item/key "c{{i}}" :item/ref {{local}}} [:db/add {{local}} :item/refs "c"]]"""));
        }
        var ps = await Task.WhenAll(parents).WaitAsync(Long);
        var cs = await Task.WhenAll(children).WaitAsync(Long);
        AwaitEqual(master, replica);
        AwaitEqual(master, other);
        var db = DbOf(master.Transactor);
        for (var i = 0; i < ps.Length; i++)
        {
            var p = ps[i].Tempids["p"];
            var c = cs[i].Tempids["c"];
            Assert.Equal(p, db.Datoms(IndexType.Eavt, c, Keyword.Intern("item/ref")).Single().V);
            Assert.Equal(c, db.Datoms(IndexType.Eavt, p, Keyword.Intern("item/refs")).Single().V);
            Assert.True(cs[i].T > ps[i].T);
        }
        Assert.Equal(0, replica.Status.PendingLocal);
        Assert.Equal(AllDatoms(replica.SyncedDb), AllDatoms(replica.Db));
    }

    [Fact]
    public async Task A_new_entity_of_a_replica_that_the_master_upserts_onto_an_entity_the_replica_had_not_seen_maps_to_that_entity()
    {
        var (master, server) = StartMaster("write-upsert");
        Commit(master, RichSchemaEdn);
        var (replica, shim) = StartShimmedReplica(server, "c1", 1, Faults.None);
        await replica.Ready.WaitAsync(Long);
        shim.Tell(new FaultShim.Hold(m => m is TxDelta or TxDeltaBatch or TxRangeResult));
        var existing = Commit(master, """[{:db/id "k" :item/key "k" :item/n 1}]""").Tempids["k"];

        var write = replica.Submit("""[{:db/id "x" :item/key "k" :item/n 2} {:db/id "y" :item/key "y" :item/ref "x"}]""");
        long local = 0;
        AwaitAssert(() => local = Lookup(replica.Db, "item/key", "k") ?? throw new Xunit.Sdk.XunitException("not in the view yet"), Long);
        Assert.True(local >= ReplicaState.LocalIdBase); // new here: the replica had not seen "k"
        shim.Tell(new FaultShim.Hold(null));

        var result = await write.WaitAsync(Long);
        Assert.Equal(existing, result.Tempids["x"]);
        Assert.Equal(local, result.LocalTempids["x"]);
        Assert.Equal(existing, replica.RemoteId(local));
        AwaitEqual(master, replica);
        var db = DbOf(master.Transactor);
        Assert.Equal(2L, db.Datoms(IndexType.Eavt, existing, Keyword.Intern("item/n")).Single().V);
        Assert.Equal(existing, RefOf(db, result.Tempids["y"]));
        Assert.Equal(existing, Lookup(replica.Db, "item/key", "k"));
    }

    [Fact]
    public async Task A_write_through_a_replica_that_upserts_onto_an_entity_it_holds_keeps_the_master_id()
    {
        var (master, server) = StartMaster("write-upsert-known");
        Commit(master, RichSchemaEdn);
        var existing = Commit(master, """[{:db/id "k" :item/key "k" :item/n 1}]""").Tempids["k"];
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);
        await replica.SyncAsync(MasterT(master)).WaitAsync(Long);
        var result = await replica.Submit("""[{:db/id "x" :item/key "k" :item/n 3}]""").WaitAsync(Long);
        Assert.Equal(existing, result.Tempids["x"]);
        Assert.False(result.LocalTempids.ContainsKey("x"));
        AwaitEqual(master, replica);
        Assert.Equal(3L, replica.Db.Datoms(IndexType.Eavt, existing, Keyword.Intern("item/n")).Single().V);
    }
}
