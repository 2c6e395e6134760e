using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replica;

/// <summary>The durable outbox of a replica with a store: local transactions wait there (while connected until the
/// master answers, and while not connected), are taken back in order when the replica starts again, commit once, and
/// leave it when committed or rejected; a rejection is reported on <see cref="DatsyncReplica.Rejections"/>.</summary>
public sealed class OutboxTests(ITestOutputHelper output) : ReplicationTestKit(output), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "datsync-outbox-" + Guid.NewGuid().ToString("N")[..8]);

    private ReplicaSettings WithStore() => QuickReplica with { Store = _dir, QueueOffline = true };

    private IReadOnlyList<OutboxEntry> OutboxOf(string clientId)
    {
        using var store = ReplicaStore.Open(_dir, clientId);
        return store.Outbox();
    }

    private async Task Stop(DatsyncReplica replica)
    {
        Watch(replica.Actor);
        await replica.DisposeAsync();
        ExpectTerminated(replica.Actor, Long);
    }

    /// <summary>A master holding <paramref name="world"/> and the store of client c1 synced with it (its replica stopped).</summary>
    private async Task<(MasterHandle Master, IActorRef Server)> Synced(string name, string world)
    {
        var (master, server) = StartMaster(name);
        Commit(master, SchemaEdn);
        Commit(master, world);
        var first = StartReplica(server, "c1", WithStore());
        await first.Ready.WaitAsync(Long);
        AwaitEqual(master, first);
        await Stop(first);
        return (master, server);
    }

    private static long Count(Db db, string key) =>
        db.Datoms(IndexType.Aevt, db.Schema[Keyword.Intern("item/key")]!.Id).Count(d => Equals(d.V, key));

    [Fact]
    public async Task A_connected_replicas_transaction_leaves_the_outbox_once_committed()
    {
        var (master, server) = StartMaster("outbox-online");
        Commit(master, SchemaEdn);
        var replica = StartReplica(server, "c1", WithStore());
        await replica.Ready.WaitAsync(Long);
        var r = await replica.TransactAsync("""[{:item/key "online" :item/n 1}]""").WaitAsync(Long);
        Assert.Equal(r.T, MasterT(master));
        await Stop(replica);
        Assert.Empty(OutboxOf("c1"));
    }

    [Fact]
    public async Task Transactions_made_offline_wait_in_the_outbox_and_commit_once_in_order_when_the_replica_starts_again()
    {
        var (master, server) = await Synced("outbox-offline", """[{:item/key "taken" :item/n 0}]""");

        // offline: a server that never answers; the writes are taken, applied to the view, and kept on disk
        var silent = CreateTestProbe();
        var offline = StartReplica(silent.Ref, "c1", WithStore());
        var pending = new List<Task<TxResult>>
        {
            offline.TransactAsync("""[{:db/id "a" :item/key "a" :item/n 1}]"""),
            offline.TransactAsync("""[[:db/add [:item/key "a"] :item/n 2]]"""), // names the entity of the one before
            offline.TransactAsync("""[{:item/key "b" :item/n 3}]"""),
        };
        AwaitAssert(() => Assert.Equal(3L, offline.Db.Entity(Lookup(offline.Db, "item/key", "b")!.Value)!.Get<long>(":item/n")), Long);
        Assert.Equal(2L, offline.Db.Entity(Lookup(offline.Db, "item/key", "a")!.Value)!.Get<long>(":item/n"));
        Assert.All(pending, t => Assert.False(t.IsCompleted));
        await Stop(offline);
        Assert.All(pending, t => Assert.True(t.IsFaulted)); // the callers are gone with that replica; the outbox is not
        var queued = OutboxOf("c1");
        Assert.Equal(3, queued.Count);
        Assert.Equal(queued.Select(e => e.MutationId).Order(), queued.Select(e => e.MutationId));
        Assert.All(queued, e => Assert.EndsWith("#" + e.MutationId, e.RequestId));
        var t0 = MasterT(master);

        // online again: taken back, sent in order, committed once each
        var online = StartReplica(server, "c1", WithStore());
        await online.Ready.WaitAsync(Long);
        AwaitAssert(() => Assert.Equal(t0 + 3, MasterT(master)), Long);
        AwaitEqual(master, online);
        var db = DbOf(master.Transactor);
        Assert.Equal(2L, db.Entity(Lookup(db, "item/key", "a")!.Value)!.Get<long>(":item/n"));
        Assert.Equal(1, Count(db, "a"));
        Assert.Equal(1, Count(db, "b"));
        await Stop(online);
        Assert.Empty(OutboxOf("c1"));
    }

    [Fact]
    public async Task A_queued_transaction_the_master_rejects_leaves_the_view_and_is_reported()
    {
        var (master, server) = await Synced("outbox-rejected", """[{:item/key "x" :item/n 0}]""");

        var silent = CreateTestProbe();
        var offline = StartReplica(silent.Ref, "c1", WithStore());
        _ = offline.TransactAsync("""[{:item/key "y" :item/n 1}]""");
        _ = offline.TransactAsync("""[[:db/cas [:item/key "x"] :item/n 0 5]]"""); // holds on the stored value
        AwaitAssert(() => Assert.Equal(5L, offline.Db.Entity(Lookup(offline.Db, "item/key", "x")!.Value)!.Get<long>(":item/n")), Long);
        await Stop(offline);
        Commit(master, """[[:db/add [:item/key "x"] :item/n 7]]"""); // another writer got there first: the cas no longer holds

        var online = StartReplica(server, "c1", WithStore());
        await online.Ready.WaitAsync(Long);
        AwaitAssert(() => Assert.Equal(0, online.Status.PendingLocal), Long); // answered: one committed, one refused
        // a reader that subscribes after the refusal still gets it (the stream starts with the replica's rejections so far)
        var rejected = await ReadFirst(online.Rejections).WaitAsync(Long);
        Assert.EndsWith("#2", rejected.RequestId);
        Assert.Equal(TxErrors.CasFailed, rejected.Category);
        AwaitEqual(master, online);
        Assert.Equal(7L, online.Db.Entity(Lookup(online.Db, "item/key", "x")!.Value)!.Get<long>(":item/n"));
        Assert.NotNull(Lookup(online.Db, "item/key", "y")); // the one before it committed
        await Stop(online);
        Assert.Empty(OutboxOf("c1"));
    }

    private static async Task<T> ReadFirst<T>(IAsyncEnumerable<T> stream)
    {
        await foreach (var item in stream) return item;
        throw new Xunit.Sdk.XunitException("the stream ended without an item");
    }

    [Fact]
    public async Task Without_a_store_or_with_offline_writes_rejected_a_write_while_not_connected_is_refused_at_once()
    {
        var silent = CreateTestProbe();
        var (master, server) = StartMaster("outbox-reject");
        Commit(master, SchemaEdn);
        var first = StartReplica(server, "c1", WithStore());
        await first.Ready.WaitAsync(Long);
        await Stop(first);
        var offline = StartReplica(silent.Ref, "c1", WithStore() with { QueueOffline = false });
        var ex = await Assert.ThrowsAsync<TxRejectedException>(() => offline.TransactAsync("""[{:item/key "y" :item/n 1}]""").WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Unavailable, ex.Category);
        await Stop(offline);
        Assert.Empty(OutboxOf("c1"));
    }

    public new void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
