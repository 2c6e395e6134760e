using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replica;

/// <summary>A replica with a local store (<c>datsync.replica.store</c>): it starts from what it holds there before any
/// network call, resumes from its t against its own master, is bootstrapped again by another, and keeps on disk what
/// it holds as it changes — and nothing once it is refused.</summary>
public sealed class ReplicaStoreWiringTests(ITestOutputHelper output) : ReplicationTestKit(output), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "datsync-store-wiring-" + Guid.NewGuid().ToString("N")[..8]);

    private ReplicaSettings WithStore(int compactEvery = 10_000) => QuickReplica with { Store = _dir, CompactEvery = compactEvery };

    private StoredState? Stored(string clientId)
    {
        using var store = ReplicaStore.Open(_dir, clientId);
        return store.Load();
    }

    private async Task Stop(DatsyncReplica replica)
    {
        Watch(replica.Actor);
        await replica.DisposeAsync();
        ExpectTerminated(replica.Actor, Long);
    }

    private void AwaitStored(MasterHandle master, string clientId)
    {
        AwaitAssert(() =>
        {
            var stored = Stored(clientId) ?? throw new Xunit.Sdk.XunitException("the store holds nothing");
            var db = DbOf(master.Transactor);
            Assert.Equal(db.BasisT, stored.BasisT);
            if (DatsyncTestKit.Difference(db, stored.Value) is { } difference) throw new Xunit.Sdk.XunitException(difference);
        }, Long, TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_replica_keeps_what_it_holds_and_starts_from_it_before_the_master_answers_then_resumes()
    {
        var (master, server) = StartMaster("store-resume");
        Commit(master, SchemaEdn);
        for (var i = 0; i < 5; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
        var first = StartReplica(server, "c1", WithStore(compactEvery: 3));
        await first.Ready.WaitAsync(Long);
        for (var i = 5; i < 12; i++) Commit(master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]"""); // appended, compacted every 3
        AwaitEqual(master, first);
        await Stop(first);
        AwaitStored(master, "c1");
        var heldT = MasterT(master);

        // a server that never answers: the replica reads its stored value at once, offline
        var silent = CreateTestProbe();
        var offline = StartReplica(silent.Ref, "c1", WithStore());
        Assert.Equal(heldT, offline.SyncedDb.BasisT);
        Assert.Equal(11L, offline.Db.Entity(Lookup(offline.Db, "item/key", "k11")!.Value)!.Get<long>(":item/n"));
        var handshake = silent.ExpectMsg<Protocol.Connect>(Long);
        Assert.Equal(heldT, handshake.LastAppliedT); // it asks to resume from its t
        Assert.Equal(master.DatabaseId, handshake.DatabaseId);
        Assert.NotEqual(ConnectionState.Connected, offline.Status.Connection);
        await Stop(offline);

        // against its master: resumed (no bootstrap), and what the master committed meanwhile reaches it and its store
        Commit(master, """[{:item/key "later" :item/n 99}]""");
        var (resumed, shim) = StartShimmedReplica(server, "c1", 1, Faults.None, settings: WithStore());
        await resumed.Ready.WaitAsync(Long);
        AwaitEqual(master, resumed);
        Assert.All(StatsOf(shim).Connected, c => Assert.Equal(0, c.BootstrapChunks));
        await Stop(resumed);
        AwaitStored(master, "c1");
    }

    [Fact]
    public async Task Against_another_master_a_stored_replica_is_bootstrapped_and_its_store_takes_the_new_value()
    {
        var (a, serverA) = StartMaster("store-a");
        var (b, serverB) = StartMaster("store-b");
        Commit(a, SchemaEdn);
        Commit(b, SchemaEdn);
        for (var i = 0; i < 4; i++)
        {
            Commit(a, $$"""[{:item/key "a{{i}}" :item/n {{i}}}]""");
            Commit(b, $$"""[{:item/key "b{{i}}" :item/n {{i}}}]""");
        }
        var first = StartReplica(serverA, "c1", WithStore());
        await first.Ready.WaitAsync(Long);
        AwaitEqual(a, first);
        await Stop(first);

        var moved = StartReplica(serverB, "c1", WithStore());
        await moved.Ready.WaitAsync(Long);
        AwaitEqual(b, moved);
        Assert.Null(Lookup(moved.SyncedDb, "item/key", "a0"));
        await Stop(moved);
        var stored = Stored("c1")!;
        Assert.Equal(b.DatabaseId, stored.DatabaseId);
        Assert.Null(DatsyncTestKit.Difference(DbOf(b.Transactor), stored.Value));
    }

    [Fact]
    public async Task A_refused_replica_leaves_nothing_of_the_master_in_its_store()
    {
        var access = ClientAccess.Of([new("c1", "token-1")]);
        var (master, server) = StartMaster("store-revoke", access: access);
        Commit(master, SchemaEdn);
        Commit(master, """[{:item/key "secret" :item/n 1}]""");
        var replica = DatsyncReplica.Start(Sys, server, "c1", WithStore(), "r-store-revoke", token: "token-1");
        await replica.Ready.WaitAsync(Long);
        AwaitStored(master, "c1");

        var replaced = await server.Ask<object>(new ReplaceClients(ClientAccess.Of([new("c2", "token-2")])), Long);
        Assert.IsType<ClientsReplaced>(replaced);
        await replica.WhenRefused.WaitAsync(Long);
        await Stop(replica);

        Assert.Null(Stored("c1"));
        var bytes = File.ReadAllBytes(Path.Combine(_dir, ReplicaStore.FileName));
        Assert.DoesNotContain("secret", System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void A_store_of_another_client_is_not_taken()
    {
        using (ReplicaStore.Open(_dir, "c1")) { }
        var (_, server) = StartMaster("store-other");
        var e = Assert.Throws<DatsyncStorageException>(() => StartReplica(server, "c2", WithStore()));
        Assert.Contains("c1", e.Message);
        Assert.Contains("c2", e.Message);
    }

    public new void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
