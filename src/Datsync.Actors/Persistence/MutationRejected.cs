using Datsync.Core;

namespace Datsync.Actors.Persistence;

/// <summary>
/// A mutation request (request id <c>"{key}#{n}"</c>, <see cref="MutationId"/>) the transactor rejected for good (its
/// transaction was invalid or forbidden), as the durable master journals it next to the <see cref="TxRecord"/>s: the
/// mutation counts as handled in the <see cref="MutationLedger"/>, so the key's next mutation may follow it, also after
/// a restart (without it a restart would forget the rejection and hold the next mutation as early forever, the sender
/// having moved on). It has no t and changes no database value. Rejections that say nothing about the transaction
/// (storage, busy) are not journaled: such a mutation is sent again.
/// </summary>
/// <param name="RequestId">The mutation's request id.</param>
/// <param name="Category">The rejection's category.</param>
/// <param name="Message">The rejection's message.</param>
internal sealed record MutationRejected(string RequestId, Keyword Category, string Message);
