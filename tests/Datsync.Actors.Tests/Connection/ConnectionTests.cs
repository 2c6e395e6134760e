using Datsync.Core;

namespace Datsync.Actors.Tests.Connection;

/// <summary>The connection API, the same on the master and on a replica: writes with typed results and rejections,
/// sync, reports, status and disposal.</summary>
public class ConnectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly string _name = "conn-" + Guid.NewGuid().ToString("N")[..8];
    private DatsyncMaster _master = null!;

    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    public async Task InitializeAsync() =>
        _master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions { Name = _name, Storage = { Kind = "memory" } }).WaitAsync(Long);

    public async Task DisposeAsync() => await _master.DisposeAsync();

    private Task<DatsyncReplica> Replica(string clientId, int? reportBuffer = null) =>
        DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions
        {
            ClientId = clientId, ServerSystemName = _name,
            Hocon = reportBuffer is { } n ? $"datsync.connection.report-buffer = {n}" : null,
        }).WaitAsync(Long);

    public static TheoryData<string> Places => ["master", "replica"];

    private async Task<IDatsyncConnection> On(string place) => place == "master" ? _master : await Replica("c-" + Guid.NewGuid().ToString("N")[..6]);

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_write_completes_with_its_t_ids_values_and_datoms_and_the_connection_holds_it(string place)
    {
        var conn = await On(place);
        await conn.TransactAsync(Schema).WaitAsync(Long);
        var before = conn.Db;
        var r = await conn.TransactAsync([Core.Tx.Entity("ivan", (":person/email", "ivan@x"), (":person/name", "Ivan"))]).WaitAsync(Long);

        var ivan = r.Tempid("ivan");
        Assert.Equal(r.T, r.DbAfter.BasisT);
        Assert.Equal(r.T - 1, r.DbBefore.BasisT);
        Assert.Null(r.DbBefore.Entity(ivan)?.Get<string>(":person/name"));
        Assert.Equal("Ivan", r.DbAfter.Entity(ivan)!.Get<string>(":person/name"));
        Assert.Contains(r.TxData, d => d.E == ivan && "Ivan".Equals(d.V));
        Assert.True(conn.Db.BasisT >= r.T);
        Assert.Equal("Ivan", conn.Db.Entity(ivan)!.Get<string>(":person/name")); // read your write
        Assert.Null(before.Entity(ivan)?.Get<string>(":person/name")); // a value never changes
        Assert.Equal(ConnectionState.Connected, conn.Status.Connection);
        Assert.True(conn.Status.BasisT >= r.T);
        Assert.Equal("Ivan", (await _master.SyncAsync(r.T).WaitAsync(Long)).Entity(ivan)!.Get<string>(":person/name"));
        await conn.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_rejected_write_throws_its_category_and_message_and_changes_nothing(string place)
    {
        var conn = await On(place);
        await conn.TransactAsync(Schema).WaitAsync(Long);
        var t = _master.Db.BasisT;
        var e = await Assert.ThrowsAsync<TxRejectedException>(() => conn.TransactAsync("""[[:db/add "x" :person/nope 1]]""").WaitAsync(Long));
        Assert.Equal(TxErrors.NotAnAttribute, e.Category);
        Assert.Contains(":person/nope", e.Message);
        var unreadable = await Assert.ThrowsAsync<TxRejectedException>(() => conn.TransactAsync("[[:db/add").WaitAsync(Long));
        Assert.Equal(TxErrors.InvalidTxData, unreadable.Category);
        Assert.Equal(t, _master.Db.BasisT);
        Assert.Equal(t, conn.Db.BasisT);
        await conn.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Places))]
    public async Task Reports_give_every_change_in_order_to_each_reader(string place)
    {
        var conn = await On(place);
        await conn.TransactAsync(Schema).WaitAsync(Long);
        var first = Read(conn.Reports, 3);
        var second = Read(conn.Reports, 3);
        var results = new List<TxResult>();
        for (var i = 0; i < 3; i++)
            results.Add(await _master.TransactAsync([Core.Tx.Entity("p", (":person/email", $"p{i}@x"))]).WaitAsync(Long));

        foreach (var reader in new[] { first, second })
        {
            var seen = (await reader.WaitAsync(Long)).Where(c => !c.Pending).ToList();
            Assert.Equal(results.Select(r => r.T), seen.Select(c => c.T));
            for (var i = 0; i < seen.Count; i++)
            {
                Assert.Equal(seen[i].T, seen[i].DbAfter.BasisT);
                Assert.Equal(results[i].TxData, seen[i].TxData);
                if (i > 0) Assert.Same(seen[i - 1].DbAfter, seen[i].DbBefore);
            }
        }
        await conn.DisposeAsync();
    }

    private static Task<List<DbChange>> Read(IAsyncEnumerable<DbChange> reports, int count)
    {
        var e = reports.GetAsyncEnumerator(); // subscribed from here on
        return Task.Run(async () =>
        {
            var list = new List<DbChange>();
            try
            {
                while (list.Count(c => !c.Pending) < count && await e.MoveNextAsync()) list.Add(e.Current);
            }
            finally
            {
                await e.DisposeAsync();
            }
            return list;
        });
    }

    [Fact]
    public async Task A_query_on_a_replica_equals_the_same_query_on_the_master_at_the_same_t()
    {
        await using var replica = await Replica("q");
        await replica.TransactAsync(Schema).WaitAsync(Long);
        var last = await replica.TransactAsync([
            Core.Tx.Entity("a", (":person/email", "a@x"), (":person/name", "Anna")),
            Core.Tx.Entity("b", (":person/email", "b@x"), (":person/name", "Boris")),
            Core.Tx.Entity("c", (":person/email", "c@x"), (":person/name", "Anna")),
        ]).WaitAsync(Long);
        const string query = "[:find ?email :in $ ?name :where [?e :person/name ?name] [?e :person/email ?email]]";

        var onMaster = await _master.QueryAsync(query, ["Anna"], basisT: last.T).WaitAsync(Long);
        var onReplica = await replica.QueryAsync(query, ["Anna"], basisT: last.T).WaitAsync(Long);
        Assert.Equal(EdnReader.Read("""#{["a@x"] ["c@x"]}"""), onMaster);
        Assert.Equal(onMaster, onReplica);
        Assert.Equal(onMaster, replica.Q(query, "Anna"));
        await Assert.ThrowsAsync<QueryException>(() => replica.QueryAsync("[:find ?x :where [?e :person/name ?n]]").WaitAsync(Long));
    }

    [Fact]
    public async Task A_reader_that_falls_behind_is_told_so_and_replication_goes_on()
    {
        await using var replica = await Replica("slow", reportBuffer: 2);
        await replica.TransactAsync(Schema).WaitAsync(Long);
        var reader = replica.Reports.GetAsyncEnumerator();
        TxResult last = null!;
        for (var i = 0; i < 6; i++) last = await _master.TransactAsync([Core.Tx.Entity("p", (":person/email", $"s{i}@x"))]).WaitAsync(Long);
        await replica.SyncAsync(last.T).WaitAsync(Long); // the replica kept applying while nobody read

        var got = new List<long>();
        var overflow = await Assert.ThrowsAsync<ReportsOverflowException>(async () =>
        {
            while (await reader.MoveNextAsync()) got.Add(reader.Current.T);
        });
        Assert.Equal(2, got.Count);
        Assert.Equal(got[^1], overflow.LastT);
        Assert.Contains("report-buffer", overflow.Message);
    }

    [Fact]
    public async Task Sync_waits_for_a_t_the_connection_does_not_hold_yet()
    {
        await using var replica = await Replica("sync");
        var t = _master.Db.BasisT + 1;
        var masterWait = _master.SyncAsync(t);
        var replicaWait = replica.SyncAsync(t);
        Assert.False(masterWait.IsCompleted);
        Assert.False(replicaWait.IsCompleted);
        await _master.TransactAsync(Schema).WaitAsync(Long);
        Assert.True((await masterWait.WaitAsync(Long)).BasisT >= t);
        Assert.True((await replicaWait.WaitAsync(Long)).BasisT >= t);

        using var cancel = new CancellationTokenSource();
        var never = _master.SyncAsync(t + 100, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => never.WaitAsync(Long));
    }

    [Fact]
    public async Task A_replica_without_a_master_of_that_name_is_refused_at_once_naming_it()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "x", ServerSystemName = "no-such-master" }));
        Assert.Contains("no-such-master", e.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ServerSystemName = _name }));
    }

    [Fact]
    public async Task Disposing_a_replica_ends_its_reports_and_fails_its_writes_as_unavailable()
    {
        var replica = await Replica("gone");
        await using var reports = replica.Reports.GetAsyncEnumerator();
        var next = reports.MoveNextAsync().AsTask();
        await replica.DisposeAsync();
        Assert.False(await next.WaitAsync(Long));
        var e = await Assert.ThrowsAsync<TxRejectedException>(() => replica.TransactAsync(Schema).WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Unavailable, e.Category);
    }

    [Fact]
    public async Task A_disposed_master_refuses_writes_and_ends_its_reports()
    {
        var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions { Name = _name + "-b", Storage = { Kind = "memory" } }).WaitAsync(Long);
        await using var reports = master.Reports.GetAsyncEnumerator();
        var next = reports.MoveNextAsync().AsTask();
        var waiting = master.SyncAsync(5);
        await master.DisposeAsync();
        Assert.False(await next.WaitAsync(Long));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Long));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => master.TransactAsync(Schema));
        Assert.Equal(ConnectionState.Disconnected, master.Status.Connection);
    }
}
