using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Datsync.Actors.Persistence;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Core;

namespace Datsync.Actors.Tests.Remote;

public class WireSecurityTests
{
    private static ActorSystem System(Config? security) =>
        ActorSystem.Create("wire-security", (security ?? Config.Empty).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
            .WithFallback(DatsyncConfig.Default));

    public sealed record Gadget(string Name);

    [Fact]
    public async Task A_message_with_the_json_serializers_id_is_refused_in_a_datsync_system()
    {
        // a hand-made message: serializer id 1 (Akka's json) with the manifest of a type
        var bytes = Encoding.UTF8.GetBytes("""{"Name":"built by a peer"}""");
        var manifest = typeof(Gadget).AssemblyQualifiedName!;

        var plain = System(null);
        try
        {
            // without the wire security settings, Akka's Newtonsoft builds the type a peer names
            Assert.Equal(new Gadget("built by a peer"), plain.Serialization.Deserialize(bytes, 1, manifest));
        }
        finally { await plain.Terminate(); }

        foreach (var security in new[] { WireSecurity.Server, WireSecurity.Client })
        {
            var system = System(security);
            try
            {
                Assert.IsType<JsonClosedToWire>(system.Serialization.FindSerializerForType(typeof(Version)));
                var e = Assert.ThrowsAny<Exception>(() => system.Serialization.Deserialize(bytes, 1, manifest));
                Assert.IsType<SerializationException>(e is SerializationException ? e : e.InnerException);
                Assert.Throws<SerializationException>(() => system.Serialization.Deserialize(bytes, 1, "System.Diagnostics.Process, System.Diagnostics.Process"));
                // it still writes (Akka's own json, never read back from a peer)
                Assert.NotEmpty(system.Serialization.FindSerializerForType(typeof(Version)).ToBinary(new Version(1, 2)));
            }
            finally { await system.Terminate(); }
        }
    }

    [Fact]
    public async Task Nothing_of_datsync_goes_through_json()
    {
        var system = System(WireSecurity.Server);
        try
        {
            Assert.IsType<DatsyncPersistenceSerializer>(system.Serialization.FindSerializerForType(typeof(TxRecord)));
            Assert.IsType<DatsyncPersistenceSerializer>(system.Serialization.FindSerializerForType(typeof(DbSnapshot)));
            Assert.IsType<DatsyncWireSerializer>(system.Serialization.FindSerializerForType(typeof(TxDelta)));
            foreach (var t in typeof(IDatsyncMessage).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDatsyncMessage).IsAssignableFrom(t)))
                Assert.IsType<DatsyncWireSerializer>(system.Serialization.FindSerializerForType(t));
            var wire = Assert.IsType<DatsyncWireSerializer>(system.Serialization.FindSerializerForType(typeof(TxDelta)));
            Assert.Equal(WireAccept.ToServer, wire.Accept);
        }
        finally { await system.Terminate(); }
        Assert.Equal(["/user/other-server", "/system/remote-watcher"],
            WireSecurity.ForServer("other-server").GetStringList("datsync.server.allowed-recipients"));
        Assert.Same(WireSecurity.Server, WireSecurity.ForServer("datsync-server"));
        var client = System(WireSecurity.Client);
        try
        {
            Assert.Equal(WireAccept.ToReplica, Assert.IsType<DatsyncWireSerializer>(client.Serialization.FindSerializerForType(typeof(TxDelta))).Accept);
        }
        finally { await client.Terminate(); }
    }
}
