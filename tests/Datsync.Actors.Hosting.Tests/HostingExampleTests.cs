using Datsync.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Datsync.Actors.Hosting.Tests;

/// <summary>The README's "Hosting" example, kept working: the code between the markers below is the README's block
/// (its <c>using</c> lines are this file's; its configuration, the README's <c>appsettings.json</c>, comes here as
/// command-line arguments, with a name of this test's own for the master and in-memory storage).</summary>
public sealed class HostingExampleTests
{
    [Fact]
    public async Task The_hosting_example_does_what_it_says()
    {
        var masterName = Hosts.UniqueName("example");
        string[] args =
        [
            $"--Datsync:Master:Name={masterName}", "--Datsync:Master:Storage:Kind=memory",
            "--Datsync:Replica:ClientId=web-1", $"--Datsync:Replica:ServerSystemName={masterName}",
        ];

        // README: Hosting (begin)
        var builder = Host.CreateApplicationBuilder(args);           // or WebApplication.CreateBuilder(args)
        builder.Services.AddDatsync(builder.Configuration.GetSection("Datsync"));
        builder.Services.AddHealthChecks().AddDatsync(maxLag: 100);  // "datsync-master", "datsync-replica"
        builder.Services.AddSingleton<People>();                      // the application's own service
        using var host = builder.Build();
        await host.StartAsync();                                      // the master recovered, the replica bootstrapped

        var people = host.Services.GetRequiredService<People>();
        long ivan = await people.AddAsync("ivan@example.org", "Ivan");
        string? name = people.NameOf(ivan);                           // "Ivan"
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();                                       // the replica stops, then the master
        // README: Hosting (end)

        Assert.Equal("Ivan", name);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal(["datsync-master", "datsync-replica"], health.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(DatsyncMaster.Named(masterName));
    }
}

// README: Hosting service (begin)
/// <summary>An application service: it takes the host's <see cref="IDatsyncConnection"/> (the replica, or the master
/// when the host runs no replica) and reads and writes through it.</summary>
public sealed class People(IDatsyncConnection connection)
{
    /// <summary>Adds a person (the schema too, the first time) and gives the master's id of it.</summary>
    public async Task<long> AddAsync(string email, string name)
    {
        await connection.TransactAsync([
            Tx.Attribute(":person/email", "string", unique: "identity"),
            Tx.Attribute(":person/name", "string"),
        ]);
        var tx = await connection.TransactAsync([Tx.Entity("p", (":person/email", email), (":person/name", name))]);
        return tx.Tempid("p");
    }

    /// <summary>The person's name, read from the connection's current value.</summary>
    public string? NameOf(long id) => connection.Db.Entity(id)?.Get<string>(":person/name");
}
// README: Hosting service (end)
