using Datsync.Core;

namespace Datsync.Actors.Tests.Connection;

/// <summary>The README's "Live queries" example, kept working: the code between the markers is the README's block.</summary>
public class LiveQueryExampleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_live_query_example_does_what_it_says()
    {
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = "live-example-" + Guid.NewGuid().ToString("N")[..6], Storage = { Kind = "memory" },
        }).WaitAsync(Long);
        var conn = (IDatsyncConnection)master; // any connection: the master's or a replica's
        // README: Live queries (begin)
        await conn.TransactAsync([Tx.Attribute(":person/name", "string"), Tx.Attribute(":person/age", "long")]);
        long olga = (await conn.TransactAsync([Tx.Entity("o", (":person/name", "Olga"), (":person/age", 17L))])).Tempid("o");

        // a live query: its result on the current value, then a new one only when a master transaction changes it
        await using QuerySubscription adults = conn.Subscribe(
            "[:find ?name :in $ ?min :where [?p :person/name ?name] [?p :person/age ?age] [(>= ?age ?min)]]", 18L);
        // a live pull of one entity (an id, an ident or a lookup ref)
        await using QuerySubscription olgaNow = conn.SubscribePull("[:person/name :person/age]", olga);

        await using IAsyncEnumerator<QueryUpdate> updates = adults.GetAsyncEnumerator();
        await updates.MoveNextAsync();                     // the current result: #{} at its basis t
        QueryUpdate first = updates.Current;

        await conn.TransactAsync([Tx.Add(olga, ":person/age", 18L)]);
        await updates.MoveNextAsync();                     // #{["Olga"]}: Added [["Olga"]], Removed []
        QueryUpdate second = updates.Current;
        QueryUpdate? latest = olgaNow.Current;             // the latest result without waiting (null before the first)
        // README: Live queries (end)

        Assert.Equal(EdnSet.Empty, first.Result);
        Assert.Empty(first.Added);
        var row = new EdnVector("Olga");
        Assert.Equal(new EdnSet(new object?[] { row }), second.Result);
        Assert.Equal(new object?[] { row }, second.Added);
        Assert.Empty(second.Removed);
        Assert.Equal(master.Db.BasisT, second.T);
        Assert.True(second.T > first.T);
        Assert.NotNull(latest);
        using var timeout = new CancellationTokenSource(Long);
        IReadOnlyDictionary<object, object?>? pulled = null;
        await foreach (var u in olgaNow.WithCancellation(timeout.Token)) // the pull's update may still be on its way
            if (u.T == second.T) { pulled = (IReadOnlyDictionary<object, object?>)u.Result!; break; }
        Assert.Equal(18L, pulled![Keyword.Intern("person/age")]);
    }
}
