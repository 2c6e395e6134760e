using System.Text;
using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

public class ScopeFanoutTests
{
    private sealed class Client(ClientIdentity id)
    {
        public ClientIdentity Id { get; } = id;
        public ScopeState Shadow = null!; // the scope filtered from every transaction, as the sessions do today
    }

    private static (Db Db, List<Client> Clients, ScopeFanout<Client> Fanout) Many(int n)
    {
        var tx = new StringBuilder("[");
        for (var i = 0; i < n; i++)
            tx.Append($"{{:db/id \"u{i}\" :user/id \"u{i}\"}} {{:doc/key \"d{i}a\" :doc/title \"t\" :doc/owner \"u{i}\"}} {{:doc/key \"d{i}b\" :doc/title \"t\" :doc/owner \"u{i}\"}}");
        var db = Docs.Schema.Transact(Forms(tx.Append(']').ToString())).DbAfter;
        var fanout = new ScopeFanout<Client>();
        var clients = Enumerable.Range(0, n).Select(i => new Client(ClientIdentity.Of("u" + i))).ToList();
        foreach (var c in clients) fanout.Set(c, c.Shadow = ScopeState.Of(Policy, c.Id, db));
        return (db, clients, fanout);
    }

    [Fact]
    public void The_deltas_of_the_concerned_clients_are_those_of_filtering_every_transaction_for_every_client()
    {
        var (db, clients, fanout) = Many(12);
        string[] txs =
        [
            """[[:db/add [:doc/key "d1a"] :doc/title "y"]]""",
            """[[:db/add [:doc/key "d1a"] :doc/shared [:user/id "u2"]] [:db/add [:doc/key "d3a"] :doc/title "q"]]""",
            """[[:db/add [:doc/key "d1a"] :doc/title "seen by two"]]""",
            """[[:db/add [:doc/key "d0a"] :doc/related [:doc/key "d7b"]] [:db/add [:doc/key "d0b"] :doc/related [:doc/key "d0a"]]]""",
            """[[:db/add [:doc/key "d1a"] :doc/owner [:user/id "u4"]] [:db/add [:doc/key "d2b"] :doc/title "r"]]""",
            """[[:db/retract [:doc/key "d1a"] :doc/shared [:user/id "u2"]]]""",
            """[{:doc/key "n9" :doc/title "new" :doc/owner [:user/id "u9"]}]""",
            """[[:db/retractEntity [:doc/key "d1a"]] [:db/add [:doc/key "d4a"] :doc/title "s"]]""",
            "[{:db/ident :doc/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]",
            """[[:db/add [:doc/key "d11b"] :doc/title "last"]]""",
        ];
        foreach (var tx in txs)
        {
            var report = db.Transact(Forms(tx));
            db = report.DbAfter;
            var routed = fanout.Route(db, report.TxData).ToDictionary(r => r.Client, r => r.Delta);
            foreach (var c in clients)
            {
                var every = ScopeDelta.Of(c.Shadow, db, report.TxData);
                c.Shadow = every.Next;
                if (routed.TryGetValue(c, out var delta))
                    Assert.Equal(Ops(every.Datoms, db), Ops(delta.Datoms, db));
                else
                    Assert.True(every.IsEmpty, $"{c.Id.ClientId} has a delta for {tx} but was not routed");
            }
        }
        foreach (var c in clients)
            Assert.Equal(ScopeState.Of(Policy, c.Id, db).Entities.Order(), fanout.StateOf(c)!.Entities.Order());
    }

    [Fact]
    public void A_transaction_concerning_one_client_of_many_makes_a_delta_for_that_client_only()
    {
        var (db, clients, fanout) = Many(200);
        var report = db.Transact(Forms("""[[:db/add [:doc/key "d17b"] :doc/title "only 17"]]"""));
        var routed = fanout.Route(report.DbAfter, report.TxData);
        var (client, delta) = Assert.Single(routed);
        Assert.Same(clients[17], client);
        Assert.False(delta.IsEmpty);
        Assert.True(fanout.LastExamined <= 2, $"examined {fanout.LastExamined} index entries");
        // the others' scopes stay at the t before, still right
        Assert.Equal(report.DbAfter.BasisT, fanout.StateOf(clients[17])!.T);
        Assert.Equal(db.BasisT, fanout.StateOf(clients[3])!.T);
        fanout.Remove(clients[17]);
        Assert.Empty(fanout.Route(report.DbAfter.Transact(Forms("""[[:db/add [:doc/key "d17b"] :doc/title "gone"]]""")).DbAfter,
            report.DbAfter.Transact(Forms("""[[:db/add [:doc/key "d17b"] :doc/title "gone"]]""")).TxData));
    }

    [Fact]
    public void The_client_named_beside_the_concerned_ones_gets_its_delta_too_empty_when_nothing_reaches_it()
    {
        var (db, clients, fanout) = Many(5);
        var report = db.Transact(Forms("""[[:db/add [:doc/key "d1a"] :doc/title "z"]]"""));
        var routed = fanout.Route(report.DbAfter, report.TxData, also: clients[3]);

        Assert.Equal(["u1", "u3"], routed.Select(r => r.Client.Id.ClientId).Order());
        Assert.True(routed.Single(r => r.Client == clients[3]).Delta.IsEmpty);
        Assert.Equal(report.DbAfter.BasisT, fanout.StateOf(clients[3])!.T);
        Assert.False(routed.Single(r => r.Client == clients[1]).Delta.IsEmpty);
        // named and concerned: one delta, not two
        var again = report.DbAfter.Transact(Forms("""[[:db/add [:doc/key "d1a"] :doc/title "zz"]]"""));
        Assert.Single(fanout.Route(again.DbAfter, again.TxData, also: clients[1]));
    }
}
