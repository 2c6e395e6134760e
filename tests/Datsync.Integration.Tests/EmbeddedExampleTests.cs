using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Storage;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests;

/// <summary>The README's "Embedded use" example, kept working: the code between the markers below is the README's
/// block (its <c>using</c> lines are this file's, and its <c>dataDir</c> is a temporary directory here).</summary>
public class EmbeddedExampleTests
{
    private const string Begin = "// README: Embedded use (begin)", End = "// README: Embedded use (end)";

    [Fact]
    public async Task The_embedded_example_does_what_it_says()
    {
        using var dir = new SqliteFile();
        var dataDir = dir.Directory;
        // README: Embedded use (begin)
        await using var node = MasterRuntime.StartSystem("app", new SqliteStorage(dataDir)); // or new InMemoryStorage()
        DatsyncReplica[] replicas = [node.ConnectReplica("replica-a"), node.ConnectReplica("replica-b")];
        await Task.WhenAll(replicas.Select(r => r.Ready));                // bootstrapped from the master's value

        // through the master: a Transact to its transactor (a replica's Transact can install schema as well)
        var schema = (IReadOnlyList<object?>)EdnReader.Read("""
            [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one
              :db/unique :db.unique/identity}
             {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
            """)!;
        var reply = (TxAccepted)await node.Master.Transactor.Ask(new Transact("schema-1", schema), TimeSpan.FromSeconds(10));

        // through a replica: it runs the transaction locally at once (new entities get local ids), sends it to the
        // master, and completes when the master committed it and this replica applied it
        await replicas[0].SyncAsync(reply.T);                                // the replica knows the schema now
        var added = await replicas[0].Submit("""[{:db/id "ivan" :person/email "ivan@example.org" :person/name "Ivan"}]""");
        long ivan = added.Tempids["ivan"];                                // the master's id
        long? sameIvan = replicas[0].RemoteId(added.LocalTempids["ivan"]); // the id it had while pending, mapped

        // read any replica: wait until it applied a t (like Datomic's sync), then read its immutable value
        using var listening = replicas[1].Listen(report => Console.WriteLine($"t={report.T}: {report.TxData.Count} datoms"));
        await replicas[1].SyncAsync(added.T);
        Db db = replicas[1].Db;
        var name = db.Entity(ivan)![":person/name"];                        // "Ivan"
        var byEmail = db.Datoms(IndexType.Avet, Keyword.Intern(":person/email"), "ivan@example.org").Single().E; // ivan
        ConnectionStatus status = replicas[1].Status;                        // BasisT, MasterT, Lag, PendingLocal, Connection
        // README: Embedded use (end)

        Assert.Equal(ivan, sameIvan);
        Assert.Equal("Ivan", name);
        Assert.Equal(ivan, byEmail);
        Assert.Equal(added.T, status.BasisT);
        Assert.Equal(0, status.PendingLocal);
        Assert.Equal(ConnectionState.Connected, status.Connection);
        Assert.Equal(Listing(db), Listing(replicas[0].Db));
        Assert.Equal(Listing(db), Listing((await node.Master.Transactor.Ask<CurrentDb>(GetDb.Instance, TimeSpan.FromSeconds(10))).Db));
    }

    private static List<string> Listing(Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => !EntityIds.IsTx(d.E)).Select(d => $"{d.E} {db.Ident(d.A)} {d.V}").ToList();

    [Fact]
    public void The_readme_shows_exactly_the_code_this_test_runs()
    {
        var readme = File.ReadAllLines(RepositoryFiles.File("README.md"));
        var heading = Array.IndexOf(readme, "## Embedded use");
        Assert.True(heading >= 0, "README.md has no '## Embedded use' section");
        var open = Array.FindIndex(readme, heading, l => l == "```csharp");
        var close = Array.FindIndex(readme, open + 1, l => l == "```");
        var shown = readme[(open + 1)..close]
            .Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^using [\w.]+;$") && l != "var dataDir = \"./data\";")
            .SkipWhile(string.IsNullOrWhiteSpace)
            .ToList();

        var source = File.ReadAllLines(RepositoryFiles.File("tests", "Datsync.Integration.Tests", "EmbeddedExampleTests.cs"));
        var begin = Array.FindIndex(source, l => l.Trim() == Begin);
        var end = Array.FindIndex(source, l => l.Trim() == End);
        var indent = source[begin].Length - source[begin].TrimStart().Length;
        var run = source[(begin + 1)..end].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()).ToList();

        Assert.Equal(run, shown);
    }
}
