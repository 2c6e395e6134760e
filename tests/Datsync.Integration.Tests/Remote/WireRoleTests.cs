using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;

namespace Datsync.Integration.Tests.Remote;

/// <summary>A system on Akka.Remote reads one direction of the wire: a master will not start in a client's system,
/// nor a replica of another master in a master's.</summary>
public sealed class WireRoleTests
{
    [Fact]
    public async Task A_master_refuses_a_clients_system_and_a_remote_replica_refuses_a_masters()
    {
        var client = DatsyncRemote.ClientSystem("role-client");
        await using var server = DatsyncRemote.StartServer(new InMemoryStorage(), "127.0.0.1", 0);
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() =>
                MasterRuntime.Start(client, MasterSettings.From(client.Settings.Config), "wrong-master"));
            Assert.Contains("to-server", e.Message);

            var r = Assert.Throws<InvalidOperationException>(() =>
                DatsyncReplica.Connect(server.System, "127.0.0.1:1", "r1"));
            Assert.Contains("to-replica", r.Message);

            // each in its own kind of system, they work
            var replica = DatsyncReplica.Connect(client, DatsyncRemote.ListeningAt(server.System), "r1");
            await replica.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await client.Terminate();
        }
    }
}
