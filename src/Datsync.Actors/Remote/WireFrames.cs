using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Actors.Remote;

/// <summary>
/// Keeps every message between processes under a frame budget: deltas go one by one or in batches that fit, a delta
/// too big for a frame goes as <see cref="TxDeltaPart"/> slices of its serialized form, a transaction too big as
/// <see cref="SubmitTxPart"/> slices of its EDN. Sizes of deltas are estimated on the safe side (the wire writes
/// about 60 bytes per datom with a small value, a string at most 3 bytes per character); a delta estimated past half
/// the budget is serialized to be sliced.
/// </summary>
internal static class WireFrames
{
    private const int MessageOverhead = 2_048;
    private const int DatomOverhead = 48; // measured: about 60 bytes a datom with its ident and a small value

    /// <summary>The deltas as messages that each fit <paramref name="budget"/> bytes.</summary>
    public static IEnumerable<object> Deltas(IReadOnlyList<TxDelta> deltas, int budget, Serialization serialization)
    {
        var batch = new List<TxDelta>();
        var size = MessageOverhead;
        foreach (var d in deltas)
        {
            var est = Estimate(d);
            if (est > budget / 2)
            {
                if (batch.Count > 0) { yield return Batch(batch); batch = new List<TxDelta>(); size = MessageOverhead; }
                foreach (var part in Parts(d, budget, serialization)) yield return part;
                continue;
            }
            if (size + est > budget && batch.Count > 0)
            {
                yield return Batch(batch);
                batch = new List<TxDelta>();
                size = MessageOverhead;
            }
            batch.Add(d); // on the wire a delta leaves its in-process value behind (DatsyncWireSerializer)
            size += est;
        }
        if (batch.Count > 0) yield return Batch(batch);
    }

    private static object Batch(List<TxDelta> batch) => batch.Count == 1 ? batch[0] : new TxDeltaBatch(batch);

    private static IEnumerable<TxDeltaPart> Parts(TxDelta d, int budget, Serialization serialization)
    {
        var bytes = serialization.FindSerializerForType(typeof(TxDelta)).ToBinary(d);
        var slice = Math.Max(1, budget - MessageOverhead);
        var count = (bytes.Length + slice - 1) / slice;
        for (var i = 0; i < count; i++)
            yield return new TxDeltaPart(d.T, i, count, bytes.AsSpan(i * slice, Math.Min(slice, bytes.Length - i * slice)).ToArray());
    }

    /// <summary>A safe upper estimate of a delta's size on the wire.</summary>
    public static int Estimate(TxDelta d)
    {
        long size = 64 + (d.Tempids?.Count ?? 0) * 48L + (d.RequestId?.Length ?? 0) * 3L;
        foreach (var x in d.Datoms) size += DatomOverhead + x.A.FullName.Length * 3L + ValueBytes(x.V);
        return (int)Math.Min(int.MaxValue, size);
    }

    private static long ValueBytes(object v) => v switch
    {
        string s => 8 + s.Length * 3L,
        byte[] b => 8 + b.Length,
        Keyword k => 16 + k.FullName.Length * 3L,
        Symbol y => 16 + y.FullName.Length * 3L,
        Uri u => 16 + u.OriginalString.Length * 3L,
        _ => 24,
    };

    /// <summary>A transaction as one <see cref="SubmitTx"/>, or as parts when its EDN does not fit the budget.</summary>
    public static IEnumerable<object> Submit(SubmitTx tx, int budget)
    {
        if ((tx.TxEdn.Length + (tx.TraceParent?.Length ?? 0)) * 3L + MessageOverhead <= budget) // its trace context goes only whole
        {
            yield return tx;
            yield break;
        }
        var bytes = Encoding.UTF8.GetBytes(tx.TxEdn);
        var slice = Math.Max(1, budget - MessageOverhead);
        var count = (bytes.Length + slice - 1) / slice;
        for (var i = 0; i < count; i++)
            yield return new SubmitTxPart(tx.ClientId, tx.RequestId, i, count, bytes.AsSpan(i * slice, Math.Min(slice, bytes.Length - i * slice)).ToArray());
    }
}

/// <summary>Puts slices back together: parts of one key arrive in any order, repeated; the whole comes out once all
/// are there. Keeps the parts of a few keys at a time (older incomplete ones are dropped: they will be sent again).
/// Nothing is sized by a peer's count: a count over <see cref="WireBounds.MaxParts"/> is refused, slots are taken as
/// parts arrive, and the bytes held (of one key, and of all keys together) stay under
/// <see cref="WireBounds.MaxMessageBytes"/>: a key that would pass it is dropped, older keys make room first.</summary>
internal sealed class PartAssembler<TKey> where TKey : notnull
{
    private readonly int _keep;
    private readonly WireBounds _bounds;
    private readonly Dictionary<TKey, Pending> _parts = new();
    private readonly LinkedList<TKey> _order = new();
    private long _held;

    /// <param name="keep">Keys whose parts are kept at a time.</param>
    /// <param name="bounds">Bounds on parts and bytes (default: <see cref="WireBounds.Default"/>).</param>
    public PartAssembler(int keep = 16, WireBounds? bounds = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        _keep = keep;
        _bounds = bounds ?? WireBounds.Default;
    }

    /// <summary>Bytes of incomplete messages held now.</summary>
    public long HeldBytes => _held;

    /// <summary>Keys with incomplete messages held now.</summary>
    public int HeldKeys => _parts.Count;

    /// <summary>Parts refused so far (a count out of bounds, or bytes past the bound).</summary>
    public long Refused { get; private set; }

    /// <summary>The whole, once part <paramref name="seq"/> completes it; else null (also for a part refused).</summary>
    public byte[]? Add(TKey key, int seq, int count, byte[] slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (!_bounds.AllowsParts(count) || seq < 0 || seq >= count || slice.LongLength > _bounds.MaxMessageBytes)
        {
            Refused++;
            return null;
        }
        if (_parts.TryGetValue(key, out var pending) && pending.Count != count)
        {
            Drop(key);
            pending = null;
        }
        if (pending is null)
        {
            pending = new Pending(count, _order.AddLast(key));
            _parts[key] = pending;
            while (_parts.Count > _keep) Drop(_order.First!.Value);
        }
        if (pending.Slices.ContainsKey(seq)) return null; // a repeat
        if (pending.Bytes + slice.Length > _bounds.MaxMessageBytes)
        {
            Drop(key);
            Refused++;
            return null;
        }
        // older keys make room for this one
        while (_held + slice.Length > _bounds.MaxMessageBytes)
        {
            var victim = ReferenceEquals(_order.First, pending.Node) ? pending.Node.Next : _order.First;
            if (victim is null) break;
            Drop(victim.Value);
        }
        pending.Slices[seq] = slice;
        pending.Bytes += slice.Length;
        _held += slice.Length;
        if (pending.Slices.Count < count) return null;

        Drop(key);
        var whole = new byte[pending.Bytes];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var p = pending.Slices[i];
            p.CopyTo(whole, at);
            at += p.Length;
        }
        return whole;
    }

    private void Drop(TKey key)
    {
        if (!_parts.Remove(key, out var p)) return;
        _order.Remove(p.Node);
        _held -= p.Bytes;
    }

    private sealed class Pending(int count, LinkedListNode<TKey> node)
    {
        public readonly int Count = count;
        public readonly LinkedListNode<TKey> Node = node;
        public readonly Dictionary<int, byte[]> Slices = new();
        public long Bytes;
    }
}
