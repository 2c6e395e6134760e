using Datsync.Actors.Server;
using Datsync.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using static Datsync.Actors.Hosting.Tests.Hosts;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>The <c>datsync-master</c> and <c>datsync-replica</c> health checks of <c>AddHealthChecks().AddDatsync()</c>.</summary>
public sealed class HealthTests
{
    private static Task<HealthReport> Check(IHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestTimeout);

    [Fact]
    public async Task A_started_master_and_its_connected_replica_are_healthy_and_say_where_they_stand()
    {
        var name = UniqueName();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Master:Name"] = name,
            ["Datsync:Master:Storage:Kind"] = "memory",
            ["Datsync:Replica:ClientId"] = "app",
            ["Datsync:Replica:ServerSystemName"] = name,
        });
        var before = await Check(host);
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["datsync-master"].Status); // not started yet
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["datsync-replica"].Status);

        await host.StartAsync().WaitAsync(TestTimeout);
        var schema = await host.Services.GetRequiredService<IDatsyncConnection>().TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        var report = await Check(host);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        var master = report.Entries["datsync-master"];
        Assert.Equal(schema.T, master.Data["t"]);
        Assert.Equal("Connected", master.Data["state"]);
        Assert.Contains("datsync", master.Tags);
        var replica = report.Entries["datsync-replica"];
        Assert.Equal(schema.T, replica.Data["t"]);
        Assert.Equal(schema.T, replica.Data["masterT"]);
        Assert.Equal(0L, replica.Data["lag"]);
        Assert.Equal("Connected", replica.Data["state"]);

        await host.StopAsync().WaitAsync(TestTimeout);
        Assert.Equal(HealthStatus.Unhealthy, (await Check(host)).Entries["datsync-master"].Status); // stopped
    }

    [Fact]
    public async Task A_replica_the_server_refuses_for_its_token_is_unhealthy_with_the_reason()
    {
        var name = UniqueName();
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions
        {
            Name = name,
            Listen = "127.0.0.1:0",
            Storage = { Kind = "memory" },
            Clients = { ["web-1"] = TokenHash.Create("right").ToString() },
            Hocon = "akka.loglevel = OFF",
        }).WaitAsync(TestTimeout);
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "web-1",
            ["Datsync:Replica:Server"] = master.ListeningAt,
            ["Datsync:Replica:ServerSystemName"] = name,
            ["Datsync:Replica:Token"] = "wrong",
            ["Datsync:Replica:Hocon"] = "akka.loglevel = OFF",
        });
        await host.StartAsync().WaitAsync(TestTimeout); // a remote replica does not hold up the host
        await host.Services.GetRequiredService<DatsyncReplica>().WhenRefused.WaitAsync(TestTimeout);

        var report = await Check(host);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var replica = report.Entries["datsync-replica"];
        Assert.Equal(HealthStatus.Unhealthy, replica.Status);
        Assert.Contains("refused replica web-1", replica.Description, StringComparison.Ordinal);
        Assert.Equal("Refused", replica.Data["state"]);
        Assert.False(report.Entries.ContainsKey("datsync-master")); // no master in this host
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task A_replica_still_connecting_to_its_remote_master_is_degraded()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Datsync:Replica:ClientId"] = "early",
            ["Datsync:Replica:Server"] = $"127.0.0.1:{port}",
            ["Datsync:Replica:Hocon"] = "akka.loglevel = OFF",
        });
        await host.StartAsync().WaitAsync(TestTimeout);
        var replica = (await Check(host)).Entries["datsync-replica"];
        Assert.Equal(HealthStatus.Degraded, replica.Status);
        Assert.False(host.Services.GetRequiredService<DatsyncReplica>().Status.Bootstrapped);
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    private static IHost SqliteMasterHost(TempDir dir) => Build(new Dictionary<string, string?>
    {
        ["Datsync:Master:Name"] = UniqueName(),
        ["Datsync:Master:Storage:Kind"] = "sqlite",
        ["Datsync:Master:Storage:DataDirectory"] = dir.Path,
        ["Datsync:Master:Hocon"] = "akka.loglevel = OFF",
    });

    [Fact]
    public async Task A_master_whose_last_journal_write_failed_is_unhealthy_with_the_storage_error()
    {
        using var dir = new TempDir();
        using var host = SqliteMasterHost(dir);
        await host.StartAsync().WaitAsync(TestTimeout);
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        await master.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);
        Assert.Equal(HealthStatus.Healthy, (await Check(host)).Status);

        FailJournalWrites(Path.Combine(dir.Path, "datsync.db"));
        var rejected = await Assert.ThrowsAsync<TxRejectedException>(
            () => master.TransactAsync("""[{:db/id "a" :person/email "a@x"}]""").WaitAsync(TestTimeout));
        Assert.Equal(DatsyncErrors.Storage, rejected.Category);
        var check = (await Check(host)).Entries["datsync-master"];
        Assert.Equal(HealthStatus.Unhealthy, check.Status);
        Assert.Contains("the last journal write of datsync-master failed", check.Description, StringComparison.Ordinal);
        Assert.Contains("the disk is full", check.Description, StringComparison.Ordinal);
        Assert.Equal(1L, check.Data["t"]); // the durable value stays
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task A_master_whose_journal_cannot_be_read_any_more_is_unhealthy_with_the_storage_error()
    {
        using var dir = new TempDir();
        using var host = SqliteMasterHost(dir);
        await host.StartAsync().WaitAsync(TestTimeout);
        var master = host.Services.GetRequiredService<DatsyncMaster>();
        await master.TransactAsync(PeopleSchema).WaitAsync(TestTimeout);

        // a failed write restarts the transactor, which reads its journal again, and cannot
        var file = Path.Combine(dir.Path, "datsync.db");
        CorruptJournal(file);
        FailJournalWrites(file);
        var failed = master.Handle.Health.Failed; // the next recovery failure
        await Assert.ThrowsAsync<TxRejectedException>(() => master.TransactAsync("""[{:db/id "a" :person/email "a@x"}]""").WaitAsync(TestTimeout));
        await failed.WaitAsync(TestTimeout);

        var check = (await Check(host)).Entries["datsync-master"];
        Assert.Equal(HealthStatus.Unhealthy, check.Status);
        Assert.Contains("the journal of datsync-master cannot be read", check.Description, StringComparison.Ordinal);
        Assert.IsAssignableFrom<DatsyncStorageException>(check.Exception);
        await host.StopAsync().WaitAsync(TestTimeout);
    }

    [Fact]
    public void A_write_that_succeeds_clears_the_last_write_failure()
    {
        var health = new Master.MasterHealth();
        health.WriteFailed("orders", new IOException("the disk is full"));
        Assert.Equal("the last journal write of orders failed: the disk is full (IOException)", health.LastWriteFailure!.Message);
        health.Committed(Db.Empty.Transact(PeopleSchema));
        Assert.Null(health.LastWriteFailure);
    }
}
