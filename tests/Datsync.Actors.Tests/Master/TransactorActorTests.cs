using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Storage;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Master;

public class TransactorActorTests(ITestOutputHelper output) : MasterTestKit(output)
{
    [Fact]
    public void Accepted_transactions_get_contiguous_t_and_their_tempids()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-accept"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        Assert.Equal(1, ExpectMsg<TxAccepted>(Long).T);
        master.Transactor.Tell(Tx("a", """[{:db/id "x" :item/key "a" :item/n 1}]"""));
        var a = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(2, a.T);
        Assert.Equal("a", a.RequestId);
        var db = DbOf(master.Transactor);
        Assert.Equal(2, db.BasisT);
        Assert.Equal(1L, db.Datoms(IndexType.Eavt, a.Tempids["x"], Keyword.Intern(":item/n")).Single().V);
    }

    [Fact]
    public void Invalid_input_is_rejected_with_its_category_and_never_stored()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-reject"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        master.Transactor.Tell(Tx("bad", """[{:item/key "a" :item/n "not a number"}]"""));
        var r = ExpectMsg<TxRejected>(Long);
        Assert.Equal(TxErrors.WrongType, r.Category);
        Assert.Contains(":item/n", r.Message);
        master.Transactor.Tell(Item("good", "a", 1));
        Assert.Equal(2, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public void Concurrent_submitters_see_contiguous_t_and_replies_in_the_order_they_sent()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-concurrent"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        var probes = Enumerable.Range(0, 8).Select(_ => CreateTestProbe()).ToList();
        const int perProbe = 40;
        for (var i = 0; i < perProbe; i++)
            for (var p = 0; p < probes.Count; p++)
                master.Transactor.Tell(Item($"{p}-{i}", $"k{p}-{i}", i), probes[p].Ref);
        var allT = new List<long>();
        for (var p = 0; p < probes.Count; p++)
        {
            var replies = Enumerable.Range(0, perProbe).Select(_ => probes[p].ExpectMsg<TxAccepted>(Long)).ToList();
            Assert.Equal(Enumerable.Range(0, perProbe).Select(i => $"{p}-{i}"), replies.Select(r => r.RequestId));
            Assert.True(replies.Zip(replies.Skip(1)).All(x => x.Item1.T < x.Item2.T), "each submitter sees increasing t");
            allT.AddRange(replies.Select(r => r.T));
        }
        allT.Sort();
        Assert.Equal(Enumerable.Range(2, probes.Count * perProbe).Select(i => (long)i), allT);
    }

    [Fact]
    public async Task A_rejected_journal_write_leaves_no_trace_and_later_transactions_succeed()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-journal-reject"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        master.Transactor.Tell(Item("a", "a", 1));
        ExpectMsg<TxAccepted>(Long);
        var before = Facts(DbOf(master.Transactor));
        var log = CreateTestProbe();
        master.Listener.Tell(new SubscribeLog(2), log.Ref);

        await Journal.OnWrite.Reject();
        master.Transactor.Tell(Item("b", "b", 2));
        var r = ExpectMsg<TxRejected>(Long);
        Assert.Equal(DatsyncErrors.Storage, r.Category);
        Assert.Equal(before, Facts(DbOf(master.Transactor)));
        log.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the listener saw nothing of it

        await Journal.OnWrite.Pass();
        master.Transactor.Tell(Item("c", "c", 3));
        Assert.Equal(3, ExpectMsg<TxAccepted>(Long).T); // t=3 was never used by the rejected write
        var delta = log.ExpectMsg<TxDelta>(Long);
        Assert.Equal(3, delta.T);
        Assert.DoesNotContain(delta.Datoms, d => Equals(d.V, "b"));
    }

    [Fact]
    public async Task A_rejected_batch_rejects_every_transaction_in_it_and_the_queue_is_validated_again()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-batch-reject"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        var before = Facts(DbOf(master.Transactor));

        // every write that holds t >= 2 is refused: whichever batches the next three form, all are rejected
        await Journal.OnWrite.RejectIf(p => p.Payload is Datsync.Actors.Persistence.TxRecord { T: >= 2 });
        for (var i = 0; i < 3; i++) master.Transactor.Tell(Item($"r{i}", $"r{i}", i));
        for (var i = 0; i < 3; i++)
        {
            var r = ExpectMsg<TxRejected>(Long);
            Assert.Equal($"r{i}", r.RequestId);
            Assert.Equal(DatsyncErrors.Storage, r.Category);
        }
        Assert.Equal(before, Facts(DbOf(master.Transactor)));

        await Journal.OnWrite.Pass();
        master.Transactor.Tell(Item("ok", "ok", 9));
        Assert.Equal(2, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public async Task A_failed_journal_write_is_reported_and_the_restarted_transactor_goes_on_from_the_journal()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-journal-fail"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        master.Transactor.Tell(Item("a", "a", 1));
        ExpectMsg<TxAccepted>(Long);
        var before = Facts(DbOf(master.Transactor));

        await Journal.OnWrite.Fail();
        master.Transactor.Tell(Item("b", "b", 2));
        Assert.Equal(DatsyncErrors.Storage, ExpectMsg<TxRejected>(Long).Category);

        await Journal.OnWrite.Pass();
        var probe = CreateTestProbe(); // late answers of earlier attempts land here, not in TestActor
        AwaitAssert(() =>
        {
            master.Transactor.Tell(GetDb.Instance, probe.Ref);
            var db = probe.ExpectMsg<CurrentDb>(TimeSpan.FromSeconds(1)).Db;
            Assert.Equal(before, Facts(db));
        }, Long, TimeSpan.FromMilliseconds(200));
        master.Transactor.Tell(Item("c", "c", 3));
        Assert.Equal(3, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public void Recovery_from_a_snapshot_and_the_events_after_it_equals_the_state_before_the_restart()
    {
        var settings = Settings("tx-recovery", snapshotEvery: 4);
        var first = Sys.ActorOf(TransactorActor.Props(settings));
        first.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        for (var i = 0; i < 10; i++)
        {
            first.Tell(Item($"i{i}", $"k{i % 4}", i));
            ExpectMsg<TxAccepted>(Long);
        }
        var before = DbOf(first);
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, Long);

        var second = Sys.ActorOf(TransactorActor.Props(settings));
        var after = DbOf(second);
        Assert.Equal(before.BasisT, after.BasisT);
        Assert.Equal(Facts(before), Facts(after));
        Assert.Equal(before.MaxEntityId, after.MaxEntityId);
        second.Tell(Item("next", "new", 1));
        Assert.Equal(before.BasisT + 1, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public void A_request_sent_again_is_answered_with_its_first_commit_and_committed_once()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-resend"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        var create = """[{:db/id "x" :item/n 1}]""";
        // sent again while the first is still being written, and again after
        master.Transactor.Tell(Tx("r1", create));
        master.Transactor.Tell(Tx("r1", create));
        var first = ExpectMsg<TxAccepted>(Long);
        var second = ExpectMsg<TxAccepted>(Long);
        master.Transactor.Tell(Tx("r1", create));
        var third = ExpectMsg<TxAccepted>(Long);
        Assert.All(new[] { second, third }, a =>
        {
            Assert.Equal(first.T, a.T);
            Assert.Equal(first.Tempids["x"], a.Tempids["x"]);
        });
        var db = DbOf(master.Transactor);
        Assert.Equal(first.T, db.BasisT);
        Assert.Single(db.Datoms(IndexType.Aevt, Keyword.Intern(":item/n")));
    }

    [Fact]
    public void A_rejected_request_sent_again_is_run_again()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-resend-rejected"));
        master.Transactor.Tell(Tx("r1", """[{:item/key "a"}]"""));
        ExpectMsg<TxRejected>(Long); // no schema yet
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        master.Transactor.Tell(Tx("r1", """[{:item/key "a"}]"""));
        Assert.Equal(2, ExpectMsg<TxAccepted>(Long).T);
    }

    [Fact]
    public void A_request_committed_before_a_restart_is_not_committed_again_after_it()
    {
        var settings = Settings("tx-resend-recovery");
        var first = Sys.ActorOf(TransactorActor.Props(settings));
        first.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        first.Tell(Tx("r1", """[{:db/id "x" :item/n 1}]"""));
        var accepted = ExpectMsg<TxAccepted>(Long);
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, Long);

        var second = Sys.ActorOf(TransactorActor.Props(settings));
        second.Tell(Tx("r1", """[{:db/id "x" :item/n 1}]"""));
        var again = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(accepted.T, again.T);
        Assert.Equal(accepted.Tempids["x"], again.Tempids["x"]);
        Assert.Equal(accepted.T, DbOf(second).BasisT);
    }

    private static Transact Poison(string kind)
    {
        object value = kind switch
        {
            "timespan" => TimeSpan.FromSeconds(3),
            "type" => typeof(string),
            _ => Deep(10_000),
        };
        return new Transact("poison", new List<object?>
        {
            new Dictionary<object, object?> { [Keyword.Intern(":item/key")] = "poison", [Keyword.Intern(":item/n")] = value },
        });

        static object Deep(int depth)
        {
            object v = 1L;
            for (var i = 0; i < depth; i++) v = new List<object?> { v };
            return v;
        }
    }

    [Theory]
    [InlineData("timespan")]
    [InlineData("type")]
    [InlineData("deep")]
    public void A_transaction_that_breaks_the_engine_is_rejected_alone_and_every_other_one_is_answered_and_committed(string kind)
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-poison-" + kind));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        for (var i = 0; i < 200; i++)
        {
            if (i == 100) master.Transactor.Tell(Poison(kind));
            master.Transactor.Tell(Item($"ok{i}", $"k{i}", i));
        }
        var replies = new Dictionary<string, object>();
        for (var i = 0; i < 201; i++)
        {
            var m = ExpectMsg<object>(Long);
            var id = m switch { TxAccepted a => a.RequestId, TxRejected r => r.RequestId, _ => throw new Xunit.Sdk.XunitException($"unexpected {m}") };
            Assert.True(replies.TryAdd(id, m), $"{id} answered twice");
        }
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var rejected = Assert.IsType<TxRejected>(replies["poison"]);
        // the engine names such a value a wrong type itself; what it cannot handle at all is invalid tx data
        Assert.Contains(rejected.Category, new[] { TxErrors.InvalidTxData, TxErrors.WrongType });
        Assert.True(rejected.Message.Length <= 1_000, rejected.Message); // bounded, whatever the value's size
        var accepted = replies.Values.OfType<TxAccepted>().ToList();
        Assert.Equal(200, accepted.Count);
        Assert.Equal(Enumerable.Range(2, 200).Select(i => (long)i), accepted.Select(a => a.T).Order());
        var db = DbOf(master.Transactor);
        Assert.Equal(201, db.BasisT);
        Assert.Equal(200, db.Datoms(IndexType.Aevt, Keyword.Intern(":item/n")).Count());
    }

    [Fact]
    public async Task A_journal_failure_with_many_requests_queued_answers_every_sender_once_and_keeps_every_accepted_t()
    {
        var settings = Settings("tx-fail-queued");
        var master = MasterRuntime.Start(Sys, settings);
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);

        var failed = 0; // the first write after this fails, the others pass
        await Journal.OnWrite.FailIf(_ => Interlocked.Exchange(ref failed, 1) == 0);
        var probes = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToList();
        const int perProbe = 50;
        // half of them before the failure, the other half once the first answer (the failure's) is out: they reach
        // the transactor while it stops and starts again
        for (var i = 0; i < perProbe / 2; i++)
            for (var p = 0; p < probes.Count; p++)
                master.Transactor.Tell(Item($"{p}-{i}", $"k{p}-{i}", i), probes[p].Ref);
        var firstAnswer = probes[0].ExpectMsg<object>(Long);
        for (var i = perProbe / 2; i < perProbe; i++)
            for (var p = 0; p < probes.Count; p++)
                master.Transactor.Tell(Item($"{p}-{i}", $"k{p}-{i}", i), probes[p].Ref);

        var accepted = new List<TxAccepted>();
        var notCommitted = new List<string>();
        var unknown = 0; // the write that failed: its outcome is not known to the transactor
        for (var p = 0; p < probes.Count; p++)
        {
            var ids = new HashSet<string>();
            for (var i = 0; i < perProbe; i++)
            {
                var m = p == 0 && i == 0 ? firstAnswer : probes[p].ExpectMsg<object>(Long);
                switch (m)
                {
                    case TxAccepted a:
                        Assert.True(ids.Add(a.RequestId), $"{a.RequestId} answered twice");
                        accepted.Add(a);
                        break;
                    case TxRejected r:
                        Assert.True(ids.Add(r.RequestId), $"{r.RequestId} answered twice");
                        Assert.Equal(DatsyncErrors.Storage, r.Category);
                        if (r.Message.Contains("may or may not")) unknown++;
                        else notCommitted.Add(r.RequestId);
                        break;
                    default:
                        throw new Xunit.Sdk.XunitException($"unexpected {m}");
                }
            }
            probes[p].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        Assert.True(unknown > 0, "the requests of the write that failed are told it may or may not have been committed");
        // the transactor takes requests again
        var after = CreateTestProbe();
        AwaitAssert(() =>
        {
            master.Transactor.Tell(Item($"after-{Guid.NewGuid():N}", "after", 1), after.Ref);
            after.ExpectMsg<TxAccepted>(TimeSpan.FromSeconds(2));
        }, Long, TimeSpan.FromMilliseconds(200));

        // what the journal holds, read back by a transactor recovering from it
        var recovered = DbOf(Sys.ActorOf(TransactorActor.Props(settings with { PersistenceId = settings.PersistenceId })));
        var items = recovered.Datoms(IndexType.Aevt, Keyword.Intern(":item/key")).Select(d => (string)d.V).ToHashSet();
        foreach (var a in accepted)
        {
            Assert.True(a.T <= recovered.BasisT, $"t={a.T} of {a.RequestId} is not in the journal");
            Assert.Contains("k" + a.RequestId, items);
        }
        foreach (var id in notCommitted) Assert.DoesNotContain("k" + id, items);
        Assert.Equal(accepted.Count, accepted.Select(a => a.T).Distinct().Count());
    }

    [Fact]
    public async Task A_request_committed_before_a_snapshot_is_not_committed_again_after_a_restart()
    {
        var settings = Settings("tx-resend-snapshot", snapshotEvery: 2);
        var first = Sys.ActorOf(TransactorActor.Props(settings));
        first.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        first.Tell(Tx("r1", """[{:db/id "x" :item/n 1}]"""));
        var accepted = ExpectMsg<TxAccepted>(Long); // t=2: a snapshot follows
        first.Tell(Item("other", "o", 2));
        ExpectMsg<TxAccepted>(Long);
        await AwaitSnapshot(settings.PersistenceId, 2); // the snapshot after t=2
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, Long);

        var second = Sys.ActorOf(TransactorActor.Props(settings));
        second.Tell(Tx("r1", """[{:db/id "x" :item/n 1}]"""));
        var again = ExpectMsg<TxAccepted>(Long);
        Assert.Equal(accepted.T, again.T);
        Assert.Equal(accepted.Tempids["x"], again.Tempids["x"]);
        var db = DbOf(second);
        Assert.Equal(3, db.BasisT);
        Assert.Single(db.Datoms(IndexType.Aevt, Keyword.Intern(":item/n")), d => (long)d.V == 1);
    }

    [Fact]
    public async Task A_transaction_the_journal_refuses_is_rejected_alone_and_the_others_written_with_it_are_committed()
    {
        var master = MasterRuntime.Start(Sys, Settings("tx-journal-refuses-one"));
        master.Transactor.Tell(Tx("schema", SchemaEdn));
        ExpectMsg<TxAccepted>(Long);
        // e.g. a value the engine takes and the journal's serializer refuses
        await Journal.OnWrite.RejectIf(p => p.Payload is Datsync.Actors.Persistence.TxRecord { RequestId: "poison" });
        for (var i = 0; i < 200; i++)
        {
            if (i == 100) master.Transactor.Tell(Item("poison", "poison", -1));
            master.Transactor.Tell(Item($"ok{i}", $"k{i}", i));
        }
        var replies = new List<object>();
        for (var i = 0; i < 201; i++) replies.Add(ExpectMsg<object>(Long));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        // answers keep arrival order
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"ok{i}").Take(100).Append("poison").Concat(Enumerable.Range(100, 100).Select(i => $"ok{i}")),
            replies.Select(m => m switch { TxAccepted a => a.RequestId, TxRejected r => r.RequestId, _ => "?" }));
        var rejected = Assert.Single(replies.OfType<TxRejected>());
        Assert.Equal("poison", rejected.RequestId);
        Assert.Equal(DatsyncErrors.Storage, rejected.Category);
        Assert.Equal(Enumerable.Range(2, 200).Select(i => (long)i), replies.OfType<TxAccepted>().Select(a => a.T));
        var db = DbOf(master.Transactor);
        Assert.Equal(201, db.BasisT);
        Assert.DoesNotContain(db.Datoms(IndexType.Aevt, Keyword.Intern(":item/key")), d => Equals(d.V, "poison"));
    }
}
