using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cli;

/// <summary><c>datsync replica --store DIR</c> keeps the replica's state; <c>--offline --store DIR</c> serves what it
/// holds without a master (<c>--query</c>, <c>--dump</c>); a replica with a store resumes from it once the master is back.</summary>
public sealed class ReplicaStoreCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-replica-store-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Client => $"--config \"{RepositoryFiles.Hocon("client.conf")}\"";

    private string Db => Path.Combine(_dir, "master");

    private string Store => Path.Combine(_dir, "store");

    private const string Names = "[:find ?n :where [?e :person/name ?n]]";

    [Fact]
    public async Task A_stored_replica_answers_offline_with_what_it_held_and_resumes_from_it_when_the_master_is_back()
    {
        using (var server = await ServeProcess.Start($"--db \"{Db}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0"))
        {
            foreach (var edn in new[]
                     {
                         "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]",
                         """[{:person/name "Anna"} {:person/name "Boris"}]""",
                     })
            {
                var t = await DatsyncProcess.Run($"transact --server {server.HostPort} -", edn);
                Assert.True(t.ExitCode == 0, t.Stderr);
            }
            var synced = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c1 --store \"{Store}\" --query \"{Names}\"");
            Assert.True(synced.ExitCode == 0, synced.Stderr);
            Assert.Equal(EdnReader.Read("""#{["Anna"] ["Boris"]}"""), EdnReader.ReadAll(synced.Stdout).Single());
            Assert.Equal(0, await server.Terminate());
        }

        // no master: the store answers
        var offline = await DatsyncProcess.Run($"replica --offline --store \"{Store}\" --client-id c1 --query \"{Names}\"");
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        Assert.Equal(EdnReader.Read("""#{["Anna"] ["Boris"]}"""), EdnReader.ReadAll(offline.Stdout).Single());
        Assert.Contains("offline, from the store", offline.Stderr);
        var dump = await DatsyncProcess.Run($"replica --offline --store \"{Store}\" --client-id c1 --dump");
        Assert.True(dump.ExitCode == 0, dump.Stderr);
        Assert.Contains("\"Anna\"", dump.Stdout);

        // the master back, with one more transaction: the replica starts from its store and resumes from its t
        using (var server = await ServeProcess.Start($"--db \"{Db}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0"))
        {
            var t = await DatsyncProcess.Run($"transact --server {server.HostPort} -", """[{:person/name "Vera"}]""");
            Assert.True(t.ExitCode == 0, t.Stderr);
            var resumed = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c1 --store \"{Store}\" --query \"{Names}\"");
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            Assert.Contains("started from the store", resumed.Stderr);
            Assert.Contains("resumed at t=", resumed.Stderr); // no bootstrap
            Assert.Equal(EdnReader.Read("""#{["Anna"] ["Boris"] ["Vera"]}"""), EdnReader.ReadAll(resumed.Stdout).Single());
            Assert.Equal(0, await server.Terminate());
        }
    }

    [Fact]
    public async Task The_offline_flags_are_checked_before_anything_starts()
    {
        var noStore = await DatsyncProcess.Run("replica --offline --client-id c1 --dump");
        Assert.Equal(1, noStore.ExitCode);
        Assert.Contains("--offline needs --store DIR", noStore.Stderr);
        var noClient = await DatsyncProcess.Run($"replica --offline --store \"{Store}\" --dump");
        Assert.Equal(1, noClient.ExitCode);
        Assert.Contains("--store needs --client-id", noClient.Stderr);
        var empty = await DatsyncProcess.Run($"replica --offline --store \"{Store}\" --client-id c1 --dump");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("holds no value yet", empty.Stderr);
        var noServer = await DatsyncProcess.Run("replica --client-id c1 --dump");
        Assert.Equal(1, noServer.ExitCode);
        Assert.Contains("--server HOST:PORT is required", noServer.Stderr);
    }
}

/// <summary>A replica process killed (SIGKILL) with writes in its outbox: restarted offline its reads and outbox are
/// intact, and online again every queued write commits once, in order.</summary>
public sealed class OutboxKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-outbox-kill-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Client => $"--config \"{RepositoryFiles.Hocon("client.conf")}\"";

    private string Db => Path.Combine(_dir, "master");

    private string Store => Path.Combine(_dir, "store");

    private const string Items = "[:find ?k ?n :where [?e :item/key ?k] [?e :item/n ?n]]";

    [Fact]
    public async Task Writes_queued_by_a_killed_replica_survive_it_and_commit_once_in_order()
    {
        using (var server = await ServeProcess.Start($"--db \"{Db}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0"))
        {
            var schema = await DatsyncProcess.Run($"transact --server {server.HostPort} -",
                "[{:db/ident :item/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity} " +
                "{:db/ident :item/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]");
            Assert.True(schema.ExitCode == 0, schema.Stderr);
            var synced = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c1 --store \"{Store}\" --query \"{Items}\"");
            Assert.True(synced.ExitCode == 0, synced.Stderr);
            Assert.Equal(0, await server.Terminate());
        }

        // offline (nothing listens there): three writes queued, then the process killed
        using (var writer = DatsyncProcess.Start(
                   $"replica --server 127.0.0.1:{DatsyncProcess.ClosedPort()} {Client} --client-id c1 --store \"{Store}\" --transact-lines", keepInputOpen: true))
        {
            string[] writes =
            [
                """[{:db/id "a" :item/key "a" :item/n 1}]""",
                """[[:db/add [:item/key "a"] :item/n 2]]""",
                """[{:item/key "b" :item/n 3}]""",
            ];
            using var cts = new CancellationTokenSource(DatsyncProcess.Limit);
            foreach (var (w, i) in writes.Select((w, i) => (w, i)))
            {
                await writer.StandardInput.WriteLineAsync(w);
                await writer.StandardInput.FlushAsync();
                Assert.Equal($"queued line {i + 1}", await writer.StandardOutput.ReadLineAsync(cts.Token));
            }
            writer.Kill(entireProcessTree: true); // SIGKILL: no shutdown of any kind
            await writer.WaitForExitAsync(cts.Token);
        }

        var outbox = await DatsyncProcess.Run($"outbox --store \"{Store}\" --client-id c1");
        Assert.True(outbox.ExitCode == 0, outbox.Stderr);
        var listed = outbox.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, listed.Length);
        Assert.StartsWith("#1 ", listed[0]);
        Assert.StartsWith("#3 ", listed[2]);
        Assert.Contains("3 transactions pending", outbox.Stderr);
        var offline = await DatsyncProcess.Run($"replica --offline --store \"{Store}\" --client-id c1 --query \"{Items}\"");
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        Assert.Equal(EdnReader.Read("""#{["a" 2] ["b" 3]}"""), EdnReader.ReadAll(offline.Stdout).Single()); // the replica's view: its writes on top

        using (var server = await ServeProcess.Start($"--db \"{Db}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0"))
        {
            var online = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c1 --store \"{Store}\" --query \"{Items}\"");
            Assert.True(online.ExitCode == 0, online.Stderr);
            Assert.Equal(EdnReader.Read("""#{["a" 2] ["b" 3]}"""), EdnReader.ReadAll(online.Stdout).Single());
            // on the master: three transactions after the schema, once each
            var other = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c2 --query \"[:find (count ?e) . :where [?e :item/key]]\"");
            Assert.True(other.ExitCode == 0, other.Stderr);
            Assert.Equal(2L, EdnReader.ReadAll(other.Stdout).Single());
            var txs = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --client-id c3 --query \"[:find (count ?tx) . :where [?tx :db/txInstant]]\"");
            Assert.True(txs.ExitCode == 0, txs.Stderr);
            Assert.Equal(4L, EdnReader.ReadAll(txs.Stdout).Single()); // the schema's and one for each queued write, not more
            Assert.Equal(0, await server.Terminate());
        }
        var after = await DatsyncProcess.Run($"outbox --store \"{Store}\" --client-id c1");
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Equal("", after.Stdout.Trim());
        Assert.Contains("0 transactions pending", after.Stderr);
    }
}
