using System.Diagnostics;
using Akka.Actor;
using Datsync.Actors.Observability;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Server;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Observability;

/// <summary>A traceparent on a <see cref="SubmitTx"/> from the wire is untrusted: a valid one parents the commit, an
/// over-long or malformed one is ignored, and the transaction goes on either way.</summary>
public class TraceParentTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void Only_a_valid_traceparent_of_at_most_55_characters_is_taken()
    {
        Assert.Equal(55, Valid.Length);
        Assert.Equal(Valid, DatsyncTelemetry.CheckedTraceParent(Valid));
        Assert.Null(DatsyncTelemetry.CheckedTraceParent(null));
        Assert.Null(DatsyncTelemetry.CheckedTraceParent(""));
        Assert.Null(DatsyncTelemetry.CheckedTraceParent("not a traceparent"));
        Assert.Null(DatsyncTelemetry.CheckedTraceParent("00-00000000000000000000000000000000-b7ad6b7169203331-01")); // a zero trace id
        Assert.Null(DatsyncTelemetry.CheckedTraceParent(Valid + "-" + new string('f', 10_000)));
        Assert.Null(DatsyncTelemetry.CheckedTraceParent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-" + new string('a', 8)));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")]
    [InlineData("long")]
    public void A_submit_with_an_over_long_or_malformed_traceparent_is_committed_without_it(string traceParent)
    {
        if (traceParent == "long") traceParent = Valid + "-" + new string('a', 100_000);
        using var activities = new ActivityLog();
        var (session, replica, id) = Connected();

        session.Tell(new ToSession(Key, new SubmitTx(ClientId, "r-bad", """[{:db/doc "bad trace"}]""", traceParent)), replica.Ref);

        var accepted = replica.FishForMessage<TxAccepted>(m => m is TxAccepted a && a.RequestId == "r-bad", Long);
        Assert.True(accepted.T > 0);
        AwaitAssert(() =>
        {
            // the commit is a child of the transact activity the session started in its place
            var commit = Assert.Single(activities.Stopped("datsync.commit", a => Tag(a, "master") == id && Tag(a, "datsync.request_id") == "r-bad"));
            var transact = Assert.Single(activities.Stopped("datsync.transact", a => a.TraceId == commit.TraceId));
            Assert.Equal(transact.SpanId, commit.ParentSpanId);
            Assert.Equal(ClientId, Tag(transact, "client.id"));
            Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", commit.TraceId.ToHexString());
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_submit_with_a_valid_traceparent_gets_a_commit_under_it()
    {
        using var activities = new ActivityLog();
        var (session, replica, id) = Connected();

        session.Tell(new ToSession(Key, new SubmitTx(ClientId, "r-good", """[{:db/doc "good trace"}]""", Valid)), replica.Ref);

        replica.FishForMessage<TxAccepted>(m => m is TxAccepted a && a.RequestId == "r-good", Long);
        AwaitAssert(() =>
        {
            var commit = Assert.Single(activities.Stopped("datsync.commit", a => Tag(a, "master") == id && Tag(a, "datsync.request_id") == "r-good"));
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", commit.TraceId.ToHexString());
            Assert.Equal("b7ad6b7169203331", commit.ParentSpanId.ToHexString());
        }, Long, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_submits_traceparent_crosses_the_wire_and_a_deltas_does_not()
    {
        var wire = new DatsyncWireSerializer((ExtendedActorSystem)Sys, Akka.Configuration.ConfigurationFactory.ParseString("accept = both")
            .WithFallback(Sys.Settings.Config.GetConfig("akka.actor.serialization-settings.datsync-wire")));
        var submit = new SubmitTx(ClientId, "r-1", """[{:db/doc "x"}]""", Valid);
        var back = Assert.IsType<SubmitTx>(wire.FromBinary(wire.ToBinary(submit), typeof(SubmitTx)));
        Assert.Equal(submit, back);

        // in memory only: a delta keeps the commit's trace context in its wire form for a replica of this process, and
        // loses it in the bytes that leave the process
        var report = Db.Empty.Transact((IReadOnlyList<object?>)EdnReader.Read(
            """[{:db/ident :v/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""")!);
        var delta = TxDelta.From(report.DbAfter, report.DbAfter.BasisT, report.TxData) with { TraceParent = Valid };
        Assert.Equal(Valid, delta.ForWire().TraceParent);
        var sent = Assert.IsType<TxDelta>(wire.FromBinary(wire.ToBinary(delta), typeof(TxDelta)));
        Assert.Null(sent.TraceParent);
        Assert.Equal(delta.T, sent.T);
    }

    private const string ClientId = "trace-client";
    private static readonly string Key = ChannelKeys.New();

    /// <summary>A master and its server; a probe connects as a replica that resumes at t=0, and gets the session.</summary>
    private (IActorRef Session, Akka.TestKit.TestProbe Replica, string MasterId) Connected()
    {
        var id = "trace-master-" + Guid.NewGuid().ToString("N")[..10];
        var (_, server) = StartMaster(id);
        var replica = CreateTestProbe();
        server.Tell(new Connect(ClientId, 0, 1, null, Key), replica.Ref);
        replica.FishForMessage(m => m is Connected, Long);
        return (replica.LastSender, replica, id);
    }

    private static string? Tag(Activity a, string key) => a.GetTagItem(key)?.ToString();
}
