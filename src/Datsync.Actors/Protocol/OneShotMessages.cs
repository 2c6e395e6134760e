namespace Datsync.Actors.Protocol;

/// <summary>A one-shot transaction from a client that holds no replica (e.g. <c>datsync transact --server</c>): the
/// server checks <paramref name="ClientId"/> and <paramref name="Token"/> like a handshake
/// (<c>datsync.server.clients</c>) and hands the tx data (EDN text, as in <see cref="SubmitTx"/>) to the transactor.
/// Replied with <see cref="TxAccepted"/> (without its datoms) or <see cref="TxRejected"/>; a refused client gets
/// <see cref="TxRejected"/> with category <c>:datsync.error/refused</c>. The answer to a client in another process
/// comes as a <see cref="FromSession"/> under <paramref name="ReplyKey"/>.</summary>
internal sealed record TransactOnce(string ClientId, string? Token, string RequestId, string TxEdn, string? ReplyKey = null) : IToServer;
