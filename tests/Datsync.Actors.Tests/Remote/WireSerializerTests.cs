using System.Collections;
using System.Numerics;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Tests.Master;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Remote;

public class WireSerializerTests(ITestOutputHelper log) : MasterTestKit(log)
{
    private readonly ITestOutputHelper _out = log;

    private DatsyncWireSerializer Wire(string accept) =>
        new((ExtendedActorSystem)Sys, ConfigurationFactory.ParseString($"accept = {accept}")
            .WithFallback(Sys.Settings.Config.GetConfig("akka.actor.serialization-settings.datsync-wire")));

    private static object Back(DatsyncWireSerializer s, object message) => s.FromBinary(s.ToBinary(message), message.GetType());

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<DatsyncWireSerializer>(serializer);
        return Assert.IsType<T>(serializer.FromBinary(serializer.ToBinary(message), typeof(T)));
    }

    // ---------------------------------------------------------------- realistic messages of each direction

    private static readonly Db Schema = Db.Empty.Transact(EdnReader.Read("""
        [{:db/ident :v/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :v/k :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
         {:db/ident :v/l :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :v/d :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
         {:db/ident :v/f :db/valueType :db.type/float :db/cardinality :db.cardinality/one}
         {:db/ident :v/i :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
         {:db/ident :v/u :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}
         {:db/ident :v/b :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}
         {:db/ident :v/m :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/one}
         {:db/ident :v/y :db/valueType :db.type/symbol :db/cardinality :db.cardinality/one}
         {:db/ident :v/t :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
         {:db/ident :v/r :db/valueType :db.type/uri :db/cardinality :db.cardinality/one}
         {:db/ident :v/e :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
        """) as IReadOnlyList<object?> ?? []).DbAfter;

    private static TxReport Report()
    {
        var x = new Dictionary<object, object?>
        {
            [BuiltIns.DbId] = "x", [Keyword.Intern("v/s")] = "héllo \u2603", [Keyword.Intern("v/k")] = Keyword.Intern("some/kw"),
            [Keyword.Intern("v/l")] = -42L, [Keyword.Intern("v/d")] = 1.5, [Keyword.Intern("v/f")] = 2.25f,
            [Keyword.Intern("v/i")] = new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc),
            [Keyword.Intern("v/u")] = Guid.Parse("6f1c3b1e-2b7a-4e2a-9a51-0c6f6f3e2d11"),
            [Keyword.Intern("v/b")] = BigInteger.Parse("123456789012345678901234567890"), [Keyword.Intern("v/m")] = 1.25m,
            [Keyword.Intern("v/y")] = new Symbol("some/sym"), [Keyword.Intern("v/t")] = true,
            [Keyword.Intern("v/r")] = new Uri("https://example.org/a?b=c"),
            [Keyword.Intern("v/e")] = new object[] { -1L, "y" },
        };
        var y = new Dictionary<object, object?> { [BuiltIns.DbId] = "y", [Keyword.Intern("v/s")] = "why" };
        var z = new Dictionary<object, object?> { [BuiltIns.DbId] = -1L, [Keyword.Intern("v/l")] = 7L };
        return Schema.Transact([x, y, z]);
    }

    private static TxDelta Delta()
    {
        var r = Report();
        return TxDelta.From(r.DbAfter, r.T, r.TxData, "req-1", r.Tempids);
    }

    private static IEnumerable<object> ToReplicaSamples()
    {
        var r = Report();
        var delta = Delta();
        yield return new Connected(3, 10, 4, 12, 1000, 64000);
        yield return new Connected(3, 10, 0, 12, DatabaseId: "0123456789abcdef0123456789abcdef");
        yield return new ConnectRefused(4, "unknown client");
        yield return new BootstrapChunk(10, 2, 4, [1, 2, 3]);
        yield return new SessionHeartbeat(12);
        yield return delta;
        yield return new TxDeltaBatch([delta, new TxDelta(5, DateTime.UnixEpoch, [])]);
        yield return new TxDeltaBatch(new List<TxDelta> { delta }.AsReadOnly());
        yield return new TxDeltaPart(4, 1, 3, [9, 8, 7]);
        yield return new TxRangeResult(3, 9, [delta]);
        yield return new TxRangeResult(3, 9, []);
        yield return new TxAccepted("r", 5, r.Tempids, r.TxData);
        yield return new TxAccepted("r", 5, new Dictionary<object, long> { ["a"] = 1001, [-1L] = 1002 }, []);
        yield return new TxRejected("r", TxErrors.UniqueConflict, "taken");
        yield return new ResumeFrom(17);
        yield return new FromSession(ChannelKeys.New(), new SessionHeartbeat(3));
        yield return new FromSession(ChannelKeys.New(), delta);
        yield return new FromSession(ChannelKeys.New(), new TxDeltaBatch([delta]));
    }

    private static IEnumerable<object> ToServerSamples()
    {
        yield return new Connect("client \"1\"", 17, 99, "secret");
        yield return new Connect("c", null, 1);
        yield return new Connect("c", 4, 2, null, ChannelKeys.New(), "0123456789abcdef0123456789abcdef");
        yield return new BootstrapAck(10, 3);
        yield return new SubmitTx("c", "r", "[{:db/id \"a\" :x/y 1}]");
        yield return new SubmitTxPart("c", "r", 0, 2, Encoding.UTF8.GetBytes("[{:db/id"));
        yield return new TransactOnce("c", "t", "r", "[]");
        yield return new TransactOnce("c", null, "r", "[]");
        yield return new TxRange(3, 9);
        yield return new LogAck(8);
        foreach (var t in WireTypes.Messages(WireAccept.ToServer).Where(t => typeof(ISessionRequest).IsAssignableFrom(t)))
            yield return new ToSession(ChannelKeys.New(), (ISessionRequest)ByReflection(t, 0));
    }

    // a message of a type the samples above do not cover, made from its constructor's parameters
    private static object ByReflection(Type t, int depth)
    {
        var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return ctor.Invoke(ctor.GetParameters().Select(p => Value(p.ParameterType, depth + 1)).ToArray());
    }

    private static object? Value(Type t, int depth)
    {
        if (t == typeof(string)) return "s\u00e9";
        if (t == typeof(long) || t == typeof(long?)) return 7L;
        if (t == typeof(int) || t == typeof(int?)) return 3;
        if (t == typeof(bool)) return true;
        if (t == typeof(byte[])) return new byte[] { 1, 2 };
        if (t == typeof(Keyword)) return Keyword.Intern("a/b");
        if (t == typeof(DateTime)) return DateTime.UnixEpoch;
        if (t == typeof(IReadOnlyList<TxDelta>)) return new List<TxDelta> { Delta() };
        if (t == typeof(IReadOnlyDictionary<object, long>)) return new Dictionary<object, long> { ["a"] = 1, [-2L] = 2 };
        if (t == typeof(ISessionRequest))
            return WireTypes.Messages(WireAccept.ToServer).FirstOrDefault(m => typeof(ISessionRequest).IsAssignableFrom(m)) is { } r
                ? ByReflection(r, depth) : null;
        if (t == typeof(object)) return new SessionHeartbeat(1);
        if (depth < 3 && t.IsClass && !t.IsAbstract) return ByReflection(t, depth);
        throw new Xunit.Sdk.XunitException($"no sample value of {t} (add a sample of the message to the test)");
    }

    // the samples of the direction's messages (those of the protocol before its messages carried a direction count
    // while they are messages of it), and one made by reflection of every message without a sample
    private static IEnumerable<object> Covered(IEnumerable<object> samples, WireAccept accept)
    {
        var messages = WireTypes.Messages(accept);
        var list = samples.Where(s => messages.Contains(s.GetType())).ToList();
        Assert.True(list.Count >= 5, $"only {list.Count} samples are messages of {accept}");
        var missing = messages.Where(t => !list.Any(s => s.GetType() == t)).ToList();
        return list.Concat(missing.Select(t => ByReflection(t, 0)));
    }

    /// <summary>What a message says, to compare a message with what came back (collections by their elements).</summary>
    private static string Dump(object? o) => o switch
    {
        null => "nil",
        string s => "\"" + s + "\"",
        byte[] b => "0x" + Convert.ToHexString(b),
        Keyword or Symbol or Uri or BigInteger or Guid or DateTime or decimal or double or float or long or int or bool =>
            o.GetType().Name + ":" + Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture) +
            (o is DateTime d ? d.Kind.ToString() : ""),
        Datom d => d.ToString() + Dump(d.V),
        IDictionary dict => "{" + string.Join(", ", dict.Keys.Cast<object>().Select(k => Dump(k) + " " + Dump(dict[k])).Order(StringComparer.Ordinal)) + "}",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Dump)) + "]",
        _ => o.GetType().Name + "(" + string.Join(", ", o.GetType().GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name is not ("MasterValue" or "ChannelKeyBytes"))
            .Select(p => p.Name + "=" + Dump(p.GetValue(o)))) + ")",
    };

    [Fact]
    public void Every_message_a_server_sends_crosses_to_a_client_with_every_value_type()
    {
        var client = Wire("to-replica");
        foreach (var m in Covered(ToReplicaSamples(), WireAccept.ToReplica))
        {
            var back = Back(client, m);
            Assert.Equal(m.GetType(), back.GetType());
            Assert.Equal(Dump(m), Dump(back));
        }
    }

    [Fact]
    public void Every_message_a_client_sends_crosses_to_a_server()
    {
        var server = Wire("to-server");
        foreach (var m in Covered(ToServerSamples(), WireAccept.ToServer))
        {
            var back = Back(server, m);
            Assert.Equal(m.GetType(), back.GetType());
            Assert.Equal(Dump(m), Dump(back));
        }
    }

    [Fact]
    public void A_delta_keeps_its_values_types_and_interned_keywords_and_leaves_the_master_value_behind()
    {
        var r = Report();
        var delta = TxDelta.From(r.DbAfter, r.T, r.TxData, "req-1", r.Tempids);
        Assert.NotNull(delta.MasterValue);
        var back = RoundTrip(delta);
        Assert.Null(back.MasterValue);
        Assert.Equal(delta.Tempids!["x"], back.Tempids!["x"]);
        Assert.Equal(delta.Tempids![-1L], back.Tempids![-1L]);
        for (var i = 0; i < delta.Datoms.Count; i++)
        {
            Assert.Same(delta.Datoms[i].A, back.Datoms[i].A); // the same interned keyword
            Assert.Equal(delta.Datoms[i].V.GetType(), back.Datoms[i].V.GetType());
        }
        Assert.Same(Keyword.Intern("some/kw"), back.Datoms.Single(d => d.A == Keyword.Intern("v/k")).V);
        Assert.Same(TxErrors.UniqueConflict, RoundTrip(new TxRejected("r", TxErrors.UniqueConflict, "taken")).Category);
        Assert.Equal(r.DbAfter.Datoms(IndexType.Eavt).Select(d => d.ToString()), back.ApplyTo(Schema).Datoms(IndexType.Eavt).Select(d => d.ToString()));
    }

    [Fact]
    public void A_system_reads_only_its_own_direction_and_no_internal_message()
    {
        var client = Wire("to-replica");
        var server = Wire("to-server");
        var both = Wire("both");

        var connect = new Connect("c", null, 1, "t");
        Assert.Equal(connect, Back(both, connect)); // a system that reads both takes it ...
        var e = Assert.Throws<SerializationException>(() => Back(client, connect)); // ... a client does not
        Assert.Contains("Datsync.Actors.Protocol.Connect", e.Message);

        var d = Assert.Throws<SerializationException>(() => Back(server, Delta()));
        Assert.Contains("TxDeltaOnWire", d.Message);
        Assert.Contains("'Datsync.Actors.Protocol.ConnectRefused", Assert.Throws<SerializationException>(() => Back(server, new ConnectRefused(1, "no"))).Message);

        // the master's internal messages are no one's to send
        foreach (var s in new[] { client, server, both })
        {
            Assert.Contains("Datsync.Actors.Protocol.GetDb", Assert.Throws<SerializationException>(() => Back(s, GetDb.Instance)).Message);
            Assert.Contains("Datsync.Actors.Protocol.Transact", Assert.Throws<SerializationException>(() =>
                Back(s, new Transact("r", [new object?[] { Keyword.Intern("db/add"), "x", Keyword.Intern("a/b"), 1L }]))).Message);
            Assert.Contains("Datsync.Actors.Protocol.SubscribeLog", Assert.Throws<SerializationException>(() => Back(s, new SubscribeLog(1))).Message);
        }
        // a value alone is not a message
        Assert.Throws<SerializationException>(() => Back(client, Delta().Datoms[0]));
    }

    [Fact]
    public void Only_a_cluster_nodes_system_reads_what_the_nodes_send_each_other()
    {
        var cluster = Wire("cluster");
        var tx = new ClusterTransact("r", "[[:db/add \"x\" :a/b 1]]", null, null, "alice");
        Assert.Equal(tx, Back(cluster, tx));
        // and both directions of the replication protocol, which its nodes' copies and sessions speak
        Assert.Equal(new Connect("c", null, 1, "t"), Back(cluster, new Connect("c", null, 1, "t")));
        Assert.Equal(new ConnectRefused(1, "no"), Back(cluster, new ConnectRefused(1, "no")));
        foreach (var accept in new[] { "to-replica", "to-server", "both" })
            Assert.Contains("Datsync.Actors.Protocol.ClusterTransact", Assert.Throws<SerializationException>(() => Back(Wire(accept), tx)).Message);
        // the master's internal messages stay internal on a cluster node too
        Assert.Contains("Datsync.Actors.Protocol.GetDb", Assert.Throws<SerializationException>(() => Back(cluster, GetDb.Instance)).Message);
        Assert.Contains("Datsync.Actors.Protocol.Transact", Assert.Throws<SerializationException>(() =>
            Back(cluster, new Transact("r", [new object?[] { Keyword.Intern("db/add"), "x", Keyword.Intern("a/b"), 1L }]))).Message);
    }

    public sealed record Smuggled(string What);

    [Fact]
    public void A_payload_naming_a_type_outside_the_list_is_refused_with_the_types_name()
    {
        // hand-made payloads, written by a Hyperion that writes anything
        var anything = new Hyperion.Serializer(Hyperion.SerializerOptions.Default.WithVersionTolerance(true).WithPreserveObjectReferences(false).WithDisallowUnsafeType(false));
        byte[] Written(object o)
        {
            using var ms = new MemoryStream();
            anything.Serialize(o, ms);
            return ms.ToArray();
        }
        foreach (var accept in new[] { "to-replica", "to-server", "both" })
        {
            var s = Wire(accept);
            var smuggled = Assert.Throws<SerializationException>(() => s.FromBinary(Written(new Smuggled("x")), typeof(object)));
            Assert.Contains("WireSerializerTests+Smuggled", smuggled.Message);
            var file = Assert.Throws<SerializationException>(() => s.FromBinary(Written(new FileInfo("/etc/passwd")), typeof(object)));
            Assert.Contains("System.IO.FileInfo", file.Message);
            // inside a message of the direction: a field typed object holding a foreign value
            var inside = Assert.Throws<SerializationException>(() =>
                s.FromBinary(Written(new FromSession("k", new Smuggled("x"))), typeof(object)));
            Assert.Contains(accept == "to-server" ? "FromSession" : "Smuggled", inside.Message);
            var list = Assert.Throws<SerializationException>(() =>
                s.FromBinary(Written(new FromSession("k", new List<string> { "a" })), typeof(object)));
            Assert.Contains(accept == "to-server" ? "FromSession" : "List`1", list.Message);
        }
    }

    [Fact]
    public void The_filter_of_each_direction_admits_only_its_list()
    {
        var client = Wire("to-replica").Filter;
        var server = Wire("to-server").Filter;
        Assert.True(client.Admits(typeof(Connected)));
        Assert.False(client.Admits(typeof(Connect)));
        Assert.True(server.Admits(typeof(Connect)));
        Assert.False(server.Admits(typeof(Connected)));
        Assert.False(server.Admits(typeof(DeltaDatom)));
        Assert.False(client.IsAllowed("System.Diagnostics.Process, System.Diagnostics.Process"));
        Assert.False(server.IsAllowed(WireTypeFilter.WireName(typeof(Transact))));
        Assert.Throws<ConfigurationException>(() => Wire("anything"));
        _out.WriteLine("to-replica: " + string.Join("\n  ", client.Names.Order()));
        _out.WriteLine("to-server: " + string.Join("\n  ", server.Names.Order()));
    }
}
