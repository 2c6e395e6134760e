using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Persistence;
using Datsync.Actors.Master;
using Datsync.Actors.Persistence;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Actors.TestKit;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>Every master database has an id of its own, kept across restarts; a replica resumes from its t only against
/// the database its value came from, and is bootstrapped by another.</summary>
public sealed class DatabaseIdTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private static readonly Regex IdForm = new("^[0-9a-f]{32}$");

    // ------------------------------------------------------------------ the master's id

    [Theory]
    [InlineData(0)] // recovered from the journal alone: the id comes from the record of t = 1
    [InlineData(2)] // recovered from a snapshot (t = 1 is not replayed): the id comes from the snapshot
    public async Task The_id_of_a_SQLite_database_survives_restarts_and_another_database_has_another(int snapshotEvery)
    {
        var dir = Directory.CreateTempSubdirectory("datsync-dbid-");
        var other = Directory.CreateTempSubdirectory("datsync-dbid-other-");
        try
        {
            var overrides = $"akka.loglevel = WARNING\ndatsync.master.snapshot-every = {snapshotEvery}";
            string first;
            await using (var m = MasterRuntime.StartSystem("dbid-1-" + Guid.NewGuid().ToString("N")[..6], new SqliteStorage(dir.FullName), overrides))
            {
                await m.Master.Recovered(Long);
                first = m.Master.DatabaseId!;
                Assert.Matches(IdForm, first);
                await CommitAsync(m.Master, SchemaEdn);
                for (var i = 0; i < 4; i++) await CommitAsync(m.Master, $$"""[{:item/key "k{{i}}" :item/n {{i}}}]""");
                Assert.Equal(first, (await DbAsync(m.Master)).DatabaseId);
            }
            for (var round = 0; round < 2; round++)
            {
                await using var m = MasterRuntime.StartSystem("dbid-2-" + Guid.NewGuid().ToString("N")[..6], new SqliteStorage(dir.FullName), overrides);
                var current = await DbAsync(m.Master);
                Assert.Equal(5 + round, current.Db.BasisT);
                Assert.Equal(first, current.DatabaseId);
                Assert.Equal(first, m.Master.DatabaseId);
                await CommitAsync(m.Master, $$"""[{:item/key "r{{round}}" :item/n 1}]"""); // later records carry none
            }
            await using (var m = MasterRuntime.StartSystem("dbid-3-" + Guid.NewGuid().ToString("N")[..6], new SqliteStorage(other.FullName), overrides))
            {
                await CommitAsync(m.Master, SchemaEdn);
                var id = (await DbAsync(m.Master)).DatabaseId;
                Assert.Matches(IdForm, id!);
                Assert.NotEqual(first, id);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { dir.Delete(true); other.Delete(true); } catch (IOException) { }
        }
    }

    [Fact]
    public void A_database_written_before_ids_gets_one_at_its_next_start_and_keeps_it()
    {
        // the journal of an older master: records without an id (t = 1 included)
        var pid = "dbid-old-" + Guid.NewGuid().ToString("N")[..6];
        var report = Db.Empty.Transact(Forms(SchemaEdn), DateTime.UtcNow);
        var second = report.DbAfter.Transact(Forms("""[{:item/key "a" :item/n 1}]"""), DateTime.UtcNow);
        var writer = Sys.ActorOf(Props.Create(() => new OldWriter(pid)));
        writer.Tell(new[] { TxRecord.From(report, "r1", null), TxRecord.From(second, "r2", null) }, TestActor);
        ExpectMsg("written", Long);

        var settings = Settings(pid);
        var first = Sys.ActorOf(TransactorActor.Props(settings));
        var before = IdOf(first);
        Assert.Matches(IdForm, before!);
        // kept at once in a snapshot (saved after the recovery, off the transactor: looked for until it is there)
        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(StorageOptions.SnapshotStorePluginId);
        AwaitAssert(() =>
        {
            var loaded = store.Ask<LoadSnapshotResult>(new LoadSnapshot(pid, SnapshotSelectionCriteria.Latest, long.MaxValue), Long).Result;
            Assert.Equal(before, Assert.IsType<DbSnapshot>(loaded.Snapshot?.Snapshot).DatabaseId);
        }, Long, TimeSpan.FromMilliseconds(50));
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, Long);

        var again = Sys.ActorOf(TransactorActor.Props(settings));
        DbAndIdOf(again, out var db, out var after);
        Assert.Equal(2, db.BasisT);
        Assert.Equal(before, after);
    }

    // ------------------------------------------------------------------ the handshake

    [Fact]
    public async Task A_replica_resumes_against_its_own_master_and_is_bootstrapped_by_another_at_the_same_t()
    {
        var (a, serverA) = StartMaster("dbid-a");
        var (b, serverB) = StartMaster("dbid-b");
        Commit(a, SchemaEdn);
        Commit(b, SchemaEdn);
        for (var i = 0; i < 4; i++)
        {
            Commit(a, $$"""[{:item/key "a{{i}}" :item/n {{i}}}]""");
            Commit(b, $$"""[{:item/key "b{{i}}" :item/n {{i}}}]""");
        }
        Assert.NotEqual(a.DatabaseId, b.DatabaseId);

        var first = StartReplica(serverA, "c1");
        await first.Ready.WaitAsync(Long);
        AwaitEqual(a, first);
        Assert.Equal(a.DatabaseId, first.DatabaseId);
        Watch(first.Actor);
        Sys.Stop(first.Actor);
        ExpectTerminated(first.Actor, Long);
        var held = first.SyncedDb;
        var heldId = first.DatabaseId;
        Commit(a, """[{:item/key "a-later" :item/n 9}]""");
        Commit(b, """[{:item/key "b-later" :item/n 9}]"""); // B also has t = held's t, and more

        var (resumed, shimA) = StartShimmedReplica(serverA, "c2", 1, Faults.None, resumeFrom: held, resumeDatabaseId: heldId);
        await resumed.Ready.WaitAsync(Long);
        AwaitEqual(a, resumed);
        var statsA = StatsOf(shimA);
        Assert.NotEmpty(statsA.Connected);
        Assert.All(statsA.Connected, c => Assert.Equal(0, c.BootstrapChunks));
        Assert.Equal(held.BasisT, statsA.Connected[0].BasisT);
        Assert.Equal(a.DatabaseId, statsA.Connected[0].DatabaseId);
        Assert.Equal(0, statsA.Chunks);

        var (moved, shimB) = StartShimmedReplica(serverB, "c3", 2, Faults.None, resumeFrom: held, resumeDatabaseId: heldId);
        await moved.Ready.WaitAsync(Long);
        AwaitEqual(b, moved); // B's value, none of A's
        Assert.Null(Lookup(moved.SyncedDb, "item/key", "a0"));
        Assert.NotNull(Lookup(moved.SyncedDb, "item/key", "b0"));
        var statsB = StatsOf(shimB);
        Assert.True(statsB.Connected[0].BootstrapChunks > 0, "bootstrapped by the other master");
        Assert.Equal(b.DatabaseId, moved.DatabaseId);
    }

    [Fact]
    public async Task A_replica_that_names_no_database_is_resumed_as_before()
    {
        var (a, serverA) = StartMaster("dbid-compat");
        Commit(a, SchemaEdn);
        Commit(a, """[{:item/key "a" :item/n 1}]""");
        var held = a.Health.Db;
        Commit(a, """[{:item/key "b" :item/n 2}]""");

        var (resumed, shim) = StartShimmedReplica(serverA, "c1", 1, Faults.None, resumeFrom: held);
        await resumed.Ready.WaitAsync(Long);
        AwaitEqual(a, resumed);
        Assert.All(StatsOf(shim).Connected, c => Assert.Equal(0, c.BootstrapChunks));
        Assert.Equal(a.DatabaseId, resumed.DatabaseId); // named in its next handshakes
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", 0)]                    // the master's: resumed
    [InlineData("0123456789ABCDEF0123456789ABCDEF", 0)]                    // the same id in upper case
    [InlineData("fedcba9876543210fedcba9876543210", 1)]                    // another database: bootstrapped
    [InlineData("not an id", 0)]                                           // not an id: as none
    [InlineData("0123456789abcdef0123456789abcdef0", 0)]                   // 33 characters: as none
    public void The_session_resumes_only_a_replica_of_the_masters_database(string replicaId, int bootstrapped)
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        server.Tell(new Connect("c", 0, 1, null, ChannelKeys.New(), replicaId), replica.Ref);
        transactor.ExpectMsg<GetDb>(Long);
        transactor.Reply(new CurrentDb(Db.Empty, "0123456789abcdef0123456789abcdef"));
        var connected = (Connected)replica.FishForMessage(m => m is Connected, Long);
        Assert.Equal(bootstrapped, Math.Sign(connected.BootstrapChunks));
        Assert.Equal("0123456789abcdef0123456789abcdef", connected.DatabaseId);
    }

    [Fact]
    public void A_replica_told_to_resume_against_another_database_asks_for_a_bootstrap()
    {
        var server = CreateTestProbe();
        var held = Db.Empty.Transact(Forms(SchemaEdn), DateTime.UtcNow).DbAfter;
        const string mine = "0123456789abcdef0123456789abcdef", theirs = "fedcba9876543210fedcba9876543210";
        var replica = DatsyncReplica.Start(Sys, server.Ref, "c", QuickReplica, resumeFrom: held, resumeDatabaseId: mine);
        var connect = server.ExpectMsg<Connect>(Long);
        Assert.Equal(held.BasisT, connect.LastAppliedT);
        Assert.Equal(mine, connect.DatabaseId);

        // every handshake that names the held t is told to resume, by a master of another database (a handshake left
        // unanswered goes out again: each is answered)
        var next = connect;
        while (next.LastAppliedT is not null)
        {
            replica.Actor.Tell(new Connected(next.Attempt, held.BasisT, 0, held.BasisT, DatabaseId: theirs), server.Ref);
            next = server.ExpectMsg<Connect>(Long);
        }
        var again = next;
        Assert.True(again.Attempt > connect.Attempt);
        Assert.Null(again.LastAppliedT);
        Assert.Null(again.DatabaseId);
        Assert.Equal(mine, replica.DatabaseId); // the value is still the one it had
        Sys.Stop(replica.Actor);
    }

    // ------------------------------------------------------------------ helpers

    private string? IdOf(IActorRef transactor)
    {
        DbAndIdOf(transactor, out _, out var id);
        return id;
    }

    private void DbAndIdOf(IActorRef transactor, out Db db, out string? id)
    {
        transactor.Tell(GetDb.Instance, TestActor);
        var current = ExpectMsg<CurrentDb>(Long);
        (db, id) = (current.Db, current.DatabaseId);
    }

    private static async Task<CurrentDb> DbAsync(MasterHandle master) => await master.Transactor.Ask<CurrentDb>(GetDb.Instance, Long);

    private static async Task CommitAsync(MasterHandle master, string edn)
    {
        var reply = await master.Transactor.Ask<object>(new Transact(Guid.NewGuid().ToString("N"), Forms(edn)), Long);
        Assert.IsType<TxAccepted>(reply);
    }

    /// <summary>Writes records into a master's journal as a master of before database ids did.</summary>
    private sealed class OldWriter : ReceivePersistentActor
    {
        public OldWriter(string pid)
        {
            PersistenceId = pid;
            JournalPluginId = StorageOptions.JournalPluginId;
            SnapshotPluginId = StorageOptions.SnapshotStorePluginId;
            Command<TxRecord[]>(records =>
            {
                var sender = Sender;
                PersistAll(records, r => { if (r.T == records[^1].T) sender.Tell("written"); });
            });
        }

        public override string PersistenceId { get; }
    }
}
