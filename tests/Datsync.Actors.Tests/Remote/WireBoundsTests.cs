using Akka.Configuration;
using Datsync.Actors.Remote;

namespace Datsync.Actors.Tests.Remote;

public class WireBoundsTests
{
    private static readonly WireBounds Small = new(MaxParts: 8, MaxMessageBytes: 1000, MaxBootstrapChunks: 10, MaxBootstrapBytes: 5000);

    [Fact]
    public void A_part_announcing_more_parts_than_the_bound_is_refused_without_allocating_by_its_count()
    {
        var a = new PartAssembler<long>(bounds: Small);
        Assert.Null(a.Add(1, 0, int.MaxValue, [1]));
        Assert.Null(a.Add(1, 0, 9, [1]));
        Assert.Null(a.Add(1, -1, 4, [1]));
        Assert.Null(a.Add(1, 4, 4, [1]));
        Assert.Equal(4, a.Refused);
        Assert.Equal(0, a.HeldKeys);
        // within the bound, a part takes its own bytes only
        Assert.Null(a.Add(2, 7, 8, [1, 2, 3]));
        Assert.Equal(3, a.HeldBytes);
        Assert.Equal(1, a.HeldKeys);
    }

    [Fact]
    public void A_message_past_the_byte_bound_is_dropped_and_all_keys_together_stay_under_it()
    {
        var a = new PartAssembler<int>(keep: 100, bounds: Small);
        Assert.Null(a.Add(1, 0, 3, new byte[600]));
        Assert.Null(a.Add(1, 1, 3, new byte[600])); // 1200 > 1000: the key is dropped
        Assert.Equal(0, a.HeldKeys);
        Assert.Equal(1, a.Refused);
        for (var key = 0; key < 50; key++) a.Add(key, 0, 2, new byte[300]);
        Assert.True(a.HeldBytes <= 1000, $"{a.HeldBytes} bytes held");
        Assert.Equal(3, a.HeldKeys); // the newest ones; older keys made room
        var whole = a.Add(49, 1, 2, [7]);
        Assert.NotNull(whole);
        Assert.Equal(301, whole!.Length);
        Assert.Equal(7, whole[300]);
    }

    [Fact]
    public void Parts_come_back_whole_in_any_order_and_repeats_do_not_count_twice()
    {
        var a = new PartAssembler<string>(bounds: Small);
        Assert.Null(a.Add("k", 2, 3, [3]));
        Assert.Null(a.Add("k", 2, 3, [3]));
        Assert.Null(a.Add("k", 0, 3, [1]));
        Assert.Equal(2, a.HeldBytes);
        Assert.Equal([1, 2, 3], a.Add("k", 1, 3, [2]));
        Assert.Equal(0, a.HeldBytes);
        // a part of the same key with another count starts the key again
        Assert.Null(a.Add("k", 0, 2, [1]));
        Assert.Null(a.Add("k", 0, 3, [1]));
        Assert.Equal(1, a.HeldBytes);
    }

    [Fact]
    public void Bootstrap_counts_and_totals_are_checked_before_they_size_anything()
    {
        Small.CheckChunkCount(10);
        Assert.Throws<InvalidDataException>(() => Small.CheckChunkCount(11));
        Assert.Throws<InvalidDataException>(() => Small.CheckChunkCount(-1));
        Assert.Throws<InvalidDataException>(() => Small.CheckBootstrapBytes(5001));
        Assert.Equal(4000, Small.CheckedTotal([new byte[2000], new byte[2000]]));
        Assert.Throws<InvalidDataException>(() => Small.CheckedTotal([new byte[3000], new byte[3000]]));
    }

    [Fact]
    public void The_bounds_are_read_from_datsync_wire()
    {
        var d = WireBounds.From(DatsyncConfig.Default);
        Assert.Equal(new WireBounds(1024, 64L * 1024 * 1024, 65_536, Array.MaxLength), d);
        var c = WireBounds.From(ConfigurationFactory.ParseString("datsync.wire { max-parts = 5, max-message-bytes = 1 MiB, max-bootstrap-bytes = 100 GiB }")
            .WithFallback(DatsyncConfig.Default));
        Assert.Equal(5, c.MaxParts);
        Assert.Equal(1024 * 1024, c.MaxMessageBytes);
        Assert.Equal(Array.MaxLength, c.MaxBootstrapBytes); // one array at most
        Assert.Throws<ConfigurationException>(() => WireBounds.From(ConfigurationFactory.ParseString("datsync.wire.max-parts = 0")));
    }
}
