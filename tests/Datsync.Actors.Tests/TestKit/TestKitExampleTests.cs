using Datsync.Actors.TestKit;
using Xunit.Abstractions;

namespace Datsync.Actors.Tests.TestKit;

/// <summary>The README's "Testing with Datsync.Actors.TestKit" example, kept working: the code between the markers
/// below is the README's block (its <c>using</c> lines are this file's).</summary>
// README: TestKit (begin)
public class TestKitExampleTests(ITestOutputHelper output) : DatsyncTestKit(output: output)
{
    [Fact]
    public async Task A_held_replica_sees_a_write_only_once_released_and_both_replicas_end_equal_to_the_master()
    {
        var master = await StartMasterAsync();
        var writer = await ConnectReplicaAsync(master, "writer", new Faults(Seed: 7, Drop: 0.1, Duplicate: 0.1, Delay: 0.2, Reorder: 0.1));
        var reader = await ConnectReplicaAsync(master, "reader");
        await writer.TransactAsync("""[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]""");

        Link(reader).Hold();                                        // deltas to the reader are kept, in order
        var ivan = await writer.TransactAsync("""[{:db/id "ivan" :person/name "Ivan"}]""");
        await Link(reader).AwaitHeldAsync(ivan.T);                  // the reader's link holds Ivan's transaction
        Assert.Null(reader.Db.Entity(ivan.Tempid("ivan")));         // and the reader does not see him

        Link(reader).Release();                                     // delivered, in order
        await AwaitConvergedAsync(master, writer, reader);
        Assert.Equal("Ivan", reader.Db.Entity(ivan.Tempid("ivan"))!.Get<string>(":person/name"));
        AssertReplicaEqualsMaster(master, writer);
        AssertReplicaEqualsMaster(master, reader);
    }
}
// README: TestKit (end)
