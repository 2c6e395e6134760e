using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

/// <summary>Mutations (request ids "{key}#{n}", what a replica's outbox sends) are committed once each and in order per
/// key: a duplicate is answered without a second commit however long ago it committed, after a restart and a snapshot
/// too; an early one is held until the one before it is taken; a rejected one counts as handled.</summary>
public sealed class MutationOrderTests(ITestOutputHelper output) : MasterTestKit(output)
{
    private static readonly Keyword ItemN = Keyword.Intern(":item/n");

    private static int CountOf(Db db, string key) =>
        db.Datoms(IndexType.Aevt, Keyword.Intern(":item/key")).Count(d => Equals(d.V, key));

    private static long NOf(Db db, string key)
    {
        var e = db.Datoms(IndexType.Aevt, Keyword.Intern(":item/key")).Single(d => Equals(d.V, key)).E;
        return (long)db.Datoms(IndexType.Aevt, ItemN).Single(d => d.E == e).V;
    }

    private IActorRef StartWithSchema(MasterSettings settings)
    {
        var transactor = Sys.ActorOf(TransactorActor.Props(settings));
        transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        return transactor;
    }

    private void Restart(ref IActorRef transactor, MasterSettings settings)
    {
        Watch(transactor);
        transactor.Tell(PoisonPill.Instance);
        ExpectTerminated(transactor, Long);
        transactor = Sys.ActorOf(TransactorActor.Props(settings));
    }

    [Fact]
    public void A_mutation_sent_again_after_the_recent_commits_forgot_it_is_answered_and_not_committed_again()
    {
        var transactor = StartWithSchema(Settings("mut-dup") with { RememberRequests = 1 });
        transactor.Tell(Tx("alice/s1#1", """[{:db/id "x" :item/key "m1" :item/n 1}]"""));
        var first = ExpectMsg<TxAccepted>(Long);
        transactor.Tell(Tx("alice/s1#1", """[{:db/id "x" :item/key "m1" :item/n 1}]""")); // still remembered: its tempids too
        var again = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(first.T, again.T);
        Assert.Equal(first.Tempids["x"], again.Tempids["x"]);
        for (var i = 0; i < 3; i++)
        {
            transactor.Tell(Item($"other{i}", $"o{i}", 10 + i));
            ExpectMsg<TxAccepted>(Long);
        }
        transactor.Tell(Tx("alice/s1#1", """[{:db/id "x" :item/key "m1" :item/n 1}]"""));
        var late = ExpectMsg<TxAccepted>(Long);
        Assert.Equal("alice/s1#1", late.RequestId);
        Assert.Equal(first.T, late.T); // the key's latest commit
        Assert.Empty(late.Tempids);
        Assert.Empty(late.TxData);
        var db = DbOf(transactor);
        Assert.Equal(first.T + 3, db.BasisT);
        Assert.Single(db.Datoms(IndexType.Aevt, ItemN), d => (long)d.V == 1);
    }

    [Fact]
    public void An_ordinary_request_id_keeps_todays_bounded_memory()
    {
        var transactor = StartWithSchema(Settings("mut-ordinary") with { RememberRequests = 1 });
        foreach (var id in new[] { "r1", "k#01" }) // "k#01" is no mutation id (a leading zero)
        {
            transactor.Tell(Tx(id, $$"""[{:item/n 7}]"""));
            var first = ExpectMsg<TxAccepted>(Long);
            transactor.Tell(Item("other-" + id, "o" + id, 1));
            ExpectMsg<TxAccepted>(Long);
            transactor.Tell(Tx(id, $$"""[{:item/n 7}]"""));
            Assert.True(ExpectMsg<TxAccepted>(Long).T > first.T, $"{id} forgotten is committed again");
        }
    }

    [Fact]
    public void An_early_mutation_is_held_and_committed_after_the_one_before_it()
    {
        var transactor = StartWithSchema(Settings("mut-early"));
        transactor.Tell(Tx("bob/s#1", """[{:item/key "a" :item/n 1}]"""));
        var one = ExpectMsg<TxAccepted>(Long);
        // #3 refers to what #2 creates: run before it, it would be rejected
        transactor.Tell(Tx("bob/s#3", """[{:db/id [:item/key "b"] :item/n 3}]"""));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        transactor.Tell(Tx("bob/s#3", """[{:db/id [:item/key "b"] :item/n 3}]""")); // sent again: the earlier send is answered busy
        var busy = ExpectMsg<TxRejected>(Long);
        Assert.Equal(DatsyncErrors.Busy, busy.Category);
        transactor.Tell(Tx("bob/s#2", """[{:item/key "b" :item/n 2}]"""));
        var two = ExpectMsg<TxAccepted>(Long);
        var three = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(("bob/s#2", one.T + 1), (two.RequestId, two.T));
        Assert.Equal(("bob/s#3", one.T + 2), (three.RequestId, three.T));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(3L, NOf(DbOf(transactor), "b"));
    }

    [Fact]
    public void Early_mutations_are_held_up_to_64_per_key_and_4096_in_all()
    {
        var transactor = StartWithSchema(Settings("mut-limits"));
        const int keys = 65;
        for (var k = 0; k < keys; k++)
        {
            transactor.Tell(Tx($"c/k{k}#1", $$"""[{:item/key "k{{k}}" :item/n 1}]"""));
            ExpectMsg<TxAccepted>(Long);
        }
        for (var n = 3; n < 3 + TransactorActor.MaxEarlyPerKey; n++) transactor.Tell(Tx($"c/k0#{n}", $$"""[{:item/key "k0" :item/n {{n}}}]"""));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        transactor.Tell(Tx("c/k0#67", """[{:item/key "k0" :item/n 67}]"""));
        var perKey = ExpectMsg<TxRejected>(Long);
        Assert.Equal(("c/k0#67", DatsyncErrors.Busy), (perKey.RequestId, perKey.Category));
        Assert.Contains("mutation 67 of \"c/k0\" came before mutation 2", perKey.Message);

        for (var k = 1; k < TransactorActor.MaxEarly / TransactorActor.MaxEarlyPerKey; k++)
            for (var n = 3; n < 3 + TransactorActor.MaxEarlyPerKey; n++)
                transactor.Tell(Tx($"c/k{k}#{n}", $$"""[{:item/key "k{{k}}" :item/n {{n}}}]"""));
        transactor.Tell(Tx("c/k64#3", """[{:item/key "k64" :item/n 3}]"""));
        var inAll = ExpectMsg<TxRejected>(Long);
        Assert.Equal(("c/k64#3", DatsyncErrors.Busy), (inAll.RequestId, inAll.Category));
        Assert.Contains("c/k64", inAll.Message);

        // the one they wait for runs them all, in order
        transactor.Tell(Tx("c/k0#2", """[{:item/key "k0" :item/n 2}]"""));
        var run = ReceiveN(1 + TransactorActor.MaxEarlyPerKey, Long).Cast<TxAccepted>().ToList();
        Assert.Equal(Enumerable.Range(2, 1 + TransactorActor.MaxEarlyPerKey).Select(n => $"c/k0#{n}"), run.Select(a => a.RequestId));
        Assert.Equal(66L, NOf(DbOf(transactor), "k0"));
        // room again
        transactor.Tell(Tx("c/k64#3", """[{:item/key "k64" :item/n 3}]"""));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Watch(transactor);
        transactor.Tell(PoisonPill.Instance); // a stop answers the held ones busy
        var stopped = ReceiveN(1 + 63 * TransactorActor.MaxEarlyPerKey, Long).Cast<TxRejected>().ToList();
        Assert.All(stopped, r => Assert.Equal(DatsyncErrors.Busy, r.Category));
        ExpectTerminated(transactor, Long);
    }

    [Fact]
    public void A_rejected_mutation_counts_as_handled_and_its_resend_gets_the_same_rejection_after_a_restart_too()
    {
        var settings = Settings("mut-rejected") with { RememberRequests = 1 };
        var transactor = StartWithSchema(settings);
        transactor.Tell(Tx("d/s#1", """[{:item/key "a" :item/n "not a long"}]"""));
        var rejected = ExpectMsg<TxRejected>(Long);
        transactor.Tell(Tx("d/s#1", """[{:item/key "a" :item/n 1}]""")); // sent again (even changed): not run again
        Assert.Equal(rejected, ExpectMsg<TxRejected>(Long));

        Restart(ref transactor, settings);
        transactor.Tell(Tx("d/s#1", """[{:item/key "a" :item/n 1}]"""));
        Assert.Equal(rejected, ExpectMsg<TxRejected>(Long)); // the journaled rejection
        transactor.Tell(Tx("d/s#2", """[{:item/key "b" :item/n 2}]""")); // follows it: not held
        var two = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(2, two.T);
        Assert.Equal(0, CountOf(DbOf(transactor), "a"));
    }

    [Fact]
    public async Task A_rejected_mutation_whose_rejection_the_journal_refuses_is_not_handled_and_may_be_sent_again()
    {
        var transactor = StartWithSchema(Settings("mut-rejected-refused"));
        transactor.Tell(Tx("g/s#1", """[{:item/key "a" :item/n 1}]"""));
        ExpectMsg<TxAccepted>(Long);
        await Journal.OnWrite.RejectIf(p => p.Payload is Datsync.Actors.Persistence.MutationRejected);
        transactor.Tell(Tx("g/s#2", """[{:item/key "b" :item/n "x"}]"""));
        Assert.Equal(DatsyncErrors.Storage, ExpectMsg<TxRejected>(Long).Category);
        transactor.Tell(Tx("g/s#3", """[{:item/key "c" :item/n 3}]"""));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // #2 is not handled: #3 waits

        await Journal.OnWrite.Pass();
        transactor.Tell(Tx("g/s#2", """[{:item/key "b" :item/n "x"}]"""));
        var rejected = ExpectMsg<TxRejected>(Long);
        Assert.NotEqual(DatsyncErrors.Storage, rejected.Category);
        var three = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(("g/s#3", 3L), (three.RequestId, three.T));
    }

    [Fact]
    public async Task Mutations_are_committed_once_and_in_order_across_a_restart_and_a_snapshot()
    {
        var settings = Settings("mut-snapshot", snapshotEvery: 2) with { RememberRequests = 1 };
        var transactor = StartWithSchema(settings);
        transactor.Tell(Tx("e/s#1", """[{:item/key "a" :item/n 1}]"""));
        var one = ExpectMsg<TxAccepted>(Long); // t=2: a snapshot follows
        for (var i = 0; i < 3; i++)
        {
            transactor.Tell(Item($"other{i}", $"o{i}", i));
            ExpectMsg<TxAccepted>(Long);
        }
        await AwaitSnapshot(settings.PersistenceId, 4); // the snapshot after t=4

        Restart(ref transactor, settings); // recovers from the snapshot: e/s#1's record is not replayed
        transactor.Tell(Tx("e/s#1", """[{:item/key "a" :item/n 1}]"""));
        var again = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(one.T, again.T);
        transactor.Tell(Tx("e/s#3", """[{:item/key "c" :item/n 3}]"""));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // early: #2 comes first
        transactor.Tell(Tx("e/s#2", """[{:item/key "b" :item/n 2}]"""));
        Assert.Equal(new[] { ("e/s#2", 6L), ("e/s#3", 7L) }, ReceiveN(2, Long).Cast<TxAccepted>().Select(a => (a.RequestId, a.T)));
        var db = DbOf(transactor);
        Assert.Equal(7, db.BasisT);
        Assert.Equal(1, CountOf(db, "a"));
    }

    [Theory]
    [InlineData(0)] // recovered from the journal alone
    [InlineData(3)] // recovered from a snapshot and the records after it
    public async Task Mutations_are_committed_once_across_restarts_on_SQLite(int snapshotEvery)
    {
        var dir = Directory.CreateTempSubdirectory("datsync-mutations-");
        try
        {
            var overrides = $"akka.loglevel = WARNING\ndatsync.master.snapshot-every = {snapshotEvery}\ndatsync.master.remember-requests = 1";
            async Task<object> Send(MasterHandle master, string id, string edn) =>
                await master.Transactor.Ask<object>(Tx(id, edn), Long);
            long lastT; // of the key's latest commit
            TxRejected rejected;
            await using (var m = MasterRuntime.StartSystem("mut-1-" + Guid.NewGuid().ToString("N")[..6], new SqliteStorage(dir.FullName), overrides))
            {
                Assert.IsType<TxAccepted>(await Send(m.Master, "schema", SchemaEdn));
                lastT = Assert.IsType<TxAccepted>(await Send(m.Master, "f/s#1", """[{:item/key "a" :item/n 1}]""")).T;
                rejected = Assert.IsType<TxRejected>(await Send(m.Master, "f/s#2", """[{:item/key "bad" :item/n "x"}]"""));
                for (var i = 0; i < 4; i++) Assert.IsType<TxAccepted>(await Send(m.Master, $"o{i}", $$"""[{:item/key "o{{i}}" :item/n {{i}}}]"""));
            }
            for (var round = 0; round < 2; round++)
            {
                await using var m = MasterRuntime.StartSystem("mut-2-" + Guid.NewGuid().ToString("N")[..6], new SqliteStorage(dir.FullName), overrides);
                var before = (await m.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Long)).Db;
                var againReply = await Send(m.Master, "f/s#1", """[{:item/key "a" :item/n 1}]""");
                Assert.True(againReply is TxAccepted { T: var againT } && againT == lastT, $"at t={before.BasisT}, f/s#1 is answered {againReply}");
                Assert.Equal(rejected, await Send(m.Master, "f/s#2", """[{:item/key "bad" :item/n 2}]"""));
                // the next one of the round, sent after the one after it
                var early = CreateTestProbe();
                m.Master.Transactor.Tell(Tx($"f/s#{4 + 2 * round}", $$"""[{:item/key "e{{round}}" :item/n 1}]"""), early.Ref);
                early.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // held: the mutation before it has not come yet
                var next = Assert.IsType<TxAccepted>(await Send(m.Master, $"f/s#{3 + 2 * round}", $$"""[{:item/key "n{{round}}" :item/n 1}]"""));
                Assert.Equal(before.BasisT + 1, next.T);
                lastT = early.ExpectMsg<TxAccepted>(Long).T;
                Assert.Equal(before.BasisT + 2, lastT);
                var after = (await m.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, Long)).Db;
                Assert.Equal(before.BasisT + 2, after.BasisT);
                Assert.Equal(1, CountOf(after, "a"));
                Assert.Equal(0, CountOf(after, "bad"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { dir.Delete(true); } catch (IOException) { }
        }
    }
}
