using Datsync.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Datsync.Actors.Hosting.Tests.Hosts;
using static Datsync.Actors.Hosting.Tests.OwnedDocs;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>A hosted master started with scopes follows <c>Datsync:Master:Scopes</c> when the configuration reloads:
/// a role given bootstraps the client's replica again with what it may now see; rules that do not parse leave the old
/// scopes.</summary>
public sealed class ScopeReloadHostingTests
{
    private static long? Lookup(Db db, string attr, object value) => db.EntId(new object?[] { Keyword.Intern(attr), value });

    private static string? Title(Db db, string key) =>
        Lookup(db, "doc/key", key) is { } e ? db.Entity(e)?.Get<string>(":doc/title") : null;

    /// <summary>Waits, on a live query of the connection (its current result, then each change), until bob's document
    /// b1 has <paramref name="title"/> there.</summary>
    private static async Task UntilTitle(IDatsyncConnection replica, string title, string what)
    {
        await using var b1 = replica.Subscribe("[:find ?t . :in $ ?k :where [?e :doc/key ?k] [?e :doc/title ?t]]", "b1");
        using var cts = new CancellationTokenSource(TestTimeout);
        try
        {
            await foreach (var u in b1.WithCancellation(cts.Token))
                if (Equals(u.Result, title)) return;
        }
        catch (OperationCanceledException) { }
        throw new Xunit.Sdk.XunitException($"the replica never came to {what} (a1: {Title(replica.Db, "a1") ?? "-"}, b1: {Title(replica.Db, "b1") ?? "-"})");
    }

    private static Dictionary<string, string?> Settings(string name) => new()
    {
        ["Datsync:Master:Name"] = name,
        ["Datsync:Master:Storage:Kind"] = "memory",
        ["Datsync:Master:Scopes:Rules"] = Rules,
        ["Datsync:Replica:ClientId"] = "alice",
        ["Datsync:Replica:ServerSystemName"] = name,
    };

    private static async Task<(IDatsyncConnection Alice, DatsyncMaster Master)> Start(Microsoft.Extensions.Hosting.IHost host)
    {
        await host.StartAsync().WaitAsync(TestTimeout);
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        await master.TransactAsync(SchemaEdn).WaitAsync(TestTimeout);
        var world = await master.TransactAsync(WorldEdn).WaitAsync(TestTimeout);
        var alice = host.Services.GetRequiredService<IDatsyncConnection>();
        await alice.SyncAsync(world.T).WaitAsync(TestTimeout);
        return (alice, master);
    }

    [Fact]
    public async Task A_role_given_in_the_reloaded_configuration_bootstraps_the_hosted_replica_again_with_every_document()
    {
        var name = UniqueName("scoped");
        var source = new ReloadableSource(Settings(name));
        var logs = new CapturingLoggerProvider();
        using var host = Build(new Dictionary<string, string?>(), logs, source: source);
        var (alice, master) = await Start(host);
        await using var bob = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "bob", ServerSystemName = name }).WaitAsync(TestTimeout);
        await bob.SyncAsync(master.Db.BasisT).WaitAsync(TestTimeout);
        Assert.Equal("Alice's plan", Title(alice.Db, "a1"));
        Assert.Null(Title(alice.Db, "b1"));

        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Scopes:Roles:alice:0"] = "admin" });
        var line = await logs.WaitFor("Datsync: replaced the scopes").WaitAsync(TestTimeout);
        Assert.Contains("Datsync: replaced the scopes; bootstrapped again (their view changed): alice", line);
        await UntilTitle(alice, "Bob's notes", "hold bob's document");
        Assert.Equal("Alice's plan", Title(alice.Db, "a1"));
        Assert.Null(Title(bob.Db, "a1")); // bob's view is as it was
        Assert.Equal("Bob's notes", Title(bob.Db, "b1"));

        // a change elsewhere in the configuration leaves the scopes alone
        var before = logs.Messages.Count(m => m.Message.Contains("scopes"));
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Unrelated:Setting"] = "1" });
        var t = await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, v2"]]""").WaitAsync(TestTimeout);
        await alice.SyncAsync(t.T).WaitAsync(TestTimeout);
        Assert.Equal("Bob's notes, v2", Title(alice.Db, "b1"));
        await host.StopAsync().WaitAsync(TestTimeout);
        Assert.Equal(before, logs.Messages.Count(m => m.Message.Contains("scopes")));
    }

    [Fact]
    public async Task Rules_that_do_not_parse_in_the_reloaded_configuration_leave_the_old_scopes()
    {
        var name = UniqueName("scoped-bad");
        var source = new ReloadableSource(Settings(name));
        var logs = new CapturingLoggerProvider();
        using var host = Build(new Dictionary<string, string?>(), logs, source: source);
        var (alice, master) = await Start(host);

        source.Replace(new Dictionary<string, string?>(source.Current)
        {
            ["Datsync:Master:Scopes:Rules"] = "[[(seen ?e) [?e :doc/key]]]",
            ["Datsync:Master:Scopes:Roles:alice:0"] = "admin",
        });
        var kept = await logs.WaitFor("Datsync: kept the old scopes").WaitAsync(TestTimeout);
        Assert.Contains("visible", kept);

        // alice still sees only her own: a change to bob's document does not reach her, one to hers does
        await master.TransactAsync("""[[:db/add [:doc/key "b1"] :doc/title "Bob's notes, v2"]]""").WaitAsync(TestTimeout);
        var t = await master.TransactAsync("""[[:db/add [:doc/key "a1"] :doc/title "Alice's plan, v2"]]""").WaitAsync(TestTimeout);
        await alice.SyncAsync(t.T).WaitAsync(TestTimeout);
        Assert.Equal("Alice's plan, v2", Title(alice.Db, "a1"));
        Assert.Null(Title(alice.Db, "b1"));

        // and good rules afterwards are taken
        source.Replace(new Dictionary<string, string?>(source.Current) { ["Datsync:Master:Scopes:Rules"] = Rules });
        var line = await logs.WaitFor("Datsync: replaced the scopes").WaitAsync(TestTimeout);
        Assert.Contains("bootstrapped again (their view changed): alice", line);
        await UntilTitle(alice, "Bob's notes, v2", "hold bob's document");
        await host.StopAsync().WaitAsync(TestTimeout);
    }
}
