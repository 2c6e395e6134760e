using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>A session's scoped stream without actors: what it hands its replica of the hub's deltas, and which range
/// requests its kept deltas answer.</summary>
public class SessionScopeTests
{
    private static readonly ServerScopes Scopes = Docs.Scopes();

    private static TxDelta S(long t, long after, string? requestId = null) =>
        new(t, DateTime.UnixEpoch, [], requestId, requestId is null ? null : new Dictionary<object, long> { ["x"] = 99 }) { After = after };

    private static SessionScope Started(long basisT, out long generation)
    {
        var scope = new SessionScope(new ScopesInForce(Scopes), "alice");
        generation = scope.Reset();
        var world = Db.Empty.Transact(Tx.Parse(Docs.SchemaEdn)).DbAfter.Transact(Tx.Parse(Docs.WorldEdn)).DbAfter;
        var (_, state) = scope.ImageOf(world, 64_000);
        scope.Start(state with { T = basisT });
        return scope;
    }

    [Fact]
    public void The_hubs_deltas_go_on_with_only_this_clients_request_ids_and_an_empty_delta_moves_the_t_to_where_it_is_complete()
    {
        var scope = Started(2, out var gen);
        var out1 = scope.Take(new ScopedDeltas(gen, [S(4, 2, "alice/r/1"), S(7, 4, "bob/r/9")], 9), id => id == "alice/r/1")!;

        Assert.Equal([4L, 7L, 9L], out1.Select(d => d.T));
        Assert.Equal([2L, 4L, 7L], out1.Select(d => d.Prev));
        Assert.Equal("alice/r/1", out1[0].RequestId);
        Assert.NotNull(out1[0].Tempids);
        Assert.Null(out1[1].RequestId); // another client's request: its ids stay its own
        Assert.Null(out1[1].Tempids);
        Assert.Empty(out1[2].Datoms);
        Assert.Equal(9, scope.LastT);

        // complete through 9 already: nothing more; an older bootstrap's deltas are dropped
        Assert.Empty(scope.Take(new ScopedDeltas(gen, [], 9), _ => false)!);
        Assert.Empty(scope.Take(new ScopedDeltas(gen - 1, [S(12, 9)], 12), _ => false)!);
        Assert.Equal(9, scope.LastT);
        // deltas that do not follow the stream: the replica must be bootstrapped again
        Assert.Null(scope.Take(new ScopedDeltas(gen, [S(12, 8)], 12), _ => false));
    }

    [Fact]
    public void A_range_is_answered_from_the_kept_deltas_when_they_cover_it()
    {
        var scope = Started(2, out var gen);
        scope.Take(new ScopedDeltas(gen, [S(4, 2), S(7, 4)], 9), _ => false);

        Assert.Equal([4L, 7L, 9L], scope.Range(3, 9)!.Select(d => d.T));
        Assert.Equal([7L], scope.Range(5, 6)!.Select(d => d.T)); // 5..6 is skipped: the delta that covers it
        Assert.Equal([9L], scope.Range(8, 100)!.Select(d => d.T));
        Assert.Empty(scope.Range(10, 12)!); // nothing after 9 yet
        Assert.Null(scope.Range(1, 4)); // before the stream started
    }

    [Fact]
    public void Beyond_what_it_keeps_a_range_is_not_answered()
    {
        var scope = Started(0, out var gen);
        for (var t = 1; t <= SessionScope.Kept + 10; t++) scope.Take(new ScopedDeltas(gen, [S(t, t - 1)], t), _ => false);

        Assert.Null(scope.Range(3, 5));
        Assert.Equal([SessionScope.Kept + 10L], scope.Range(SessionScope.Kept + 10, SessionScope.Kept + 10)!.Select(d => d.T));
    }
}
