using CsCheck;
using Datsync.Core;
using Datsync.Core.Tests.Properties;

namespace Datsync.Core.Tests.Sync;

/// <summary>A master value and one replica state driven by random streams: some transactions are committed on the
/// master directly, some made locally on the replica and sent; deltas and acknowledgements reach the replica late, in
/// random order and some twice.</summary>
public class ReplicaStatePropertyTests
{
    /// <param name="Claim">Per transaction, 0..2: instead of the generated one, a transaction that gives entity
    /// <c>k{i % 5}</c> the unique <c>:w/email</c> <c>shared{claim}</c> (replica and master race for those); 3: on
    /// the replica, a transaction that names a local entity of one of its earlier transactions (pending, committed or
    /// rejected).</param>
    private sealed record Case(RandomWorkload.OpSpec[][] Stream, bool[] Local, int[] Claim, int Seed);

    private static readonly Gen<Case> Cases =
        Gen.Select(RandomWorkload.Stream, Gen.Bool.Array[25], Gen.Int[0, 7].Array[25], Gen.Int, (s, l, claim, seed) => new Case(s, l, claim, seed));

    private static IReadOnlyList<object?> Claim(int i, int claim) =>
        [new Dictionary<object, object?> { [RandomWorkload.K(":w/key")] = "k" + i % 5, [RandomWorkload.K(":w/email")] = "shared" + claim }];

    private static List<(long, int, string)> All(Db db) =>
        db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, EdnPrinter.Print(d.V))).ToList();

    [Fact]
    public void With_everything_delivered_the_replica_equals_the_master_and_nothing_is_pending()
    {
        var committedLocal = 0;
        var rejectedLocal = 0;
        Cases.Sample(c =>
        {
            var random = new Random(c.Seed);
            var master = RandomWorkload.Installed();
            var replica = ReplicaState.Bootstrapped(master);
            var inbox = new List<object>(); // TxDelta, or (request, t, tempids) for an acknowledgement
            var local = 0;
            var localIds = new List<long>();

            var wire = new Queue<OutgoingTx>(); // sent, not yet at the master

            void Send()
            {
                var (next, outgoing, _) = replica.TakeOutgoing();
                replica = next;
                foreach (var o in outgoing) wire.Enqueue(o);
            }

            void AtMaster(int count)
            {
                for (var i = 0; i < count && wire.Count > 0; i++)
                {
                    var o = wire.Dequeue();
                    try
                    {
                        var r = master.Transact(o.TxData);
                        master = r.DbAfter;
                        inbox.Add(TxDelta.From(r.DbAfter, r.T, r.TxData, o.RequestId, r.Tempids));
                        inbox.Add((o.RequestId, r.T, r.Tempids));
                        Interlocked.Increment(ref committedLocal);
                    }
                    catch (TxRejectedException)
                    {
                        inbox.Add(o.RequestId);
                        Interlocked.Increment(ref rejectedLocal);
                    }
                }
            }

            void Deliver(int count)
            {
                for (var i = 0; i < count && inbox.Count > 0; i++)
                {
                    var at = random.Next(inbox.Count);
                    var m = inbox[at];
                    if (random.Next(4) > 0) inbox.RemoveAt(at); // else it comes again later
                    replica = m switch
                    {
                        TxDelta d => replica.Offer([d]).Next,
                        ValueTuple<string, long, IReadOnlyDictionary<object, long>> a => replica.Accepted(a.Item1, a.Item2, a.Item3),
                        string r => replica.Rejected(r),
                        _ => throw new InvalidOperationException(),
                    };
                }
                Send();
                AtMaster(random.Next(3));
            }

            for (var i = 0; i < c.Stream.Length; i++)
            {
                var forms = c.Claim[i] < 3 ? Claim(i, c.Claim[i]) : RandomWorkload.Forms(c.Stream[i]);
                if (c.Claim[i] == 3 && c.Local[i] && localIds.Count > 0)
                    forms = [new object?[] { RandomWorkload.K(":db/add"), localIds[random.Next(localIds.Count)], RandomWorkload.K(":w/age"), (long)i }];
                if (c.Local[i])
                {
                    try
                    {
                        TxReport report;
                        (replica, report) = replica.Local("r" + ++local, forms);
                        localIds.AddRange(report.Tempids.Values.Where(id => id >= ReplicaState.LocalIdBase && !EntityIds.IsTx(id)));
                    }
                    catch (TxRejectedException) { }
                    Send();
                }
                else
                {
                    try
                    {
                        var r = master.Transact(forms);
                        master = r.DbAfter;
                        inbox.Add(TxDelta.From(r.DbAfter, r.T, r.TxData));
                    }
                    catch (TxRejectedException) { }
                }
                Deliver(random.Next(3));
            }
            for (var round = 0; round < 1000 && (inbox.Count > 0 || wire.Count > 0 || !replica.Pending.IsEmpty); round++)
            {
                AtMaster(wire.Count);
                Deliver(inbox.Count + 1);
            }

            Assert.Empty(replica.Pending);
            Assert.Equal(master.BasisT, replica.BasisT);
            Assert.Equal(All(master), All(replica.Synced));
            Assert.Equal(All(replica.Synced), All(replica.View));
        }, iter: 300);
        Assert.True(committedLocal > 100 && rejectedLocal > 0, $"{committedLocal} local transactions committed, {rejectedLocal} rejected");
    }
}
