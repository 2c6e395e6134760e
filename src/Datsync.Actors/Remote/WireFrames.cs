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
public static class WireFrames
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
        if (tx.TxEdn.Length * 3L + MessageOverhead <= budget)
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
/// are there. Keeps the parts of a few keys at a time (older incomplete ones are dropped: they will be sent again).</summary>
public sealed class PartAssembler<TKey>(int keep = 16) where TKey : notnull
{
    private readonly Dictionary<TKey, byte[]?[]> _parts = new();
    private readonly Queue<TKey> _order = new();

    /// <summary>The whole, once part <paramref name="seq"/> completes it; else null.</summary>
    public byte[]? Add(TKey key, int seq, int count, byte[] slice)
    {
        if (count <= 0 || seq < 0 || seq >= count) return null;
        if (!_parts.TryGetValue(key, out var parts) || parts.Length != count)
        {
            parts = new byte[]?[count];
            if (!_parts.ContainsKey(key)) _order.Enqueue(key);
            _parts[key] = parts;
            while (_order.Count > keep) _parts.Remove(_order.Dequeue());
        }
        parts[seq] ??= slice;
        if (parts.Any(p => p is null)) return null;
        _parts.Remove(key);
        var whole = new byte[parts.Sum(p => p!.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            p!.CopyTo(whole, at);
            at += p.Length;
        }
        return whole;
    }
}
