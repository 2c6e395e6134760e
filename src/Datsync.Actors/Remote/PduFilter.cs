using System.Text;

namespace Datsync.Actors.Remote;

/// <summary>What the transport guard does with one inbound PDU.</summary>
internal enum PduAction
{
    /// <summary>The peer's Akka handshake (Associate): it passes, and the connection counts as associated.</summary>
    Associate,

    /// <summary>It passes to Akka.</summary>
    Pass,

    /// <summary>It is dropped (not delivered); the connection stays.</summary>
    Drop,

    /// <summary>It is dropped and the connection closed (not Akka's protocol, or a message before the handshake).</summary>
    Close,
}

/// <summary>The decision on one PDU and why.</summary>
/// <param name="Action">What is done with the PDU.</param>
/// <param name="Reason">Why, for the log when it is dropped or its connection closed.</param>
/// <param name="Origin">For a handshake: the address the peer says it has (<c>system@host:port</c>), if it says one.</param>
internal readonly record struct PduVerdict(PduAction Action, string Reason, string? Origin = null)
{
    public static readonly PduVerdict Passes = new(PduAction.Pass, "");
}

/// <summary>
/// The transport guard's decisions, without a network: which inbound PDUs of Akka.Remote (classic, its protobuf
/// <c>AkkaProtocolMessage</c> / <c>AckAndEnvelopeContainer</c> / <c>RemoteEnvelope</c>) reach Akka. A message passes
/// when its serializer is Datsync's wire serializer (<see cref="DatsyncWireSerializer.Id"/>), Akka's system-message
/// serializer for remote death watch only (Watch, Unwatch, DeathWatchNotification), Akka's misc serializer for
/// Identify, ActorIdentity and the remote watcher's heartbeats only, or an actor selection whose inner message passes
/// (by name, no pattern or parent step when recipients are restricted); with recipients restricted, its recipient's
/// path is one of them or below one, and an Identify passes only in an actor selection of one of them itself (so a
/// peer can resolve the server, not learn the paths of its sessions). Everything else (other serializers, such as JSON or remote deployment, and
/// Terminate, Create, Supervise, Failed, Recreate, Suspend, Resume, PoisonPill, Kill) is dropped.
/// </summary>
internal sealed class PduFilter
{
    /// <summary>Akka's serializer identifiers the guard knows (Akka.Remote 1.5's reference.conf).</summary>
    public const int JsonSerializerId = 1, ProtobufSerializerId = 2, DaemonCreateSerializerId = 3, BytesSerializerId = 4,
        ContainerSerializerId = 6, MiscSerializerId = 16, PrimitiveSerializerId = 17, SystemMessageSerializerId = 22;

    // the system messages remote death watch needs (SystemMessageSerializer writes the type's name as the manifest)
    private static readonly HashSet<string> SystemManifests = new(StringComparer.Ordinal)
    {
        "Akka.Dispatch.SysMsg.Watch, Akka", "Akka.Dispatch.SysMsg.Unwatch, Akka", "Akka.Dispatch.SysMsg.DeathWatchNotification, Akka",
    };

    // MiscMessageSerializer: Identify, ActorIdentity, RemoteWatcher.Heartbeat, RemoteWatcher.HeartbeatRsp
    private static readonly HashSet<string> MiscManifests = new(StringComparer.Ordinal) { "ID", "AID", "RWHB", "RWHR" };

    private readonly string[] _recipients;

    /// <param name="allowedRecipients">Paths (such as <c>/user/datsync-server</c>) messages may go to, each with what is
    /// below it; empty: any.</param>
    public PduFilter(IEnumerable<string>? allowedRecipients = null)
    {
        _recipients = (allowedRecipients ?? []).Select(p => "/" + p.Trim().Trim('/')).Where(p => p.Length > 1).Distinct().ToArray();
    }

    /// <summary>True when recipients are restricted.</summary>
    public bool RestrictsRecipients => _recipients.Length > 0;

    /// <summary>The decision on one inbound PDU; <paramref name="associated"/>: the peer's handshake has passed.</summary>
    public PduVerdict Inspect(ReadOnlySpan<byte> pdu, bool associated)
    {
        try
        {
            return InspectUnchecked(pdu, associated);
        }
        catch (FormatException e)
        {
            return new PduVerdict(PduAction.Close, "not Akka's protocol: " + e.Message);
        }
    }

    private PduVerdict InspectUnchecked(ReadOnlySpan<byte> pdu, bool associated)
    {
        // AkkaProtocolMessage { bytes payload = 1; AkkaControlMessage instruction = 2; }
        ReadOnlySpan<byte> payload = default, instruction = default;
        bool hasPayload = false, hasInstruction = false;
        var r = new ProtoReader(pdu);
        while (r.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) { payload = r.Bytes(); hasPayload = true; }
            else if (field == 2 && wire == ProtoReader.LengthDelimited) { instruction = r.Bytes(); hasInstruction = true; }
            else r.Skip(wire);
        }
        if (hasInstruction)
        {
            // AkkaControlMessage { CommandType commandType = 1; AkkaHandshakeInfo handshakeInfo = 2; }
            ulong command = 0;
            string? origin = null;
            var c = new ProtoReader(instruction);
            while (c.Next(out var field, out var wire))
            {
                if (field == 1 && wire == ProtoReader.VarintWire) command = c.Varint();
                else if (field == 2 && wire == ProtoReader.LengthDelimited) origin = Origin(c.Bytes());
                else c.Skip(wire);
            }
            return command switch
            {
                1 => new PduVerdict(PduAction.Associate, "", origin),
                2 or 4 or 5 => PduVerdict.Passes, // disassociate (and why)
                3 => associated ? PduVerdict.Passes : new PduVerdict(PduAction.Close, "a heartbeat before the handshake"),
                _ => new PduVerdict(PduAction.Close, $"unknown control command {command}"),
            };
        }
        if (!associated) return new PduVerdict(PduAction.Close, "a message before the handshake");
        if (!hasPayload) return PduVerdict.Passes;
        return InspectEnvelope(payload);
    }

    private PduVerdict InspectEnvelope(ReadOnlySpan<byte> container)
    {
        // AckAndEnvelopeContainer { AcknowledgementInfo ack = 1; RemoteEnvelope envelope = 2; }
        ReadOnlySpan<byte> envelope = default;
        var hasEnvelope = false;
        var r = new ProtoReader(container);
        while (r.Next(out var field, out var wire))
        {
            if (field == 2 && wire == ProtoReader.LengthDelimited) { envelope = r.Bytes(); hasEnvelope = true; }
            else r.Skip(wire);
        }
        if (!hasEnvelope) return PduVerdict.Passes; // an acknowledgement alone

        // RemoteEnvelope { ActorRefData recipient = 1; Payload message = 2; ActorRefData sender = 4; fixed64 seq = 5; }
        string? recipient = null;
        ReadOnlySpan<byte> message = default;
        var hasMessage = false;
        var e = new ProtoReader(envelope);
        while (e.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) recipient = ActorRefPath(e.Bytes());
            else if (field == 2 && wire == ProtoReader.LengthDelimited) { message = e.Bytes(); hasMessage = true; }
            else e.Skip(wire);
        }
        if (!hasMessage) return new PduVerdict(PduAction.Drop, "an envelope without a message");
        var (id, manifest) = Payload(message, out var bytes);
        var path = LocalPath(recipient);

        if (id == ContainerSerializerId) return InspectSelection(path, bytes);
        var verdict = InspectMessage(id, manifest, inSelection: false);
        if (verdict.Action != PduAction.Pass) return verdict;
        // with recipients restricted, actors are identified only by an actor selection of a served path itself
        if (RestrictsRecipients && IsIdentify(id, manifest))
            return new PduVerdict(PduAction.Drop, $"an Identify sent to {path} directly");
        return RecipientAllowed(path) ? verdict : new PduVerdict(PduAction.Drop, $"a message to {path}, which is not served");
    }

    private PduVerdict InspectSelection(string path, ReadOnlySpan<byte> selection)
    {
        // SelectionEnvelope { Payload payload = 1; repeated Selection pattern = 2; }
        // Selection { PatternType type = 1 (PARENT = 1, CHILD_NAME = 2, CHILD_PATTERN = 3); string matcher = 2; }
        var full = new StringBuilder(path.TrimEnd('/'));
        ReadOnlySpan<byte> inner = default;
        var hasInner = false;
        var r = new ProtoReader(selection);
        while (r.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) { inner = r.Bytes(); hasInner = true; }
            else if (field == 2 && wire == ProtoReader.LengthDelimited)
            {
                ulong type = 0;
                var matcher = "";
                var s = new ProtoReader(r.Bytes());
                while (s.Next(out var f, out var w))
                {
                    if (f == 1 && w == ProtoReader.VarintWire) type = s.Varint();
                    else if (f == 2 && w == ProtoReader.LengthDelimited) matcher = Encoding.UTF8.GetString(s.Bytes());
                    else s.Skip(w);
                }
                if (type != 2 && RestrictsRecipients) return new PduVerdict(PduAction.Drop, "an actor selection by pattern or parent");
                full.Append('/').Append(type == 1 ? ".." : matcher);
            }
            else r.Skip(wire);
        }
        if (!hasInner) return new PduVerdict(PduAction.Drop, "an actor selection without a message");
        var (id, manifest) = Payload(inner, out _);
        var verdict = InspectMessage(id, manifest, inSelection: true);
        if (verdict.Action != PduAction.Pass) return verdict;
        var target = full.Length == 0 ? "/" : full.ToString();
        if (RestrictsRecipients && IsIdentify(id, manifest) && !_recipients.Contains(target, StringComparer.Ordinal))
            return new PduVerdict(PduAction.Drop, $"an Identify of {target}, which is not a served path itself");
        return RecipientAllowed(target) ? verdict : new PduVerdict(PduAction.Drop, $"an actor selection of {target}, which is not served");
    }

    private static PduVerdict InspectMessage(int id, string manifest, bool inSelection) => id switch
    {
        DatsyncWireSerializer.Id => PduVerdict.Passes,
        SystemMessageSerializerId when !inSelection && SystemManifests.Contains(manifest) => PduVerdict.Passes,
        SystemMessageSerializerId => new PduVerdict(PduAction.Drop, $"system message '{manifest}'"),
        MiscSerializerId when MiscManifests.Contains(manifest) => PduVerdict.Passes,
        MiscSerializerId => new PduVerdict(PduAction.Drop, $"Akka message '{manifest}'"),
        ContainerSerializerId => new PduVerdict(PduAction.Drop, "an actor selection inside an actor selection"),
        _ => new PduVerdict(PduAction.Drop, $"serializer {id} (manifest '{manifest}')"),
    };

    private static bool IsIdentify(int id, string manifest) => id == MiscSerializerId && manifest == "ID";

    private bool RecipientAllowed(string path)
    {
        if (_recipients.Length == 0) return true;
        foreach (var p in _recipients)
            if (path.Equals(p, StringComparison.Ordinal) || (path.StartsWith(p, StringComparison.Ordinal) && path[p.Length] == '/'))
                return !path.Contains("/../", StringComparison.Ordinal) && !path.EndsWith("/..", StringComparison.Ordinal);
        return false;
    }

    // Payload { bytes message = 1; int32 serializerId = 2; bytes messageManifest = 3; }
    private static (int Id, string Manifest) Payload(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> message)
    {
        int id = 0;
        var manifest = "";
        message = default;
        var r = new ProtoReader(payload);
        while (r.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) message = r.Bytes();
            else if (field == 2 && wire == ProtoReader.VarintWire) id = unchecked((int)r.Varint());
            else if (field == 3 && wire == ProtoReader.LengthDelimited)
            {
                var m = r.Bytes();
                manifest = m.Length <= 512 ? Encoding.UTF8.GetString(m) : "(long)";
            }
            else r.Skip(wire);
        }
        return (id, manifest);
    }

    // AkkaHandshakeInfo { AddressData origin = 1; fixed64 uid = 2; string cookie = 3; }
    // AddressData { string system = 1; string hostname = 2; uint32 port = 3; string protocol = 4; }
    private static string? Origin(ReadOnlySpan<byte> handshake)
    {
        var r = new ProtoReader(handshake);
        while (r.Next(out var field, out var wire))
        {
            if (field != 1 || wire != ProtoReader.LengthDelimited)
            {
                r.Skip(wire);
                continue;
            }
            string system = "", host = "";
            ulong port = 0;
            var a = new ProtoReader(r.Bytes());
            while (a.Next(out var f, out var w))
            {
                if (f == 1 && w == ProtoReader.LengthDelimited) system = Encoding.UTF8.GetString(a.Bytes());
                else if (f == 2 && w == ProtoReader.LengthDelimited) host = Encoding.UTF8.GetString(a.Bytes());
                else if (f == 3 && w == ProtoReader.VarintWire) port = a.Varint();
                else a.Skip(w);
            }
            return AddressKey(system, host, (int)Math.Min(port, int.MaxValue));
        }
        return null;
    }

    /// <summary>How the guard names an actor system's address: <c>system@host:port</c>.</summary>
    public static string AddressKey(string? system, string? host, int? port) =>
        $"{system}@{host?.ToLowerInvariant()}:{port?.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    // ActorRefData { string path = 1; }
    private static string ActorRefPath(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        var path = "";
        while (r.Next(out var field, out var wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) path = Encoding.UTF8.GetString(r.Bytes());
            else r.Skip(wire);
        }
        return path;
    }

    /// <summary>The path of an actor's address within its system: <c>akka.tcp://sys@host:port/user/a#12</c> gives
    /// <c>/user/a</c>.</summary>
    public static string LocalPath(string? actorPath)
    {
        if (string.IsNullOrEmpty(actorPath)) return "/";
        var s = actorPath;
        var hash = s.IndexOf('#');
        if (hash >= 0) s = s[..hash];
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var slash = s.IndexOf('/', scheme + 3);
            s = slash < 0 ? "/" : s[slash..];
        }
        if (s.Length == 0 || s[0] != '/') s = "/" + s;
        return s.Length > 1 ? s.TrimEnd('/') : s;
    }
}

/// <summary>Reads protobuf's wire format from a span (what the guard needs of it), without copying.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int VarintWire = 0, Fixed64Wire = 1, LengthDelimited = 2, Fixed32Wire = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public bool Next(out int field, out int wire)
    {
        if (_at >= _data.Length)
        {
            field = wire = 0;
            return false;
        }
        var tag = Varint();
        field = (int)(tag >> 3);
        wire = (int)(tag & 7);
        if (field == 0) throw new FormatException("field 0");
        return true;
    }

    public ulong Varint()
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_at >= _data.Length) throw new FormatException("a varint past the end");
            var b = _data[_at++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new FormatException("a varint over 10 bytes");
    }

    public ReadOnlySpan<byte> Bytes()
    {
        var len = Varint();
        if (len > (ulong)(_data.Length - _at)) throw new FormatException("a length past the end");
        var s = _data.Slice(_at, (int)len);
        _at += (int)len;
        return s;
    }

    public void Skip(int wire)
    {
        switch (wire)
        {
            case VarintWire: Varint(); break;
            case Fixed64Wire: Advance(8); break;
            case LengthDelimited: Bytes(); break;
            case Fixed32Wire: Advance(4); break;
            default: throw new FormatException($"wire type {wire}");
        }
    }

    private void Advance(int n)
    {
        if (_data.Length - _at < n) throw new FormatException("a fixed field past the end");
        _at += n;
    }
}
