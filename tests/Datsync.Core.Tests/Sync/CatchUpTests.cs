using Datsync.Core;

namespace Datsync.Core.Tests.Sync;

public class CatchUpTests
{
    [Fact]
    public void The_range_before_held_deltas_is_asked_a_bounded_part_at_a_time()
    {
        Assert.Equal((5L, 9L), CatchUp.Wanted((5, 9), basisT: 4, headT: 20, stalled: false, atOnce: 256));
        Assert.Equal((5L, 8L), CatchUp.Wanted((5, 900), basisT: 4, headT: 1000, stalled: true, atOnce: 4));
    }

    [Fact]
    public void A_stalled_replica_behind_the_master_asks_for_the_deltas_after_its_basis()
    {
        Assert.Equal((5L, 7L), CatchUp.Wanted(null, basisT: 4, headT: 7, stalled: true, atOnce: 256));
        Assert.Equal((5L, 6L), CatchUp.Wanted(null, basisT: 4, headT: 70, stalled: true, atOnce: 2));
    }

    [Fact]
    public void Nothing_is_asked_while_deltas_flow_or_the_replica_is_at_the_head()
    {
        Assert.Null(CatchUp.Wanted(null, basisT: 4, headT: 7, stalled: false, atOnce: 256));
        Assert.Null(CatchUp.Wanted(null, basisT: 7, headT: 7, stalled: true, atOnce: 256));
    }

    [Fact]
    public void An_unanswered_handshake_waits_twice_as_long_up_to_the_connection_timeout()
    {
        var retry = TimeSpan.FromMilliseconds(100);
        var timeout = TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.FromMilliseconds(200), CatchUp.NextConnectDelay(retry, retry, timeout));
        Assert.Equal(timeout, CatchUp.NextConnectDelay(TimeSpan.FromMilliseconds(800), retry, timeout));
        // a timeout below the retry interval does not shorten the wait below it
        Assert.Equal(retry, CatchUp.NextConnectDelay(retry, retry, TimeSpan.FromMilliseconds(10)));
    }
}
