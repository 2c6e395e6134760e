using System.Collections.Immutable;

namespace Datsync.Core;

/// <summary>A transaction a replica made locally that the master has not yet committed (or whose commit the replica
/// has not yet applied).</summary>
/// <param name="RequestId">The request that carries it to the master.</param>
/// <param name="TxData">The forms as the host wrote them (local ids included).</param>
/// <param name="FirstLocalId">The first id of the local range its new entities got.</param>
/// <param name="LastLocalId">The last id it allocated (below <paramref name="FirstLocalId"/> when it allocated none).</param>
/// <param name="LocalTempids">Its tempids that became new local entities.</param>
/// <param name="Sent">Handed to the master (translated).</param>
/// <param name="CommittedT">The master's t, once acknowledged.</param>
/// <param name="Remote">Local id to master id of its new entities, once acknowledged.</param>
/// <param name="InView">Applied ahead of the master in the view. A transaction that installs attributes is not (attribute
/// ids come from the master): it shows once the master's delta arrives.</param>
internal sealed record PendingTx(string RequestId, IReadOnlyList<object?> TxData, long FirstLocalId, long LastLocalId,
    IReadOnlyDictionary<object, long> LocalTempids, bool Sent = false, long? CommittedT = null,
    IReadOnlyDictionary<long, long>? Remote = null, bool InView = true)
{
    public bool Owns(long localId) => localId >= FirstLocalId && localId <= LastLocalId;
}

/// <summary>A master delta the replica applied: its synced value before and after.</summary>
internal sealed record AppliedDelta(TxDelta Delta, Db DbBefore, Db DbAfter);

/// <summary>One of this replica's transactions that the master committed: its t, local id to master id, how its
/// tempids resolved on the master, and the local ids its new entities had while pending.</summary>
internal sealed record ResolvedTx(string RequestId, long T, IReadOnlyDictionary<long, long> LocalToRemote,
    IReadOnlyDictionary<object, long> Tempids, IReadOnlyDictionary<object, long> LocalTempids)
{
    /// <summary>Pending transaction <paramref name="p"/> committed as <paramref name="t"/>; the master's tempids when
    /// known, else its local tempids carried over to the master ids they map to.</summary>
    public static ResolvedTx Of(PendingTx p, long t, IReadOnlyDictionary<object, long>? masterTempids)
    {
        var map = p.Remote ?? ReplicaState.MapTempids(p, masterTempids);
        var tempids = masterTempids is { Count: > 0 } ? masterTempids
            : p.LocalTempids.Where(kv => map.ContainsKey(kv.Value)).ToDictionary(kv => kv.Key, kv => map[kv.Value]);
        return new ResolvedTx(p.RequestId, t, map, tempids, p.LocalTempids);
    }
}

/// <summary>A local transaction ready for the master: its forms with local ids translated to master ids.</summary>
internal sealed record OutgoingTx(string RequestId, IReadOnlyList<object?> TxData);

/// <summary>A local transaction that cannot go to the master (it names a local entity whose transaction failed).</summary>
internal sealed record FailedTx(string RequestId, TxRejectedException Error);

internal sealed record DeltaStep(ReplicaState Next, IReadOnlyList<AppliedDelta> Applied, IReadOnlyList<ResolvedTx> Resolved,
    (long FromT, long ToT)? Missing);

/// <summary>
/// A replica's state as a value: the synced database (exactly the master's value at <see cref="BasisT"/>), the
/// sequencer that orders master deltas, and the local transactions still pending, applied optimistically on top of
/// the synced value to give the <see cref="View"/> readers see. Entities from the master keep the master's ids;
/// entities of pending transactions get ids from the local range (from <see cref="LocalIdBase"/>) and are renumbered
/// to master ids when their transaction commits. Every operation returns the next state.
/// </summary>
internal sealed class ReplicaState
{
    /// <summary>Ids at or above this (and below transaction ids) are local entities not yet known to the master.</summary>
    public const long LocalIdBase = 1L << 40;

    /// <summary>The master's value at <see cref="BasisT"/>; never holds anything the master did not commit.</summary>
    public Db Synced { get; }

    /// <summary>The synced value with the pending local transactions applied on top (equal to <see cref="Synced"/>
    /// when nothing is pending); its entity and pull answer <c>:datsync.remote.db/id</c>. Made when first read (a
    /// replica applying many deltas under many pending transactions rebases them only for the values someone reads).</summary>
    public Db View => _view ?? MakeView();

    private Db? _view;

    /// <summary>The schema of the view, without making the view: pending transactions that install attributes stay out
    /// of it until the master commits them, so it is the synced value's unless the view is made already.</summary>
    private Schema SchemaNow => (_view ?? Synced).Schema;

    private Db MakeView()
    {
        var view = Rebase(Synced, Pending, RemoteOf);
        return Interlocked.CompareExchange(ref _view, view, null) ?? view;
    }

    public DeltaSequencer Sequencer { get; }
    public ImmutableList<PendingTx> Pending { get; }

    /// <summary>Local id to master id, for every local entity the master has committed.</summary>
    public ImmutableDictionary<long, long> RemoteOf { get; }

    public long NextLocalId { get; }

    public long BasisT => Synced.BasisT;

    private ReplicaState(Db synced, DeltaSequencer sequencer, ImmutableList<PendingTx> pending,
        ImmutableDictionary<long, long> remoteOf, long nextLocalId, Db? view = null)
    {
        Synced = synced;
        Sequencer = sequencer;
        Pending = pending;
        RemoteOf = remoteOf;
        NextLocalId = nextLocalId;
        _view = view;
    }

    /// <summary>A replica whose synced value is <paramref name="db"/> (a bootstrap, or the empty database).</summary>
    public static ReplicaState Bootstrapped(Db db) =>
        new(db, DeltaSequencer.At(db.BasisT), ImmutableList<PendingTx>.Empty, ImmutableDictionary<long, long>.Empty, LocalIdBase);

    /// <summary>A replica that keeps its pending transactions and id map but starts again from a new synced value.</summary>
    public ReplicaState Rebootstrapped(Db db) =>
        new(db, DeltaSequencer.At(db.BasisT), Pending.RemoveAll(p => p.CommittedT <= db.BasisT), RemoteOf, NextLocalId);

    // ------------------------------------------------------------------ master deltas

    /// <summary>Offers master deltas in any order: those that follow the basis are applied in t order (a duplicate is
    /// dropped, a delta past a gap is held); this replica's own transactions among them leave the pending list.</summary>
    public DeltaStep Offer(IEnumerable<TxDelta> deltas)
    {
        var step = Sequencer.OfferAll(deltas);
        if (step.Ready.Count == 0)
            return new DeltaStep(new ReplicaState(Synced, step.Next, Pending, RemoteOf, NextLocalId, _view), [], [], step.Missing);
        var synced = Synced;
        var pending = Pending;
        var remoteOf = RemoteOf;
        var applied = new List<AppliedDelta>(step.Ready.Count);
        var resolved = new List<ResolvedTx>();
        foreach (var d in step.Ready)
        {
            var before = synced;
            synced = d.AdvanceFrom(synced);
            applied.Add(new AppliedDelta(d, before, synced));
            if (d.RequestId is null || pending.IsEmpty) continue;
            var i = pending.FindIndex(p => p.RequestId == d.RequestId);
            if (i < 0) continue;
            var p = pending[i];
            var r = ResolvedTx.Of(p, d.T, d.Tempids);
            remoteOf = remoteOf.SetItems(r.LocalToRemote);
            pending = pending.RemoveAt(i);
            resolved.Add(r);
        }
        var basis = synced.BasisT;
        pending = pending.RemoveAll(p => p.CommittedT <= basis);
        var view = pending.IsEmpty ? synced.WithRemoteIds(Resolver(remoteOf)) : null;
        return new DeltaStep(new ReplicaState(synced, step.Next, pending, remoteOf, NextLocalId, view), applied, resolved, step.Missing);
    }

    // ------------------------------------------------------------------ local transactions

    /// <summary>Runs a local transaction against the view: its new entities get local ids, and it waits in the pending
    /// list for the master. Throws <see cref="TxRejectedException"/> when the data is invalid; the state does not change then.</summary>
    /// <param name="requestId">The request that carries it to the master.</param>
    /// <param name="txData">The transaction's forms.</param>
    /// <param name="unique">The caller knows <paramref name="requestId"/> is not pending (e.g. taken from an outbox,
    /// whose request ids are unique): the pending list is not searched for it.</param>
    public (ReplicaState Next, TxReport Report) Local(string requestId, IReadOnlyList<object?> txData, bool unique = false)
    {
        if (!unique && Pending.Exists(p => p.RequestId == requestId)) throw new ArgumentException($"request {requestId} is already pending", nameof(requestId));
        TxReport report;
        try
        {
            report = View.WithIdFloor(NextLocalId - 1).Transact(txData);
        }
        catch (TxRejectedException) when (InstallsAttributes(txData) is { } checkedReport)
        {
            // new attributes need master ids: validated here, shown when the master's delta arrives
            var waiting = new PendingTx(requestId, txData, NextLocalId, NextLocalId - 1, new Dictionary<object, long>(), InView: false);
            return (new ReplicaState(Synced, Sequencer, Pending.Add(waiting), RemoteOf, NextLocalId, View), checkedReport with { DbAfter = View });
        }
        var last = report.DbAfter.MaxEntityId;
        var localTempids = LocalTempids(report.Tempids, NextLocalId);
        var p = new PendingTx(requestId, txData, NextLocalId, last, localTempids);
        var pending = Pending.Add(p);
        var next = new ReplicaState(Synced, Sequencer, pending, RemoteOf, Math.Max(NextLocalId, last + 1),
            report.DbAfter.WithRemoteIds(Resolver(RemoteOf)));
        return (next, report with { DbAfter = next.View });
    }

    /// <summary>
    /// The forms of a local transaction as they wait in a durable outbox, to mean the same after a restart, when this
    /// replica's local ids mean nothing: a local entity the master has committed is named by its master id; one of a
    /// pending transaction by a lookup ref on a unique identity attribute it has in the view (<c>[:user/email "a@x"]</c>);
    /// any other local id stays as it is and is listed in <c>Unresolved</c> (it holds in this process only).
    /// Tempids, lookup refs and master ids the caller wrote stay as written.
    /// </summary>
    public (IReadOnlyList<object?> Forms, IReadOnlyList<long> Unresolved) Intent(IReadOnlyList<object?> txData)
    {
        var unresolved = new List<long>();
        var forms = EntityIdRewrite.Rewrite(txData, View.Schema, e =>
        {
            if (e < LocalIdBase || EntityIds.IsTx(e)) return null;
            if (RemoteOf.TryGetValue(e, out var master)) return master;
            foreach (var d in View.Datoms(IndexType.Eavt, e))
                if (View.Schema[d.A] is { IsIdentity: true } a) return new EdnVector(a.Ident, d.V);
            unresolved.Add(e);
            return null;
        });
        return (forms, unresolved);
    }

    /// <summary>A transaction that waits for the master out of the view: one that does not apply on it (e.g. taken back
    /// from an outbox after a restart, perhaps committed already). The master decides; its delta shows it.</summary>
    public ReplicaState Waiting(string requestId, IReadOnlyList<object?> txData) =>
        new(Synced, Sequencer, Pending.Add(new PendingTx(requestId, txData, NextLocalId, NextLocalId - 1, new Dictionary<object, long>(), InView: false)),
            RemoteOf, NextLocalId, _view);

    /// <summary>Pending transactions that can go to the master now, in order, translated to master ids. A transaction
    /// that names a local entity of a pending transaction waits for it (and so does every later one); one that names a
    /// local entity nobody will commit fails.</summary>
    public (ReplicaState Next, IReadOnlyList<OutgoingTx> Outgoing, IReadOnlyList<FailedTx> Failed) TakeOutgoing()
    {
        var outgoing = new List<OutgoingTx>();
        var failed = new List<FailedTx>();
        var pending = Pending;
        ImmutableDictionary<long, long>? remoteOf = null; // with the pending ones' ids the master gave: made once, when needed
        var i = -1;
        foreach (var candidate in Pending)
        {
            i++;
            if (candidate.Sent) continue;
            var p = pending[i];
            var blocked = false;
            long? unknown = null;
            foreach (var e in EntityIdRewrite.EntityIds(p.TxData, SchemaNow))
            {
                if (e < LocalIdBase || EntityIds.IsTx(e) || RemoteOf.ContainsKey(e)) continue;
                if (pending.Exists(o => o.Owns(e) && o.CommittedT is null && !ReferenceEquals(o, p))) blocked = true;
                else if (!pending.Exists(o => o.Owns(e) && o.Remote is not null)) unknown = e;
            }
            if (unknown is { } u)
            {
                failed.Add(new FailedTx(p.RequestId, new TxRejectedException(TxErrors.NotAnEntity,
                    $"local entity {u} was never committed by the master (its transaction failed): {EdnPrinter.Describe(p.TxData)}")));
                pending = pending.RemoveAt(i--);
                continue;
            }
            if (blocked) break;
            if (remoteOf is null)
            {
                remoteOf = RemoteOf;
                foreach (var o in pending) if (o.Remote is not null) remoteOf = remoteOf.SetItems(o.Remote);
            }
            var known = remoteOf;
            outgoing.Add(new OutgoingTx(p.RequestId, EntityIdRewrite.Rewrite(p.TxData, SchemaNow, e => known.TryGetValue(e, out var r) ? r : null)));
            pending = pending.SetItem(i, p with { Sent = true });
        }
        if (outgoing.Count == 0 && failed.Count == 0) return (this, outgoing, failed);
        var view = failed.Count == 0 ? _view : null; // a failed transaction leaves the view
        return (new ReplicaState(Synced, Sequencer, pending, RemoteOf, NextLocalId, view), outgoing, failed);
    }

    /// <summary>The master acknowledged a pending transaction as t: its local entities map to the master's now (when
    /// <paramref name="tempids"/> says how; an acknowledgement without them leaves the mapping to the delta); it stays in
    /// the view until the replica applies t.</summary>
    public ReplicaState Accepted(string requestId, long t, IReadOnlyDictionary<object, long> tempids)
    {
        var i = Pending.FindIndex(p => p.RequestId == requestId);
        if (i < 0) return this; // its delta came first
        var p = Pending[i];
        if (t <= BasisT && (tempids.Count > 0 || p.LocalTempids.Count == 0))
            return new ReplicaState(Synced, Sequencer, Pending.RemoveAt(i), RemoteOf.SetItems(p.Remote ?? MapTempids(p, tempids)), NextLocalId);
        var remote = tempids.Count == 0 && p.LocalTempids.Count > 0 ? null : MapTempids(p, tempids);
        var pending = Pending.SetItem(i, p with { CommittedT = t, Remote = remote, Sent = true });
        return new ReplicaState(Synced, Sequencer, pending, RemoteOf, NextLocalId, _view?.WithRemoteIds(Resolver(RemoteOf, pending)));
    }

    /// <summary>The master rejected a pending transaction: it leaves the pending list and the view.</summary>
    public ReplicaState Rejected(string requestId)
    {
        var i = Pending.FindIndex(p => p.RequestId == requestId);
        return i < 0 ? this : new ReplicaState(Synced, Sequencer, Pending.RemoveAt(i), RemoteOf, NextLocalId);
    }

    /// <summary>Drops the pending transactions that were never handed to the master (e.g. the connection is lost).</summary>
    public (ReplicaState Next, IReadOnlyList<PendingTx> Dropped) DropUnsent()
    {
        var dropped = Pending.Where(p => !p.Sent).ToList();
        return dropped.Count == 0 ? (this, dropped)
            : (new ReplicaState(Synced, Sequencer, Pending.RemoveAll(p => !p.Sent), RemoteOf, NextLocalId), dropped);
    }

    // ------------------------------------------------------------------ ids

    /// <summary>The master id of a local entity: itself for entities from the master, the mapped id for a committed
    /// local entity, null while it is pending or when the replica does not hold it.</summary>
    public long? RemoteId(long localId)
    {
        if (localId < LocalIdBase || EntityIds.IsTx(localId)) return View.EntityExists(localId) || Synced.EntityExists(localId) ? localId : null;
        if (RemoteOf.TryGetValue(localId, out var r)) return r;
        foreach (var p in Pending) if (p.Remote?.TryGetValue(localId, out var pr) == true) return pr;
        return null;
    }

    /// <summary>The local id of a master entity: the same id once the replica holds it; while the transaction that
    /// created it is acknowledged but not yet applied, the local entity that stands for it; otherwise null.</summary>
    public long? LocalId(long remoteId)
    {
        foreach (var p in Pending)
            if (p.Remote is { } m)
                foreach (var (l, r) in m) if (r == remoteId) return l;
        return Synced.EntityExists(remoteId) ? remoteId : null;
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>The report of the transaction run with master-range ids, when that succeeds and installs attributes
    /// (which local-range ids cannot be); otherwise null.</summary>
    private TxReport? InstallsAttributes(IReadOnlyList<object?> txData)
    {
        try
        {
            // checked with new ids after the synced value's (the view's may already be in the local range, where no
            // attribute id can be): only to validate, nothing of it is shown
            var report = View.WithNewIdsAfter(Math.Min(View.MaxEntityId, Synced.MaxEntityId)).Transact(txData);
            return report.DbAfter.Schema.Attributes.Count() != View.Schema.Attributes.Count() ? report : null;
        }
        catch (TxRejectedException)
        {
            return null;
        }
    }

    private static IReadOnlyDictionary<object, long> LocalTempids(IReadOnlyDictionary<object, long> tempids, long firstLocal)
    {
        var local = new Dictionary<object, long>();
        foreach (var (k, v) in tempids) if (v >= firstLocal && !EntityIds.IsTx(v)) local[k] = v;
        return local;
    }

    internal static IReadOnlyDictionary<long, long> MapTempids(PendingTx p, IReadOnlyDictionary<object, long>? masterTempids)
    {
        var map = new Dictionary<long, long>();
        if (masterTempids is null) return map;
        foreach (var (k, local) in p.LocalTempids)
            if (masterTempids.TryGetValue(k, out var remote)) map[local] = remote;
        return map;
    }

    private static Func<long, long?> Resolver(ImmutableDictionary<long, long> remoteOf, ImmutableList<PendingTx>? pending = null) => e =>
    {
        if (e < LocalIdBase || EntityIds.IsTx(e)) return e;
        if (remoteOf.TryGetValue(e, out var r)) return r;
        if (pending is not null)
            foreach (var p in pending) if (p.Remote?.TryGetValue(e, out var pr) == true) return pr;
        return null;
    };

    /// <summary>The synced value with the pending transactions applied in order. A transaction is left out of the view
    /// when it no longer applies, or when its new entities would not get the ids they already have (the master will
    /// decide it either way).</summary>
    private static Db Rebase(Db synced, ImmutableList<PendingTx> pending, ImmutableDictionary<long, long> remoteOf)
    {
        var view = synced;
        foreach (var p in pending)
        {
            if (p.CommittedT <= synced.BasisT || !p.InView) continue;
            // local ids of transactions that left the view are master ids by now
            var data = EntityIdRewrite.Rewrite(p.TxData, view.Schema,
                e => e >= LocalIdBase && !pending.Exists(o => o.Owns(e)) && remoteOf.TryGetValue(e, out var r) ? r : null);
            try
            {
                var report = view.WithIdFloor(p.FirstLocalId - 1).Transact(data);
                var same = report.DbAfter.MaxEntityId <= Math.Max(p.LastLocalId, p.FirstLocalId - 1);
                foreach (var (k, v) in p.LocalTempids)
                    if (!report.Tempids.TryGetValue(k, out var now) || now != v) same = false;
                if (same) view = report.DbAfter;
            }
            catch (TxRejectedException)
            {
                // no longer applies on the new synced value; it stays pending, out of the view
            }
        }
        return view.WithRemoteIds(Resolver(remoteOf, pending));
    }
}
