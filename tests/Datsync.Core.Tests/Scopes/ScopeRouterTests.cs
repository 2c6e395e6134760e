using System.Text;
using Datsync.Core;
using static Datsync.Core.Tests.Scopes.Docs;

namespace Datsync.Core.Tests.Scopes;

public class ScopeRouterTests
{
    private sealed class Client(ClientIdentity id)
    {
        public ClientIdentity Id { get; } = id;
        public ScopeState State = null!;
    }

    /// <summary>Fifty users, each with two documents of its own.</summary>
    private static (Db Db, List<Client> Clients, ScopeRouter<Client> Router) Many(int n = 50)
    {
        var tx = new StringBuilder("[");
        for (var i = 0; i < n; i++)
            tx.Append($"{{:db/id \"u{i}\" :user/id \"u{i}\"}} {{:doc/key \"d{i}a\" :doc/title \"t\" :doc/owner \"u{i}\"}} {{:doc/key \"d{i}b\" :doc/title \"t\" :doc/owner \"u{i}\"}}");
        var db = Docs.Schema.Transact(Forms(tx.Append(']').ToString())).DbAfter;
        var router = new ScopeRouter<Client>();
        var clients = Enumerable.Range(0, n).Select(i => new Client(ClientIdentity.Of("u" + i))).ToList();
        foreach (var c in clients)
        {
            c.State = ScopeState.Of(Policy, c.Id, db);
            router.Set(c, c.State);
        }
        return (db, clients, router);
    }

    [Fact]
    public void A_transaction_touching_one_clients_document_examines_only_that_client()
    {
        var (db, clients, router) = Many();
        var report = db.Transact(Forms("""[[:db/add [:doc/key "d7a"] :doc/title "new"]]"""));
        var routing = router.Route(report.DbAfter, report.TxData);
        Assert.Empty(routing.Reevaluate);
        Assert.Equal([clients[7]], routing.Concerned);
        // the title datom's entity (one client), its retraction's (the same), the tx entity (none)
        Assert.True(routing.Examined <= 2, $"examined {routing.Examined} index entries");
    }

    [Fact]
    public void Sharing_reevaluates_only_the_client_shared_with()
    {
        var (db, clients, router) = Many();
        var report = db.Transact(Forms("""[[:db/add [:doc/key "d3a"] :doc/shared [:user/id "u9"]]]"""));
        var routing = router.Route(report.DbAfter, report.TxData);
        Assert.Equal([clients[9]], routing.Reevaluate);
        Assert.Equal(new[] { clients[3], clients[9] }.ToHashSet(), routing.Concerned.ToHashSet());
        Assert.True(routing.Examined <= 4, $"examined {routing.Examined} index entries");
        var delta = ScopeDelta.Of(clients[9].State, report.DbAfter, report.TxData);
        Assert.Contains(report.DbAfter.Id(":doc/key", "d3a"), delta.Next.Entities);
    }

    [Fact]
    public void Creating_a_document_reevaluates_only_its_owner()
    {
        var (db, clients, router) = Many();
        var report = db.Transact(Forms("""[{:doc/key "new" :doc/title "n" :doc/owner [:user/id "u3"]}]"""));
        var routing = router.Route(report.DbAfter, report.TxData);
        Assert.Equal([clients[3]], routing.Reevaluate);
    }

    [Fact]
    public void The_examined_entries_do_not_grow_with_the_number_of_clients()
    {
        int Examined(int n)
        {
            var (db, _, router) = Many(n);
            var report = db.Transact(Forms("""[[:db/add [:doc/key "d1a"] :doc/title "x"] [:db/add [:doc/key "d2b"] :doc/shared [:user/id "u4"]]]"""));
            return router.Route(report.DbAfter, report.TxData).Examined;
        }
        Assert.Equal(Examined(10), Examined(80));
    }

    [Fact]
    public void A_schema_change_concerns_every_client()
    {
        var (db, clients, router) = Many(5);
        var report = db.Transact(Forms("[{:db/ident :doc/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]"));
        Assert.Equal(clients.ToHashSet(), router.Route(report.DbAfter, report.TxData).Concerned.ToHashSet());
    }

    [Fact]
    public void Every_client_with_a_nonempty_delta_is_concerned()
    {
        var (db, clients, router) = Many(6);
        string[] txs =
        [
            """[[:db/add [:doc/key "d1a"] :doc/shared [:user/id "u2"]]]""",
            """[[:db/add [:doc/key "d1a"] :doc/title "y"] [:db/add [:doc/key "d5b"] :doc/title "z"]]""",
            """[[:db/add [:doc/key "d1a"] :doc/owner [:user/id "u4"]]]""",
            """[[:db/retractEntity [:doc/key "d1a"]]]""",
            """[[:db/add [:doc/key "d0a"] :doc/related [:doc/key "d0b"]]]""",
        ];
        foreach (var tx in txs)
        {
            var report = db.Transact(Forms(tx));
            var concerned = router.Route(report.DbAfter, report.TxData).Concerned.ToHashSet();
            foreach (var c in clients)
            {
                var delta = ScopeDelta.Of(c.State, report.DbAfter, report.TxData);
                Assert.True(delta.IsEmpty || concerned.Contains(c), $"{c.Id.ClientId} has a delta for {tx} but was not routed");
                if (concerned.Contains(c)) router.Set(c, c.State = delta.Next);
            }
            db = report.DbAfter;
        }
        router.Remove(clients[0]);
        Assert.Equal(5, router.Count);
    }

    [Fact]
    public void A_clients_own_datoms_give_the_delta_of_the_whole_transaction()
    {
        var (db, clients, router) = Many(8);
        string[] txs =
        [
            """[[:db/add [:doc/key "d1a"] :doc/title "y"] [:db/add [:doc/key "d5b"] :doc/title "z"] [:db/add [:doc/key "d6a"] :doc/title "w"]]""",
            """[[:db/add [:doc/key "d1a"] :doc/shared [:user/id "u2"]] [:db/add [:doc/key "d3a"] :doc/title "q"]]""",
            """[[:db/add [:doc/key "d1a"] :doc/title "again"] [:db/add [:doc/key "d0a"] :doc/related [:doc/key "d7b"]]]""",
            """[[:db/add [:doc/key "d1a"] :doc/owner [:user/id "u4"]] [:db/add [:doc/key "d2b"] :doc/title "r"]]""",
            """[[:db/retract [:doc/key "d5b"] :doc/title "z"] [:db/add [:doc/key "d0b"] :doc/related [:doc/key "d0a"]]]""",
            """[[:db/retractEntity [:doc/key "d1a"]] [:db/add [:doc/key "d4a"] :doc/title "s"]]""",
            "[{:db/ident :doc/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]",
        ];
        var narrowed = 0;
        foreach (var tx in txs)
        {
            var report = db.Transact(Forms(tx));
            var routing = router.Route(report.DbAfter, report.TxData);
            foreach (var c in routing.Concerned)
            {
                var part = routing.TxDataFor(c, report.TxData);
                if (part.Count < report.TxData.Count) narrowed++;
                var whole = ScopeDelta.Of(c.State, report.DbAfter, report.TxData);
                var own = ScopeDelta.Of(c.State, report.DbAfter, part);
                Assert.Equal(Ops(whole.Datoms, report.DbAfter), Ops(own.Datoms, report.DbAfter));
                Assert.Equal(whole.Next.Entities.Order(), own.Next.Entities.Order());
                Assert.Equal(whole.Next.T, own.Next.T);
                router.Set(c, c.State = own.Next);
            }
            db = report.DbAfter;
        }
        Assert.True(narrowed > 0, "no client was handed a part of a transaction");
        // every scope, kept with the parts, is the scope evaluated on the last value
        foreach (var c in clients)
            Assert.Equal(ScopeState.Of(Policy, c.Id, db).Entities.Order(), c.State.Entities.Order());
    }
}
