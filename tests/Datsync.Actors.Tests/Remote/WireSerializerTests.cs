using System.Numerics;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Tests.Master;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Remote;

public class WireSerializerTests(ITestOutputHelper output) : MasterTestKit(output)
{
    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<DatsyncWireSerializer>(serializer);
        var bytes = serializer.ToBinary(message);
        return Assert.IsType<T>(serializer.FromBinary(bytes, typeof(T)));
    }

    [Fact]
    public void A_delta_crosses_the_wire_with_every_value_type_and_keywords_stay_interned()
    {
        var db = Db.Empty.Transact(EdnReader.Read("""
            [{:db/ident :v/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
             {:db/ident :v/k :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
             {:db/ident :v/l :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
             {:db/ident :v/d :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
             {:db/ident :v/i :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
             {:db/ident :v/u :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}
             {:db/ident :v/b :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}
             {:db/ident :v/m :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/one}
             {:db/ident :v/y :db/valueType :db.type/symbol :db/cardinality :db.cardinality/one}
             {:db/ident :v/t :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}]
            """) as IReadOnlyList<object?> ?? []).DbAfter;
        var r = db.Transact(EdnReader.Read("""
            [{:db/id "x" :v/s "héllo \u2603" :v/k :some/kw :v/l -42 :v/d 1.5 :v/i #inst "2026-01-02T03:04:05.006Z"
              :v/u #uuid "6f1c3b1e-2b7a-4e2a-9a51-0c6f6f3e2d11" :v/b 123456789012345678901234567890N :v/m 1.25M
              :v/y some/sym :v/t true}]
            """) as IReadOnlyList<object?> ?? []);
        var delta = TxDelta.From(r.DbAfter, r.T, r.TxData, "req-1", r.Tempids);
        Assert.NotNull(delta.MasterValue);

        var back = RoundTrip(delta); // the in-process master value stays behind, ForWire or not
        Assert.Null(back.MasterValue);
        Assert.Equal(delta.T, back.T);
        Assert.Equal(delta.TxInstant, back.TxInstant);
        Assert.Equal("req-1", back.RequestId);
        Assert.Equal(delta.Tempids!["x"], back.Tempids!["x"]);
        Assert.Equal(delta.ToString(), back.ToString());
        for (var i = 0; i < delta.Datoms.Count; i++)
        {
            Assert.Same(delta.Datoms[i].A, back.Datoms[i].A); // the same interned keyword
            Assert.Equal(delta.Datoms[i].V, back.Datoms[i].V);
            Assert.Equal(delta.Datoms[i].V.GetType(), back.Datoms[i].V.GetType());
        }
        Assert.Same(Keyword.Intern("some/kw"), back.Datoms.Single(d => d.A == Keyword.Intern("v/k")).V);
        Assert.IsType<BigInteger>(back.Datoms.Single(d => d.A == Keyword.Intern("v/b")).V);
        // applied on the other side, it gives the master's datoms
        Assert.Equal(r.DbAfter.Datoms(IndexType.Eavt).Select(d => d.ToString()), back.ApplyTo(db).Datoms(IndexType.Eavt).Select(d => d.ToString()));
    }

    [Fact]
    public void Every_protocol_message_crosses_the_wire()
    {
        var connect = RoundTrip(new Connect("client \"1\"", 17, 99, "secret"));
        Assert.Equal(new Connect("client \"1\"", 17, 99, "secret"), connect);
        Assert.Equal(new Connected(3, 10, 4, 12), RoundTrip(new Connected(3, 10, 4, 12)));
        var chunk = RoundTrip(new BootstrapChunk(10, 2, 4, [1, 2, 3]));
        Assert.Equal([1, 2, 3], chunk.Payload);
        Assert.Equal("[{:db/id \"a\" :x/y 1}]", RoundTrip(new SubmitTx("c", "r", "[{:db/id \"a\" :x/y 1}]")).TxEdn);
        var rejected = RoundTrip(new TxRejected("r", TxErrors.UniqueConflict, "taken"));
        Assert.Same(TxErrors.UniqueConflict, rejected.Category);
        var accepted = RoundTrip(new TxAccepted("r", 5, new Dictionary<object, long> { ["a"] = 1001, [-1L] = 1002 }, []));
        Assert.Equal(1001, accepted.Tempids["a"]);
        Assert.Equal(1002, accepted.Tempids[-1L]);
        Assert.Equal(new ConnectRefused(4, "unknown client"), RoundTrip(new ConnectRefused(4, "unknown client")));
        Assert.Equal(new DeltasApplied(8), RoundTrip(new DeltasApplied(8)));
        Assert.Equal(new DeltasWanted(3, 9), RoundTrip(new DeltasWanted(3, 9)));
        var request = RoundTrip(new ToSession("key", new BootstrapAck(10, 3)));
        Assert.Equal(new BootstrapAck(10, 3), request.Request);
        Assert.Equal("key", request.ChannelKey);
        Assert.Equal(new SessionHeartbeat(4), RoundTrip(new FromSession("key", new SessionHeartbeat(4))).Message);
        Assert.Equal(new SessionHeartbeat(12), RoundTrip(new SessionHeartbeat(12)));
        Assert.Equal(new BootstrapAck(10, 3), RoundTrip(new BootstrapAck(10, 3)));
        var batch = RoundTrip(new TxDeltaBatch([new TxDelta(4, DateTime.UnixEpoch, []), new TxDelta(5, DateTime.UnixEpoch, [])]));
        Assert.Equal([4L, 5L], batch.Deltas.Select(d => d.T));
    }
}
