using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using Datsync.Actors;
using Datsync.Actors.Storage;
using Datsync.Integration.Tests.Fixtures;
using Xunit.Abstractions;

namespace Datsync.Integration.Tests.Storage;

/// <summary>The SQL read journal (Akka.Persistence.Query) over the SQLite file.</summary>
public sealed class ReadJournalTests(ITestOutputHelper output) : TestKit(output: output)
{
    [Fact]
    public async Task CurrentEventsByPersistenceId_returns_the_persisted_events_in_order()
    {
        using var dir = new SqliteFile();
        var pid = StorageScenario.NewPersistenceId();
        await using var node = StorageNode.Start(dir.Storage().ToConfig());
        var actor = node.Journaled(pid);
        foreach (var value in new[] { "a", "b", "c" })
            await node.Ask<Journaled.Persisted>(actor, new Journaled.Add(value));

        await AwaitAssertAsync(async () =>
        {
            var events = await node.CurrentEvents(pid);
            Assert.Equal(["a", "b", "c"], events.Select(e => (string)e.Event));
            Assert.Equal([1L, 2L, 3L], events.Select(e => e.SequenceNr));
            Assert.All(events, e => Assert.Equal(pid, e.PersistenceId));
        }, StorageNode.Timeout);

        var ids = await node.ReadJournal().CurrentPersistenceIds().RunWith(Sink.Seq<string>(), node.System.Materializer());
        Assert.Contains(pid, ids);
    }

    [Fact]
    public async Task A_live_EventsByPersistenceId_query_sees_events_written_after_it_started()
    {
        using var dir = new SqliteFile();
        var pid = StorageScenario.NewPersistenceId();
        await using var node = StorageNode.Start(dir.Storage().ToConfig());
        var actor = node.Journaled(pid);
        await node.Ask<Journaled.Persisted>(actor, new Journaled.Add("before"));

        var journal = PersistenceQuery.Get(node.System).ReadJournalFor<SqlReadJournal>(StorageOptions.ReadJournalPluginId);
        var live = journal.EventsByPersistenceId(pid, 0, long.MaxValue)
            .Take(2)
            .RunWith(Sink.Seq<EventEnvelope>(), node.System.Materializer());
        await node.Ask<Journaled.Persisted>(actor, new Journaled.Add("after"));

        var events = await live.WaitAsync(StorageNode.Timeout);
        Assert.Equal(["before", "after"], events.Select(e => (string)e.Event));
    }
}
