using Datsync.Core;
using Datsync.Core.Tests.Semantics;
using static Datsync.Core.Tests.Semantics.TestDb;

namespace Datsync.Core.Tests.Sync;

public class ReplicaStateTests
{
    /// <summary>A master value that commits transactions and hands out their deltas.</summary>
    private sealed class Master(Db db)
    {
        public Db Db { get; private set; } = db;

        public (TxDelta Delta, TxReport Report) Commit(IReadOnlyList<object?> forms, string? requestId = null)
        {
            var r = Db.Transact(forms);
            Db = r.DbAfter;
            return (TxDelta.From(r.DbAfter, r.T, r.TxData, requestId, requestId is null ? null : r.Tempids), r);
        }

        public TxDelta Commit(string edn) => Commit(Forms(edn)).Delta;
    }

    private static (Master, ReplicaState) Start()
    {
        var m = new Master(TestDb.Schema);
        return (m, ReplicaState.Bootstrapped(m.Db));
    }

    private static List<(long, int, string)> All(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, EdnPrinter.Print(d.V))).ToList();

    private static void SameDatoms(Db expected, Db actual) => Assert.Equal(All(expected), All(actual));

    // ------------------------------------------------------------------ master deltas

    [Fact]
    public void Deltas_offered_in_order_are_applied_one_by_one()
    {
        var (m, s) = Start();
        var d1 = m.Commit("""[{:person/email "a@x" :person/name "A"}]""");
        var d2 = m.Commit("""[[:db/add [:person/email "a@x"] :person/age 3]]""");
        var step = s.Offer([d1]);
        Assert.Equal([d1.T], step.Applied.Select(a => a.Delta.T));
        step = step.Next.Offer([d2]);
        Assert.Equal([d2.T], step.Applied.Select(a => a.Delta.T));
        Assert.Null(step.Missing);
        Assert.Equal(m.Db.BasisT, step.Next.BasisT);
        SameDatoms(m.Db, step.Next.Synced);
        Assert.Equal(3L, step.Next.Synced.Value(step.Next.Synced.Id(":person/email", "a@x"), ":person/age"));
    }

    [Fact]
    public void A_delta_past_a_gap_waits_for_the_gap_and_the_range_is_reported()
    {
        var (m, s) = Start();
        var basis = s.BasisT;
        var d1 = m.Commit("""[{:person/email "a@x"}]""");
        var d2 = m.Commit("""[{:person/email "b@x"}]""");
        var d3 = m.Commit("""[{:person/email "c@x"}]""");
        var step = s.Offer([d3, d2]);
        Assert.Empty(step.Applied);
        Assert.Equal((basis + 1, basis + 1), step.Missing);
        Assert.Equal(basis, step.Next.BasisT);
        step = step.Next.Offer([d1]);
        Assert.Equal([d1.T, d2.T, d3.T], step.Applied.Select(a => a.Delta.T));
        Assert.Null(step.Missing);
        SameDatoms(m.Db, step.Next.Synced);
    }

    [Fact]
    public void A_duplicate_delta_changes_nothing()
    {
        var (m, s) = Start();
        var d1 = m.Commit("""[{:person/email "a@x" :person/aliases "x"}]""");
        var d2 = m.Commit("""[[:db/retract [:person/email "a@x"] :person/aliases "x"]]""");
        var step = s.Offer([d1, d2, d1, d2]);
        Assert.Equal(2, step.Applied.Count);
        var again = step.Next.Offer([d1, d2]);
        Assert.Empty(again.Applied);
        SameDatoms(m.Db, again.Next.Synced);
    }

    [Fact]
    public void An_applied_delta_reports_the_values_before_and_after()
    {
        var (m, s) = Start();
        var d1 = m.Commit("""[{:person/email "a@x"}]""");
        var a = Assert.Single(s.Offer([d1]).Applied);
        Assert.Same(s.Synced, a.DbBefore);
        Assert.Equal(d1.T, a.DbAfter.BasisT);
    }

    [Fact]
    public void Retracting_what_the_replica_does_not_hold_changes_nothing()
    {
        var (m, s) = Start();
        s = s.Offer([m.Commit("""[{:person/email "a@x" :person/age 1}]""")]).Next;
        var e = s.Synced.Id(":person/email", "a@x");
        var age = s.Synced.Schema[K(":person/age")]!;
        var name = s.Synced.Schema[K(":person/name")]!;
        var delta = new TxDelta(s.BasisT + 1, DateTime.UnixEpoch,
        [
            new DeltaDatom(false, e, K(":person/age"), 2L, false, age.Id), // not the value it holds
            new DeltaDatom(false, e, K(":person/name"), "nobody", false, name.Id), // no such attribute value
            new DeltaDatom(false, e + 50, K(":person/name"), "ghost", false, name.Id), // no such entity
        ]);
        var after = s.Offer([delta]).Next;
        Assert.Equal(s.BasisT + 1, after.BasisT);
        var facts = after.Synced.Facts();
        Assert.Equal(s.Synced.Facts(), facts);
        Assert.Equal(1L, after.Synced.Value(e, ":person/age"));
    }

    // ------------------------------------------------------------------ local transactions

    [Fact]
    public void A_local_transaction_gives_its_new_entities_ids_from_the_local_range_in_the_view_only()
    {
        var (_, s) = Start();
        var (next, report) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"} {:db/id "b" :person/email "b@x" :person/spouse "a"}]"""));
        var a = report.Tempids["a"];
        var b = report.Tempids["b"];
        Assert.True(a >= ReplicaState.LocalIdBase);
        Assert.True(b >= ReplicaState.LocalIdBase);
        Assert.NotEqual(a, b);
        Assert.Equal(a, next.View.Id(":person/email", "a@x"));
        Assert.Equal(a, next.View.Value(b, ":person/spouse"));
        Assert.Null(next.Synced.EntId(new object?[] { K(":person/email"), "a@x" }));
        Assert.Equal(s.BasisT, next.BasisT);
        var p = Assert.Single(next.Pending);
        Assert.Equal("r1", p.RequestId);
        Assert.False(p.Sent);
        Assert.True(p.Owns(a) && p.Owns(b));
        Assert.Null(next.RemoteId(a));

        var (third, r2) = next.Local("r2", Forms("""[{:db/id "c" :person/email "c@x"}]"""));
        Assert.True(r2.Tempids["c"] > Math.Max(a, b), "a later transaction gets later local ids");
        Assert.Equal(2, third.Pending.Count);
    }

    [Fact]
    public void A_new_attribute_while_a_local_entity_is_pending_waits_for_the_master_rather_than_failing_on_its_id()
    {
        var (_, s) = Start();
        var (next, _) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"}]""")); // the view holds an id of the local range
        var (third, report) = next.Local("r2", Forms("[{:db/ident :person/motto :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]"));

        var waiting = third.Pending[^1];
        Assert.Equal("r2", waiting.RequestId);
        Assert.False(waiting.InView); // new attributes need master ids: shown when the master's delta arrives
        Assert.Same(next.View, third.View);
        Assert.Contains(report.TxData, d => Equals(d.V, K(":person/motto")));
    }

    [Fact]
    public void A_waiting_transaction_stays_out_of_the_view_and_goes_to_the_master()
    {
        var (_, s) = Start();
        var forms = Forms("""[[:db/cas 1 :person/age 1 2]]"""); // does not apply here: entity 1 has no age
        Assert.Throws<TxRejectedException>(() => s.Local("r1", forms));
        var waiting = s.Waiting("r1", forms);

        Assert.Same(s.View, waiting.View);
        var p = Assert.Single(waiting.Pending);
        Assert.False(p.InView);
        var (sent, outgoing, failed) = waiting.TakeOutgoing();
        Assert.Empty(failed);
        Assert.Equal("r1", Assert.Single(outgoing).RequestId);
        Assert.True(Assert.Single(sent.Pending).Sent);
    }

    [Fact]
    public void An_invalid_local_transaction_throws_and_leaves_the_state_alone()
    {
        var (m, s) = Start();
        s = s.Offer([m.Commit("""[{:person/email "a@x" :person/ssn "1"}]""")]).Next;
        var ex = Assert.Throws<TxRejectedException>(() => s.Local("r1", Forms("""[{:person/email "b@x" :person/ssn "1"}]""")));
        Assert.Equal(TxErrors.UniqueConflict, ex.Category);
        Assert.Empty(s.Pending);
    }

    [Fact]
    public void The_view_equals_the_synced_value_when_nothing_is_pending()
    {
        var (m, s) = Start();
        s = s.Offer([m.Commit("""[{:person/email "a@x" :person/friends {:person/email "b@x"}}]""")]).Next;
        Assert.Empty(s.Pending);
        SameDatoms(s.Synced, s.View);
        Assert.Equal(s.Synced.BasisT, s.View.BasisT);
    }

    [Fact]
    public void TakeOutgoing_hands_each_pending_transaction_to_the_master_once()
    {
        var (_, s) = Start();
        (s, _) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"}]"""));
        var (next, outgoing, failed) = s.TakeOutgoing();
        Assert.Empty(failed);
        var o = Assert.Single(outgoing);
        Assert.Equal("r1", o.RequestId);
        Assert.Equal(EdnPrinter.Print(Forms("""[{:db/id "a" :person/email "a@x"}]""")), EdnPrinter.Print(o.TxData));
        Assert.True(next.Pending[0].Sent);
        Assert.Empty(next.TakeOutgoing().Outgoing);
    }

    [Fact]
    public void TakeOutgoing_holds_a_transaction_that_names_an_entity_of_a_pending_one_until_the_master_accepts_it()
    {
        var (m, s) = Start();
        TxReport local;
        (s, local) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"}]"""));
        var la = local.Tempids["a"];
        (s, _) = s.Local("r2", Forms($$"""[[:db/add {{la}} :person/age 30] {:db/id "b" :person/spouse {{la}}}]"""));
        (s, _) = s.Local("r3", Forms("""[{:person/email "z@x"}]""")); // independent, but after r2: waits too, in order

        var (held, outgoing, failed) = s.TakeOutgoing();
        Assert.Empty(failed);
        Assert.Equal(["r1"], outgoing.Select(o => o.RequestId));
        s = held;

        // the master commits r1; "a" became master id ra
        var (d1, r1) = m.Commit(outgoing[0].TxData, "r1");
        var ra = r1.Tempids["a"];
        Assert.True(ra < ReplicaState.LocalIdBase);
        s = s.Accepted("r1", d1.T, r1.Tempids);
        Assert.Equal(ra, s.RemoteId(la));
        Assert.Equal(la, s.LocalId(ra));

        (s, outgoing, failed) = s.TakeOutgoing();
        Assert.Empty(failed);
        Assert.Equal(["r2", "r3"], outgoing.Select(o => o.RequestId));
        Assert.Equal(EdnPrinter.Print(Forms($$"""[[:db/add {{ra}} :person/age 30] {:db/id "b" :person/spouse {{ra}}}]""")),
            EdnPrinter.Print(outgoing[0].TxData));
    }

    [Fact]
    public void Accepted_then_the_delta_moves_the_transaction_into_the_synced_value_under_master_ids()
    {
        var (m, s) = Start();
        TxReport local;
        (s, local) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x" :person/age 5}]"""));
        var la = local.Tempids["a"];
        var (s2, outgoing, _) = s.TakeOutgoing();
        var (delta, master) = m.Commit(outgoing[0].TxData, "r1");
        var ra = master.Tempids["a"];

        var accepted = s2.Accepted("r1", delta.T, master.Tempids);
        var p = Assert.Single(accepted.Pending);
        Assert.Equal(delta.T, p.CommittedT);
        Assert.Equal(ra, accepted.RemoteId(la));
        Assert.Equal(la, accepted.View.Id(":person/email", "a@x")); // still the local entity until t is applied
        Assert.Equal(ra, accepted.View.Entity(la)![Db.RemoteIdAttr]);

        var step = accepted.Offer([delta]);
        var resolved = Assert.Single(step.Resolved);
        Assert.Equal("r1", resolved.RequestId);
        Assert.Equal(delta.T, resolved.T);
        Assert.Equal(ra, resolved.LocalToRemote[la]);
        var s3 = step.Next;
        Assert.Empty(s3.Pending);
        Assert.Equal(ra, s3.RemoteOf[la]);
        Assert.Equal(ra, s3.RemoteId(la));
        Assert.Equal(ra, s3.LocalId(ra));
        SameDatoms(m.Db, s3.Synced);
        SameDatoms(s3.Synced, s3.View);
        Assert.Equal(ra, s3.View.Id(":person/email", "a@x"));
    }

    [Fact]
    public void The_delta_before_Accepted_resolves_the_transaction_from_the_tempids_it_carries()
    {
        var (m, s) = Start();
        TxReport local;
        (s, local) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"}]"""));
        var la = local.Tempids["a"];
        var (s2, outgoing, _) = s.TakeOutgoing();
        var (delta, master) = m.Commit(outgoing[0].TxData, "r1");
        var ra = master.Tempids["a"];

        var step = s2.Offer([delta]);
        var resolved = Assert.Single(step.Resolved);
        Assert.Equal(ra, resolved.LocalToRemote[la]);
        Assert.Empty(step.Next.Pending);
        Assert.Equal(ra, step.Next.RemoteId(la));

        var late = step.Next.Accepted("r1", delta.T, master.Tempids); // the acknowledgement arrives after
        Assert.Same(step.Next, late);
        SameDatoms(m.Db, late.Synced);
        SameDatoms(late.Synced, late.View);
    }

    [Fact]
    public void A_transaction_another_writer_committed_first_rebases_the_pending_ones_on_top()
    {
        var (m, s) = Start();
        (s, _) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x" :person/age 1}]"""));
        var other = m.Commit("""[{:person/email "b@x"}]""");
        s = s.Offer([other]).Next;
        Assert.Single(s.Pending);
        Assert.NotNull(s.View.EntId(new object?[] { K(":person/email"), "a@x" }));
        Assert.NotNull(s.View.EntId(new object?[] { K(":person/email"), "b@x" }));
        Assert.Null(s.Synced.EntId(new object?[] { K(":person/email"), "a@x" }));
    }

    [Fact]
    public void Rejected_removes_the_transaction_and_a_transaction_that_named_its_entity_fails_as_not_an_entity()
    {
        var (_, s) = Start();
        TxReport local;
        (s, local) = s.Local("r1", Forms("""[{:db/id "a" :person/email "a@x"}]"""));
        var la = local.Tempids["a"];
        (s, _) = s.Local("r2", Forms($$"""[[:db/add {{la}} :person/age 30]]"""));
        (s, _) = s.Local("r3", Forms("""[{:person/email "c@x"}]"""));
        (s, var outgoing, _) = s.TakeOutgoing();
        Assert.Equal(["r1"], outgoing.Select(o => o.RequestId));

        s = s.Rejected("r1");
        Assert.DoesNotContain(s.Pending, p => p.RequestId == "r1");
        Assert.Null(s.View.EntId(new object?[] { K(":person/email"), "a@x" }));

        var (next, outgoing2, failed) = s.TakeOutgoing();
        var f = Assert.Single(failed);
        Assert.Equal("r2", f.RequestId);
        Assert.Equal(TxErrors.NotAnEntity, f.Error.Category);
        Assert.Equal(["r3"], outgoing2.Select(o => o.RequestId));
        Assert.Equal(["r3"], next.Pending.Select(p => p.RequestId));
        Assert.Empty(next.View.Datoms(IndexType.Eavt, la));
        Assert.NotNull(next.View.EntId(new object?[] { K(":person/email"), "c@x" }));
        Assert.Null(next.RemoteId(la));
    }

    [Fact]
    public void Rejected_of_an_unknown_request_changes_nothing()
    {
        var (_, s) = Start();
        Assert.Same(s, s.Rejected("nope"));
        Assert.Same(s, s.Accepted("nope", 5, new Dictionary<object, long>()));
    }

    [Fact]
    public void DropUnsent_drops_only_what_never_went_to_the_master()
    {
        var (_, s) = Start();
        (s, _) = s.Local("r1", Forms("""[{:person/email "a@x"}]"""));
        (s, _, _) = s.TakeOutgoing();
        (s, _) = s.Local("r2", Forms("""[{:person/email "b@x"}]"""));
        var (next, dropped) = s.DropUnsent();
        Assert.Equal(["r2"], dropped.Select(p => p.RequestId));
        Assert.Equal(["r1"], next.Pending.Select(p => p.RequestId));
        Assert.Null(next.View.EntId(new object?[] { K(":person/email"), "b@x" }));
    }

    [Fact]
    public void The_same_request_id_cannot_be_pending_twice()
    {
        var (_, s) = Start();
        (s, _) = s.Local("r1", Forms("""[{:person/email "a@x"}]"""));
        Assert.Throws<ArgumentException>(() => s.Local("r1", Forms("""[{:person/email "b@x"}]""")));
    }

    [Fact]
    public void Pull_and_entity_show_the_master_id_of_synced_entities_and_none_for_pending_ones()
    {
        var (m, _) = Start();
        var synced = m.Commit(Forms("""[{:db/id "a" :person/email "a@x"}]""")).Report.Tempids["a"];
        var rebuilt = ReplicaState.Bootstrapped(m.Db);
        TxReport local;
        (rebuilt, local) = rebuilt.Local("r1", Forms("""[{:db/id "p" :person/email "p@x"}]"""));
        var pendingId = local.Tempids["p"];
        var pattern = EdnReader.Read("[:person/email :datsync.remote.db/id]")!;

        var pulled = rebuilt.View.Pull(pattern, synced)!;
        Assert.Equal(synced, pulled[Db.RemoteIdAttr]);
        var pending = rebuilt.View.Pull(pattern, pendingId)!;
        Assert.Equal("p@x", pending[Keyword.Intern("person/email")]);
        Assert.False(pending.ContainsKey(Db.RemoteIdAttr)); // no master id while pending
        Assert.Null(rebuilt.View.Entity(pendingId)![Db.RemoteIdAttr]);
        // a master value knows no such attribute
        Assert.False(m.Db.Pull(pattern, synced)!.ContainsKey(Db.RemoteIdAttr));
        Assert.Null(m.Db.Entity(synced)![Db.RemoteIdAttr]);
    }
}
