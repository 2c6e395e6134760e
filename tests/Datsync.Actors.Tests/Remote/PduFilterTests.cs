using Datsync.Actors.Remote;
using Google.Protobuf;

namespace Datsync.Actors.Tests.Remote;

/// <summary>The transport guard's decisions on hand-made PDUs in Akka.Remote's wire format (WireFormats.proto).</summary>
public class PduFilterTests
{
    private const string Server = "akka.tcp://datsync@127.0.0.1:4710";
    private static readonly PduFilter Guard = new(["/user/datsync-server", "/system/remote-watcher"]);

    // ---------------------------------------------------------------- protobuf by hand

    private static byte[] Message(Action<CodedOutputStream> fields)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        fields(o);
        o.Flush();
        return ms.ToArray();
    }

    private static void Bytes(CodedOutputStream o, int field, byte[] value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(value));
    }

    private static void Text(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    private static void Number(CodedOutputStream o, int field, int value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt32(value);
    }

    private static byte[] Control(int command) => Message(o => Bytes(o, 2, Message(c =>
    {
        Number(c, 1, command);
        if (command == 1) Bytes(c, 2, Message(h =>
        {
            Bytes(h, 1, Message(a => { Text(a, 1, "peer"); Text(a, 2, "Host.Example"); Number(a, 3, 4711); Text(a, 4, "akka.tcp"); }));
            h.WriteTag(2, WireFormat.WireType.Fixed64);
            h.WriteFixed64(42);
        }));
    })));

    private static byte[] Payload(int serializer, string manifest, byte[]? message = null) => Message(p =>
    {
        Bytes(p, 1, message ?? [1, 2, 3]);
        Number(p, 2, serializer);
        if (manifest.Length > 0) Bytes(p, 3, System.Text.Encoding.UTF8.GetBytes(manifest));
    });

    private static byte[] Envelope(string recipient, byte[] payload, bool withAck = true) => Message(pdu => Bytes(pdu, 1, Message(container =>
    {
        if (withAck) Bytes(container, 1, Message(ack => { ack.WriteTag(1, WireFormat.WireType.Fixed64); ack.WriteFixed64(7); }));
        Bytes(container, 2, Message(env =>
        {
            Bytes(env, 1, Message(r => Text(r, 1, recipient)));
            Bytes(env, 2, payload);
            Bytes(env, 4, Message(r => Text(r, 1, "akka.tcp://peer@127.0.0.1:5000/user/x#1")));
            env.WriteTag(5, WireFormat.WireType.Fixed64);
            env.WriteFixed64(3);
        }));
    })));

    private static byte[] Selection(byte[] inner, params (int Type, string Matcher)[] elements) => Payload(PduFilter.ContainerSerializerId, "", Message(s =>
    {
        Bytes(s, 1, inner);
        foreach (var (type, matcher) in elements) Bytes(s, 2, Message(e => { Number(e, 1, type); Text(e, 2, matcher); }));
    }));

    private static PduAction Verdict(byte[] pdu, bool associated = true) => Guard.Inspect(pdu, associated).Action;

    // ---------------------------------------------------------------- decisions

    [Fact]
    public void The_handshake_comes_first_and_nothing_passes_before_it()
    {
        Assert.Equal(PduAction.Associate, Verdict(Control(1), associated: false));
        Assert.Equal("peer@host.example:4711", Guard.Inspect(Control(1), false).Origin);
        Assert.Equal(PduAction.Close, Verdict(Envelope(Server + "/user/datsync-server", Payload(DatsyncWireSerializer.Id, "")), associated: false));
        Assert.Equal(PduAction.Close, Verdict(Control(3), associated: false));
        Assert.Equal(PduAction.Pass, Verdict(Control(3)));
        Assert.Equal(PduAction.Pass, Verdict(Control(2)));
        Assert.Equal(PduAction.Close, Verdict([0xFF, 0xFF, 0xFF]));
        Assert.Equal(PduAction.Close, Verdict(Control(9)));
        Assert.Equal(PduAction.Pass, Verdict(Message(pdu => Bytes(pdu, 1, Message(c => Bytes(c, 1, [])))))); // an ack alone
    }

    [Fact]
    public void Datsync_messages_pass_to_the_server_and_its_sessions_only()
    {
        var wire = Payload(DatsyncWireSerializer.Id, "");
        Assert.Equal(PduAction.Pass, Verdict(Envelope(Server + "/user/datsync-server", wire)));
        Assert.Equal(PduAction.Pass, Verdict(Envelope(Server + "/user/datsync-server/session-1#123", wire, withAck: false)));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/user/datsync-master", wire)));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/user/datsync-server-2", wire)));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/system/remote-watcher/../../user/datsync-master", wire)));
        // a client's guard lets messages go to any of its actors
        Assert.Equal(PduAction.Pass, new PduFilter().Inspect(Envelope("akka.tcp://c@h:1/temp/$a", wire), true).Action);
    }

    [Theory]
    [InlineData("Akka.Dispatch.SysMsg.Watch, Akka", PduAction.Pass)]
    [InlineData("Akka.Dispatch.SysMsg.Unwatch, Akka", PduAction.Pass)]
    [InlineData("Akka.Dispatch.SysMsg.DeathWatchNotification, Akka", PduAction.Pass)]
    [InlineData("Akka.Dispatch.SysMsg.Terminate, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Create, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Supervise, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Failed, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Recreate, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Suspend, Akka", PduAction.Drop)]
    [InlineData("Akka.Dispatch.SysMsg.Resume, Akka", PduAction.Drop)]
    internal void Only_the_system_messages_of_remote_death_watch_pass(string manifest, PduAction expected)
    {
        Assert.Equal(expected, Verdict(Envelope(Server + "/user/datsync-server/session-1", Payload(PduFilter.SystemMessageSerializerId, manifest))));
    }

    [Theory]
    [InlineData(PduFilter.MiscSerializerId, "AID", PduAction.Pass)]
    [InlineData(PduFilter.MiscSerializerId, "RWHB", PduAction.Pass)]
    [InlineData(PduFilter.MiscSerializerId, "RWHR", PduAction.Pass)]
    [InlineData(PduFilter.MiscSerializerId, "PP", PduAction.Drop)]
    [InlineData(PduFilter.MiscSerializerId, "K", PduAction.Drop)]
    [InlineData(PduFilter.MiscSerializerId, "STF", PduAction.Drop)]
    [InlineData(PduFilter.JsonSerializerId, "System.Diagnostics.Process, System.Diagnostics.Process", PduAction.Drop)]
    [InlineData(PduFilter.ProtobufSerializerId, "Google.Protobuf.WellKnownTypes.Any, Google.Protobuf", PduAction.Drop)]
    [InlineData(PduFilter.DaemonCreateSerializerId, "", PduAction.Drop)]
    [InlineData(PduFilter.BytesSerializerId, "", PduAction.Drop)]
    [InlineData(PduFilter.PrimitiveSerializerId, "System.String, System.Private.CoreLib", PduAction.Drop)]
    [InlineData(4731, "TxRecord", PduAction.Drop)]
    [InlineData(-5, "", PduAction.Drop)]
    internal void Of_other_serializers_only_identification_and_heartbeats_pass(int serializer, string manifest, PduAction expected)
    {
        var to = manifest.StartsWith("RW", StringComparison.Ordinal) ? "/system/remote-watcher" : "/user/datsync-server";
        Assert.Equal(expected, Verdict(Envelope(Server + to, Payload(serializer, manifest))));
    }

    [Fact]
    public void A_server_is_identified_by_selection_of_its_path_alone()
    {
        var identify = Payload(PduFilter.MiscSerializerId, "ID");
        Assert.Equal(PduAction.Pass, Verdict(Envelope(Server + "/", Selection(identify, (2, "user"), (2, "datsync-server")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/", Selection(identify, (2, "user"), (2, "datsync-server"), (2, "session-alice")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/user/datsync-server", identify)));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(Server + "/user/datsync-server/session-alice", identify)));
        // a client's guard does not restrict it
        Assert.Equal(PduAction.Pass, new PduFilter().Inspect(Envelope("akka.tcp://c@h:1/user/replica", identify), true).Action);
    }

    [Fact]
    public void An_actor_selection_passes_when_its_message_and_its_path_would()
    {
        var root = Server + "/";
        Assert.Equal(PduAction.Pass, Verdict(Envelope(root, Selection(Payload(DatsyncWireSerializer.Id, ""), (2, "user"), (2, "datsync-server")))));
        Assert.Equal(PduAction.Pass, Verdict(Envelope(root, Selection(Payload(PduFilter.MiscSerializerId, "ID"), (2, "user"), (2, "datsync-server")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Payload(PduFilter.JsonSerializerId, "X, Y"), (2, "user"), (2, "datsync-server")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Payload(PduFilter.SystemMessageSerializerId, "Akka.Dispatch.SysMsg.Watch, Akka"), (2, "user"), (2, "datsync-server")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Payload(DatsyncWireSerializer.Id, ""), (2, "user"), (2, "datsync-master")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Payload(PduFilter.MiscSerializerId, "ID"), (2, "user"), (3, "*")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Payload(DatsyncWireSerializer.Id, ""), (2, "user"), (2, "datsync-server"), (1, ""), (2, "datsync-master")))));
        Assert.Equal(PduAction.Drop, Verdict(Envelope(root, Selection(Selection(Payload(DatsyncWireSerializer.Id, "")), (2, "user"), (2, "datsync-server")))));
    }

    [Theory]
    [InlineData("akka.tcp://s@h:1/user/a#12", "/user/a")]
    [InlineData("akka.tcp://s@h:1/", "/")]
    [InlineData("akka.tcp://s@h:1", "/")]
    [InlineData("/user/a/b/", "/user/a/b")]
    public void A_recipient_is_judged_by_its_path_in_the_system(string path, string local)
    {
        Assert.Equal(local, PduFilter.LocalPath(path));
    }
}
