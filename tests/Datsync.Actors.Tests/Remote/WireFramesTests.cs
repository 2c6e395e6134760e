using System.Text;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Tests.Master;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Remote;

public class WireFramesTests(ITestOutputHelper output) : MasterTestKit(output)
{
    private const int Budget = 64_000;

    private static List<TxDelta> Stream(params int[] valueLengths)
    {
        var db = Db.Empty.Transact(EdnReader.Read("""
            [{:db/ident :v/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
             {:db/ident :v/k :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
             {:db/ident :v/n :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}]
            """) as IReadOnlyList<object?> ?? []).DbAfter;
        var deltas = new List<TxDelta>();
        foreach (var len in valueLengths)
        {
            var value = new string('é', len); // two bytes a character in UTF-8
            var r = db.Transact([
                new Dictionary<object, object?> { [BuiltIns.DbId] = "x", [Keyword.Intern("v/s")] = value,
                    [Keyword.Intern("v/k")] = new object?[] { Keyword.Intern("a/b"), Keyword.Intern("c/d") },
                    [Keyword.Intern("v/n")] = System.Numerics.BigInteger.Pow(10, 40) },
            ]);
            db = r.DbAfter;
            deltas.Add(TxDelta.From(r.DbAfter, r.T, r.TxData, "request-" + r.T, r.Tempids));
        }
        return deltas;
    }

    private byte[] Bytes(object message) => Sys.Serialization.FindSerializerFor(message).ToBinary(message);

    [Fact]
    public void Every_frame_fits_the_budget_and_the_deltas_come_back_in_order()
    {
        var lengths = Enumerable.Range(0, 600).Select(i => i % 100 == 7 ? 150_000 : i % 10 == 3 ? 3_000 : 5).ToArray();
        var deltas = Stream(lengths);
        var parts = new PartAssembler<long>();
        var back = new List<TxDelta>();
        foreach (var frame in WireFrames.Deltas(deltas, Budget, Sys.Serialization))
        {
            Assert.True(Bytes(frame).Length <= Budget, $"a {frame.GetType().Name} of {Bytes(frame).Length} bytes");
            switch (frame)
            {
                case TxDelta d: back.Add(d); break;
                case TxDeltaBatch b: back.AddRange(b.Deltas); break;
                case TxDeltaPart p:
                    if (parts.Add(p.T, p.Seq, p.Count, p.Slice) is { } whole)
                        back.Add((TxDelta)Sys.Serialization.FindSerializerForType(typeof(TxDelta)).FromBinary(whole, typeof(TxDelta)));
                    break;
                default: throw new Xunit.Sdk.XunitException($"unexpected frame {frame}");
            }
        }
        Assert.Equal(deltas.Select(d => d.ToString()), back.Select(d => d.ToString()));
        Assert.Equal(deltas.Select(d => d.RequestId), back.Select(d => d.RequestId));
    }

    [Fact]
    public void A_transaction_too_big_for_a_frame_goes_in_parts_that_read_back_as_its_text()
    {
        var small = new SubmitTx("c", "r1", "[{:db/id \"a\" :v/s \"x\"}]");
        Assert.Same(small, Assert.Single(WireFrames.Submit(small, Budget)));
        var text = "[" + string.Concat(Enumerable.Range(0, 5000).Select(i => $"{{:db/id \"t{i}\" :v/s \"ünïcödé {i}\"}} ")) + "]";
        var parts = WireFrames.Submit(new SubmitTx("c", "r2", text), Budget).Cast<SubmitTxPart>().ToList();
        Assert.True(parts.Count > 1);
        Assert.All(parts, p => Assert.True(Bytes(p).Length <= Budget));
        var assembler = new PartAssembler<string>();
        byte[]? whole = null;
        foreach (var p in parts.AsEnumerable().Reverse().Concat(parts)) // out of order, and repeated
            whole ??= assembler.Add(p.RequestId, p.Seq, p.Count, p.Slice);
        Assert.Equal(text, Encoding.UTF8.GetString(whole!));
    }
}
