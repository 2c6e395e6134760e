using Datsync.Core;

namespace Datsync.Actors.Protocol;

// ---------------------------------------------------------------- replica -> server

/// <summary>A replica's handshake. A replica that already holds the master's value at <paramref name="LastAppliedT"/>
/// says so and gets only the deltas after it; one without (null) gets a bootstrap. <paramref name="Attempt"/> grows
/// with every try, so a late or repeated handshake is told apart from the current one. <paramref name="Token"/> proves
/// the client is one the server knows. <paramref name="ChannelKey"/> (<see cref="ChannelKeys.New"/>) is the secret the
/// session and the replica put on every message between them from then on (<see cref="ToSession"/>,
/// <see cref="FromSession"/>). <paramref name="DatabaseId"/>: the id of the master database the replica's value came from
/// (<see cref="DatabaseIds"/>): the session resumes it from its t only when that is the master's database, and bootstraps
/// it otherwise. A replica that names none (an older one, or one without a value) is resumed as before; anything but 32
/// hex characters counts as none.</summary>
internal sealed record Connect(string ClientId, long? LastAppliedT, long Attempt, string? Token = null, string? ChannelKey = null,
    string? DatabaseId = null) : IToServer;

/// <summary>The replica holds bootstrap chunks 0..NextSeq-1 of <paramref name="BasisT"/>; sent again unchanged when
/// nothing arrived for a while, which asks for the chunks from <paramref name="NextSeq"/> again.</summary>
internal sealed record BootstrapAck(long BasisT, int NextSeq) : ISessionRequest;

/// <summary>A replica's transaction for the master, as EDN text (the forms cross the wire as EDN, the language they are
/// written in). Sent again with the same request id until an outcome arrives; the master commits a request id once.
/// <paramref name="TraceParent"/>: the W3C traceparent of the replica's <c>datsync.transact</c> activity, or null; from
/// the wire it is untrusted, and one over 55 characters or not valid is ignored.</summary>
internal sealed record SubmitTx(string ClientId, string RequestId, string TxEdn, string? TraceParent = null) : ISessionRequest;

/// <summary>INTERNAL API. A replica's transaction for a session in the same actor system, as the forms themselves
/// (translated to master ids like <see cref="SubmitTx"/>): no text is printed or read. The forms are immutable EDN
/// values (<see cref="EdnValues.AsImmutableForms"/>), so the session and the transactor share them safely with the
/// replica. It is no protocol message (no <see cref="IDatsyncMessage"/>, so never on the wire's allow-list): it cannot
/// travel inside a <see cref="ToSession"/>, carries the replica's <paramref name="ChannelKey"/> itself, and a session
/// takes it only from an actor of its own system.</summary>
internal sealed record SubmitTxData(string ChannelKey, string ClientId, string RequestId, IReadOnlyList<object?> TxData,
    string? TraceParent = null);

/// <summary>The replica has applied every delta up to <paramref name="T"/> (the session tells the log).</summary>
internal sealed record DeltasApplied(long T) : ISessionRequest;

/// <summary>The replica asks again for the deltas of transactions fromT..toT (inclusive); answered with
/// <see cref="TxRangeResult"/> (or its frames).</summary>
internal sealed record DeltasWanted(long FromT, long ToT) : ISessionRequest;

// ---------------------------------------------------------------- server -> replica

/// <summary>The session took handshake <paramref name="Attempt"/>. With <paramref name="BootstrapChunks"/> &gt; 0 a
/// bootstrap of the master's value at <paramref name="BasisT"/> follows (<paramref name="BootstrapDatoms"/> datoms in
/// <paramref name="BootstrapBytes"/> bytes); otherwise deltas after the replica's t.
/// <paramref name="Scoped"/>: the replica holds a scoped client's view; its stream skips the transactions that do not
/// concern it (<see cref="TxDelta.After"/>), so to reach a t it asks for it (<see cref="DeltasWanted"/>).
/// <paramref name="DatabaseId"/>: the master database's id (<see cref="DatabaseIds"/>), which the replica names in its
/// next handshakes; null from a server that does not tell.</summary>
internal sealed record Connected(long Attempt, long BasisT, int BootstrapChunks, long HeadT, long BootstrapDatoms = 0,
    long BootstrapBytes = 0, bool Scoped = false, string? DatabaseId = null) : IToReplica;

/// <summary>Part <paramref name="Seq"/> of a bootstrap: a slice of the encoded value at <paramref name="BasisT"/>
/// (schema datoms first, then the data). The slices, concatenated in order, decode to the whole value.</summary>
internal sealed record BootstrapChunk(long BasisT, int Seq, int Count, byte[] Payload) : IToReplica
{
    public bool IsLast => Seq == Count - 1;
}

/// <summary>The server refused handshake <paramref name="Attempt"/>: <paramref name="Reason"/> says why (an unknown
/// client, a wrong token). The replica does not try again.</summary>
internal sealed record ConnectRefused(long Attempt, string Reason) : IToReplica;

/// <summary>The session can no longer continue the replica's stream (a scoped client's, e.g. its scope changed or
/// the scope hub started again): the replica sends its handshake again at once and is bootstrapped again.
/// <paramref name="Reason"/> is for its log.</summary>
internal sealed record BootstrapAgain(string Reason) : IToReplica;

/// <summary>The session is alive and the master log reaches <paramref name="HeadT"/>.</summary>
internal sealed record SessionHeartbeat(long HeadT) : IToReplica;

// ---------------------------------------------------------------- frames (between processes)

/// <summary>Part <paramref name="Seq"/> of <paramref name="Count"/> of one delta too big for a frame: a slice of the
/// delta as the wire serializer writes it. The slices in order read back as the delta.</summary>
internal sealed record TxDeltaPart(long T, int Seq, int Count, byte[] Slice) : IToReplica;

/// <summary>Part <paramref name="Seq"/> of <paramref name="Count"/> of a <see cref="SubmitTx"/> too big for a frame: a
/// slice of its EDN text as UTF-8.</summary>
internal sealed record SubmitTxPart(string ClientId, string RequestId, int Seq, int Count, byte[] Slice) : ISessionRequest;

/// <summary>A client's transaction as EDN text, turned into the transactor's request.</summary>
internal static class ClientTx
{
    /// <summary>The refusal of a mutation request id (<c>{key}#{n}</c>, see <see cref="MutationId"/>) whose key is not
    /// the client's own (<c>{clientId}/...</c>), or null: a client cannot move another client's mutations on (the
    /// master runs each key's mutations once, in order, so a forged high number would make the owner's next ones look
    /// committed already).</summary>
    public static TxRejected? ForeignMutation(string requestId, string clientId) =>
        MutationId.Parse(requestId) is { } m && !m.Key.StartsWith(clientId + "/", StringComparison.Ordinal)
            ? new TxRejected(requestId, DatsyncErrors.Refused,
                $"request {Shorten(requestId)} is a mutation of another client's key; a client's mutation ids start with \"{Shorten(clientId)}/\"; nothing was committed")
            : null;

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";

    /// <summary>The <see cref="Transact"/> for <paramref name="txEdn"/> from <paramref name="clientId"/> (its metadata names
    /// the client), or the rejection of text that is not a vector of tx forms.</summary>
    public static object Request(string requestId, string txEdn, string clientId, string? traceParent = null)
    {
        try
        {
            return Request(requestId, Tx.Parse(txEdn), clientId, traceParent);
        }
        catch (TxRejectedException e)
        {
            return new TxRejected(requestId, e.Category, e.Message);
        }
    }

    /// <summary>The <see cref="Transact"/> for forms <paramref name="txData"/> from <paramref name="clientId"/> (its
    /// metadata names the client).</summary>
    internal static Transact Request(string requestId, IReadOnlyList<object?> txData, string clientId, string? traceParent = null) =>
        new(requestId, txData, $"{{:datsync/client {EdnPrinter.Print(clientId)}}}", traceParent);
}
