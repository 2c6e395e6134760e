using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Remote;
using Datsync.Actors.Replica;
using Datsync.Core;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.Replication;

/// <summary>A replica and a session in the same process hand over a transaction's forms, not its EDN text; the session
/// takes them with every check it applies to text; the forms never travel between processes.</summary>
public class InProcessSubmitTests(ITestOutputHelper output) : ReplicationTestKit(output)
{
    private const string Doc = """[[:db/add "x" :db/doc "d"]]""";

    /// <summary>A replica whose server and session is <paramref name="session"/>: it resumes at t=0 and is live.</summary>
    private async Task<(DatsyncReplica Replica, Connect Handshake)> LiveReplica(Akka.TestKit.TestProbe session)
    {
        var replica = StartReplica(session.Ref, "c1", resumeFrom: Db.Empty);
        var connect = session.ExpectMsg<Connect>(Long);
        session.Reply(new Connected(connect.Attempt, connect.LastAppliedT ?? 0, 0, 0));
        await replica.Ready.WaitAsync(Long);
        return (replica, connect);
    }

    [Fact]
    public async Task An_in_process_replica_sends_its_transaction_to_the_session_as_forms()
    {
        var session = CreateTestProbe();
        var (replica, connect) = await LiveReplica(session);

        _ = replica.Submit(Doc);

        var sent = (SubmitTxData)session.FishForMessage(m => m switch
        {
            SubmitTxData => true,
            ToSession { Request: SubmitTx or SubmitTxPart } => throw new Xunit.Sdk.XunitException("the transaction went as text"),
            _ => false,
        }, Long);
        Assert.Equal(connect.ChannelKey, sent.ChannelKey);
        Assert.Equal("c1", sent.ClientId);
        Assert.StartsWith("c1/", sent.RequestId);
        Assert.Equal(EdnReader.Read(Doc), Assert.IsType<EdnVector>(sent.TxData));
    }

    [Fact]
    public async Task A_transaction_of_clr_values_goes_as_text_which_the_session_reads_into_edn_values()
    {
        var session = CreateTestProbe();
        var (replica, connect) = await LiveReplica(session);

        // a CLR array its caller may still change: not shared, printed
        _ = replica.Submit([new object?[] { Keyword.Intern("db/add"), "x", Keyword.Intern("db/doc"), "d" }]);

        var sent = (ToSession)session.FishForMessage(m => m switch
        {
            ToSession { Request: SubmitTx } => true,
            SubmitTxData => throw new Xunit.Sdk.XunitException("a CLR array was handed over as it is"),
            _ => false,
        }, Long);
        Assert.Equal(connect.ChannelKey, sent.ChannelKey);
        Assert.Equal(EdnReader.Read(Doc), EdnReader.Read(((SubmitTx)sent.Request).TxEdn));
    }

    [Fact]
    public void A_session_hands_the_forms_to_the_transactor_as_they_are_naming_its_client()
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);
        var forms = (IReadOnlyList<object?>)EdnReader.Read(Doc)!;

        session.Tell(new SubmitTxData(key, "c1", "r-1", forms), replica.Ref);

        var t = transactor.FishForMessage<Transact>(m => m is Transact, Long);
        Assert.Equal("r-1", t.RequestId);
        Assert.Same(forms, t.TxData);
        Assert.Equal("""{:datsync/client "c1"}""", t.TxMeta);
    }

    [Fact]
    public void A_session_takes_forms_only_under_its_replicas_key_from_that_replica()
    {
        var (transactor, _, server) = ProbedServer();
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);
        var forms = (IReadOnlyList<object?>)EdnReader.Read(Doc)!;

        session.Tell(new SubmitTxData(ChannelKeys.New(), "c1", "r-1", forms), replica.Ref);
        session.Tell(new SubmitTxData(key, "c1", "r-2", forms), CreateTestProbe().Ref);
        session.Tell(new SubmitTxData(key, "c1", "r-3", forms), replica.Ref);

        Assert.Equal("r-3", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
    }

    [Fact]
    public void Forms_get_the_checks_text_gets_one_commit_per_request_id_the_outcome_remembered_and_busy_when_full()
    {
        var (transactor, _, server) = ProbedServer(QuickSession with { MaxPendingSubmits = 1 });
        var replica = CreateTestProbe();
        var key = ChannelKeys.New();
        var session = Handshake(transactor, server, replica, "c1", key);
        var forms = (IReadOnlyList<object?>)EdnReader.Read(Doc)!;

        session.Tell(new SubmitTxData(key, "c1", "r-1", forms), replica.Ref);
        Assert.Equal("r-1", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
        // the same request while its answer is on the way: not sent again; another: refused as busy (as text would be)
        session.Tell(new SubmitTxData(key, "c1", "r-1", forms), replica.Ref);
        session.Tell(new ToSession(key, new SubmitTx("c1", "r-2", Doc)), replica.Ref);
        var busy = replica.FishForMessage<TxRejected>(m => m is TxRejected, Long);
        Assert.Equal(("r-2", DatsyncErrors.Busy), (busy.RequestId, busy.Category));

        // the outcome reaches the replica, and the same request after it is answered from it, not committed again
        var accepted = new TxAccepted("r-1", 1, new Dictionary<object, long>(), []);
        session.Tell(accepted, transactor.Ref);
        Assert.Equal(1, replica.FishForMessage<TxAccepted>(m => m is TxAccepted, Long).T);
        session.Tell(new SubmitTxData(key, "c1", "r-1", forms), replica.Ref);
        Assert.Equal(1, replica.FishForMessage<TxAccepted>(m => m is TxAccepted, Long).T);
        // the next request is the next the transactor hears of
        session.Tell(new SubmitTxData(key, "c1", "r-3", forms), replica.Ref);
        Assert.Equal("r-3", transactor.FishForMessage<Transact>(m => m is Transact, Long).RequestId);
    }

    [Fact]
    public void The_forms_message_is_no_wire_type()
    {
        Assert.False(typeof(IDatsyncMessage).IsAssignableFrom(typeof(SubmitTxData)));
        foreach (var accept in Enum.GetValues<WireAccept>())
        {
            var admitted = WireTypes.Admitted(accept);
            Assert.DoesNotContain(typeof(SubmitTxData), admitted);
            Assert.False(new WireTypeFilter(admitted).IsAllowed(WireTypeFilter.WireName(typeof(SubmitTxData))));
        }
    }

    [Fact]
    public async Task A_replica_and_its_session_in_one_process_commit_a_transaction_given_as_forms()
    {
        var (master, server) = StartMaster("in-process-forms");
        var replica = StartReplica(server, "c1");
        await replica.Ready.WaitAsync(Long);

        var result = await replica.Submit("""[{:db/id "x" :db/doc "forms"}]""").WaitAsync(Long);

        Assert.True(result.T > 0);
        AwaitEqual(master, replica);
    }
}
