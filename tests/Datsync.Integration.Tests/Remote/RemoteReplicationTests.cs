using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.Storage;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>A master and replicas in separate actor systems talking over Akka.Remote on loopback.</summary>
public sealed class RemoteReplicationTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);


    private const string Schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
        """;

    private readonly List<ActorSystem> _systems = new();
    private MasterSystem _server = null!;
    private string _address = "";

    public Task InitializeAsync()
    {
        // the server lists hashes; the lines are made here from the tokens the clients give
        _server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0, RemoteTesting.Quick + "\n" + $$"""
            datsync.server.clients {
              {{TokenHash.ConfigLine("alice", "a-token")}}
              {{TokenHash.ConfigLine("bob", "b-token")}}
            }
            """);
        _systems.Add(_server.System);
        _address = DatsyncRemote.ListeningAt(_server.System);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromMinutes(1)); // a shutdown that hangs fails the test
    }

    private ActorSystem Client(string name)
    {
        var s = DatsyncRemote.ClientSystem(name, overrides: RemoteTesting.Quick);
        _systems.Add(s);
        return s;
    }

    private Task<TxAccepted> Commit(string edn) => RemoteTesting.Commit(_server, edn, Long);

    private Task<Db> MasterDb() => RemoteTesting.DbOf(_server, Long);


    [Fact]
    public async Task A_replica_in_another_system_bootstraps_follows_writes_and_gets_rejections()
    {
        await Commit(Schema);
        await Commit("""[{:person/email "ivan@x" :person/name "Ivan"}]""");
        var replica = DatsyncReplica.Connect(Client("alice-system"), _address, "alice", "a-token");
        await replica.Ready.WaitAsync(Long);
        Assert.Equal(2, replica.Status.BasisT);
        Assert.Equal(ConnectionState.Connected, replica.Status.Connection);

        var t = (await Commit("""[{:person/email "petr@x" :person/name "Petr"}]""")).T;
        await replica.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));

        var written = await replica.TransactAsync("""
            [{:db/id "a" :person/email "anna@x" :person/name "Anna" :person/friend "b"}
             {:db/id "b" :person/email "boris@x" :person/friend [:person/email "ivan@x"]}]
            """).WaitAsync(Long);
        var anna = written.Tempids["a"];
        Assert.True(anna < ReplicaState.LocalIdBase);
        Assert.Equal("Anna", replica.Db.Entity(anna)![":person/name"]);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));

        var rejected = await Assert.ThrowsAsync<TxRejectedException>(() => replica.TransactAsync("""[[:db/add "x" :person/nope 1]]""").WaitAsync(Long));
        Assert.Equal(TxErrors.NotAnAttribute, rejected.Category);
        var conflict = await Assert.ThrowsAsync<TxRejectedException>(() =>
            replica.TransactAsync($$"""[{:db/id {{anna}} :person/email "ivan@x"}]""").WaitAsync(Long));
        Assert.Equal(TxErrors.UniqueConflict, conflict.Category);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));
    }

    [Fact]
    public async Task An_unknown_client_or_a_wrong_token_is_refused_with_the_reason()
    {
        var system = Client("intruders");
        var unknown = DatsyncReplica.Connect(system, _address, "mallory", "whatever");
        var e = await Assert.ThrowsAsync<TxRejectedException>(() => unknown.Ready.WaitAsync(Long));
        Assert.Equal(DatsyncErrors.Refused, e.Category);
        Assert.Contains("mallory", e.Message);
        Assert.Equal(ConnectionState.Refused, unknown.Status.Connection);

        var wrong = DatsyncReplica.Connect(system, _address, "bob", "not-bob's");
        var w = await Assert.ThrowsAsync<TxRejectedException>(() => wrong.Ready.WaitAsync(Long));
        Assert.Contains("wrong token", w.Message);
        Assert.DoesNotContain("b-token", w.Message);
    }

    [Fact]
    public async Task A_client_taken_off_the_list_is_ended_over_the_wire_and_refused_while_another_keeps_syncing()
    {
        await Commit(Schema);
        var alice = DatsyncReplica.Connect(Client("alice-revoked"), _address, "alice", "a-token");
        var bob = DatsyncReplica.Connect(Client("bob-kept"), _address, "bob", "b-token");
        await Task.WhenAll(alice.Ready, bob.Ready).WaitAsync(Long);

        var bobOnly = ClientAccess.OfHashes([new("bob", ClientAccess.From(_server.Config).CredentialOf("bob")!.ToString())]);
        var reply = await _server.Server.Ask<object>(new ReplaceClients(bobOnly), Long);
        Assert.Equal(["alice"], Assert.IsType<ClientsReplaced>(reply).Ended);

        await alice.WhenRefused.WaitAsync(Long);
        Assert.Equal(ConnectionState.Refused, alice.Status.Connection);
        Assert.Contains("client \"alice\" is not one this server knows", alice.Refusal!.Message);

        var t = (await Commit("""[{:person/email "later@x" :person/name "Later"}]""")).T;
        await bob.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(ConnectionState.Connected, bob.Status.Connection);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(bob.SyncedDb));
        Assert.True(alice.Status.BasisT < t);
    }

    [Fact]
    public async Task Transactions_and_values_bigger_than_a_frame_cross_in_parts_both_ways()
    {
        await Commit(Schema);
        // a master big enough for many bootstrap chunks
        var people = string.Join(" ", Enumerable.Range(0, 3000).Select(i => $$"""{:person/email "p{{i}}@x" :person/name "{{new string('n', 40)}}{{i}}"}"""));
        await Commit($"[{people}]");
        var replica = DatsyncReplica.Connect(Client("alice-big"), _address, "alice", "a-token");
        await replica.Ready.WaitAsync(Long);

        // a delta of ~600 KB from the master, and one value of 300 KB
        var big = string.Join(" ", Enumerable.Range(0, 4000).Select(i => $$"""{:person/email "q{{i}}@x" :person/name "{{new string('m', 100)}}"}"""));
        await Commit($"[{big}]");
        var huge = new string('h', 300_000);
        var t = (await Commit($$"""[{:person/email "huge@x" :person/name "{{huge}}"}]""")).T;
        await replica.SyncAsync(t).WaitAsync(Long);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));
        Assert.Equal(huge, replica.Db.Entity(EdnReader.Read("""[:person/email "huge@x"]""")!)![":person/name"]);

        // and a transaction of ~500 KB of EDN through the replica, with tempids
        var mine = string.Join(" ", Enumerable.Range(0, 3000).Select(i => $$"""{:db/id "r{{i}}" :person/email "r{{i}}@x" :person/name "{{new string('r', 120)}}"}"""));
        var written = await replica.TransactAsync($"[{mine}]").WaitAsync(Long);
        Assert.Equal(3000, written.Tempids.Count(kv => kv.Key is string k && k.StartsWith('r')));
        Assert.Equal(written.Tempids["r7"], replica.Db.Entity(EdnReader.Read("""[:person/email "r7@x"]""")!)!.Id);
        Assert.Equal(RemoteTesting.All(await MasterDb()), RemoteTesting.All(replica.SyncedDb));
    }
}
