using CsCheck;
using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

/// <summary>
/// Scoped replicas against the definition: over random streams of edits, shares and unshares, ownership and team
/// changes, nested sections, links and deletions, each client's replica (its previous filtered value with the delta of
/// t applied) is the master's value at t filtered to its scope at t, no delivered datom is invisible at its t, and the
/// router names every client that gets a nonempty delta.
/// </summary>
public class ScopePropertyTests
{
    private static object?[] Lr(string attr, string v) => [K(attr), v];

    private static readonly Gen<object> Form = Gen.Select(Gen.Int[0, 17], Gen.Int[0, 5], Gen.Int[0, 3], Gen.Int[0, 4], (kind, d, u, s) =>
    {
        var dk = "d" + d;
        var uk = "u" + u;
        var sk = "s" + s;
        var doc = Lr(":doc/key", dk);
        var user = Lr(":user/id", uk);
        object form = kind switch
        {
            0 => Map(":doc/key", dk, ":doc/title", "t" + s),
            1 => Map(":doc/key", dk, ":doc/owner", user),
            2 => Map(":doc/key", dk, ":doc/shared", user),
            3 => new object?[] { K(":db/retract"), doc, K(":doc/shared"), user },
            4 => Map(":doc/key", dk, ":doc/team", Lr(":team/name", u % 2 == 0 ? "red" : "blue")),
            5 => s % 2 == 0
                ? Map(":user/id", uk, ":user/team", Lr(":team/name", d % 2 == 0 ? "red" : "blue"))
                : new object?[] { K(":db/retract"), user, K(":user/team"), Lr(":team/name", d % 2 == 0 ? "red" : "blue") },
            6 => Map(":doc/key", dk, ":doc/section", Map(":section/key", sk, ":section/text", "x" + u)),
            7 => Map(":section/key", sk, ":section/child", Map(":section/key", "s" + (s + 1 + u) % 5)),
            8 => new object?[] { K(":db/add"), doc, K(":doc/related"), Lr(":doc/key", "d" + (d + 1 + u) % 6) },
            9 => Map(":user/id", uk, ":user/favorite", doc),
            10 => new object?[] { K(":db/retractEntity"), s % 2 == 0 ? doc : Lr(":section/key", sk) },
            11 => Map(":doc/key", dk, ":doc/secret", "secret" + s),
            12 => Map(":doc/key", dk, ":doc/color", u % 2 == 0 ? K(":color/red") : K(":color/blue")),
            13 => new object?[] { K(":db/retract"), doc, K(":doc/owner"), user },
            // schema: an attribute renamed out of and back into the allow-list, an enum ident that comes and goes
            14 => s % 2 == 0 ? Map(":db/id", K(":doc/secret"), ":db/ident", K(":hidden/secret")) : Map(":db/id", K(":hidden/secret"), ":db/ident", K(":doc/secret")),
            15 => Map(":db/ident", K(":color/green")),
            16 => new object?[] { K(":db/retract"), K(":color/green"), K(":db/ident"), K(":color/green") },
            _ => Map(":doc/key", dk, ":doc/color", K(":color/green")),
        };
        return form;
    });

    private static Dictionary<object, object?> Map(params object?[] kv)
    {
        var m = new Dictionary<object, object?>();
        for (var i = 0; i < kv.Length; i += 2) m[K((string)kv[i]!)] = kv[i + 1];
        return m;
    }

    private static readonly Gen<object[][]> Stream = Form.Array[1, 4].Array[1, 20];

    private static readonly Db Start = Docs.Schema.Transact(Forms("""
        [{:db/id "red" :team/name "red"} {:team/name "blue"}
         {:user/id "u0"} {:user/id "u1"} {:user/id "u2" :user/team "red"} {:user/id "u3"}]
        """)).DbAfter;

    private static readonly ScopePolicy Restricted = ScopePolicy.Create(Rules, readAttributes: ["doc/*", "section/*", ":user/id", ":user/team", ":team/name"],
        roleAttributes: new Dictionary<string, IReadOnlyList<string>> { ["fan"] = [":user/favorite"] });

    private sealed class Replica(ScopePolicy policy, ClientIdentity id, Db db)
    {
        public readonly ScopePolicy Policy = policy;
        public readonly ClientIdentity Id = id;
        public ScopeState State = ScopeState.Of(policy, id, db);
        public Db Value = ScopeView.Of(policy, id, db).Filter();
        public override string ToString() => Id.ClientId + " " + string.Join(",", Id.Roles);
    }

    [Fact]
    public void A_scoped_replica_is_the_master_filtered_to_its_scope_at_every_t()
    {
        Stream.Sample(stream =>
        {
            var db = Start;
            var replicas = new List<Replica>
            {
                new(Policy, ClientIdentity.Of("u0"), db),
                new(Policy, ClientIdentity.Of("u1", "admin"), db),
                new(Policy, ClientIdentity.Of("u2"), db),
                new(Restricted, ClientIdentity.Of("u3"), db),
                new(Restricted, ClientIdentity.Of("u2", "fan"), db),
            };
            var router = new ScopeRouter<Replica>();
            foreach (var r in replicas) router.Set(r, r.State);
            foreach (var forms in stream)
            {
                TxReport report;
                try { report = db.Transact(forms); }
                catch (TxRejectedException) { continue; }
                var after = report.DbAfter;
                var concerned = router.Route(after, report.TxData).Concerned.ToHashSet();
                var where = EdnPrinter.Print(forms);
                foreach (var r in replicas)
                {
                    var before = ScopeView.Of(r.Policy, r.Id, db);
                    var fresh = ScopeView.Of(r.Policy, r.Id, after);
                    var delta = ScopeDelta.Of(r.State, after, report.TxData);
                    Assert.True(delta.IsEmpty || concerned.Contains(r), $"{r}: a delta at t={report.T} for {where}, but the router did not name it");
                    foreach (var d in delta.Datoms)
                        Assert.True(d.Added ? fresh.IsVisible(d) : before.IsVisible(d),
                            $"{r}: delivered {WriteRules.Describe(d, after)} for {where}, which is not visible {(d.Added ? "after" : "before")}");
                    r.Value = Apply(r.Value, report.T, delta.Datoms);
                    Assert.Equal(Facts(fresh.Filter()), Facts(r.Value));
                    Assert.Equal(fresh.Entities.Order(), delta.Next.Entities.Order());
                    r.State = delta.Next;
                    router.Set(r, r.State);
                }
                db = report.DbAfter;
            }
        }, iter: 120);
    }

    /// <summary>No leak through writes: what the default write rules accept from one client changes another client's
    /// visible set only by entities the writer sees (before or after), and what they refuse commits nothing.</summary>
    [Fact]
    public void An_accepted_write_moves_only_entities_its_writer_sees()
    {
        ClientIdentity[] clients = [ClientIdentity.Of("u0"), ClientIdentity.Of("u1", "admin"), ClientIdentity.Of("u2"), ClientIdentity.Of("u3")];
        Gen.Select(Stream, Gen.Int[0, 3].Array[20]).Sample((stream, writers) =>
        {
            var db = Start;
            for (var i = 0; i < stream.Length; i++)
            {
                TxReport report;
                try { report = db.Transact(stream[i]); }
                catch (TxRejectedException) { continue; }
                var writer = clients[writers[i]];
                if (WriteRules.Check(Policy, writer, report) is { } violation)
                {
                    Assert.Equal(ScopeErrors.Forbidden, violation.ToException().Category);
                    continue; // refused: the master stays at db
                }
                var seen = ScopeView.Of(Policy, writer, db).Entities.Union(ScopeView.Of(Policy, writer, report.DbAfter).Entities).ToHashSet();
                foreach (var other in clients)
                {
                    var v0 = ScopeView.Of(Policy, other, db).Entities;
                    var v1 = ScopeView.Of(Policy, other, report.DbAfter).Entities;
                    foreach (var e in v0.Except(v1).Concat(v1.Except(v0)))
                        Assert.True(seen.Contains(e), $"{writer.ClientId}'s {EdnPrinter.Print(stream[i])} moved {e}, which it does not see, for {other.ClientId}");
                }
                db = report.DbAfter;
            }
        }, iter: 80);
    }

    [Fact]
    public void The_difference_of_two_filtered_values_turns_one_into_the_other()
    {
        Stream.Sample(stream =>
        {
            var db = Start;
            foreach (var forms in stream)
            {
                try { db = db.Transact(forms).DbAfter; }
                catch (TxRejectedException) { }
            }
            var a = ScopeView.Of(Policy, ClientIdentity.Of("u2", "admin"), db).Filter();
            var b = ScopeView.Of(Restricted, ClientIdentity.Of("u2"), db).Filter();
            var diff = ScopeDelta.Between(a, b);
            var facts = Facts(a).ToHashSet();
            foreach (var d in diff)
            {
                var f = Fact(d, db);
                Assert.True(d.Added ? facts.Add(f) : facts.Remove(f), $"{WriteRules.Describe(d, db)} does not apply");
            }
            Assert.Equal(Facts(b), facts.Order(StringComparer.Ordinal).ToList());
        }, iter: 60);
    }
}
