using Akka.Configuration;
using Datsync.Actors.Master;

namespace Datsync.Actors.Tests.Master;

public class MasterSettingsTests
{
    [Fact]
    public void Defaults_come_from_the_embedded_reference_config()
    {
        Assert.Equal(new MasterSettings("datsync-master", 1000, 1024, 1000), MasterSettings.Default);
    }

    [Fact]
    public void Configuration_overrides_only_what_it_names()
    {
        var s = MasterSettings.From(ConfigurationFactory.ParseString("datsync.master.snapshot-every = 7\ndatsync.listener.buffer-size = 3"));
        Assert.Equal(new MasterSettings("datsync-master", 7, 3, 1000), s);
    }
}
