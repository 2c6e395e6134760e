using Datsync.Actors;
using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests;

/// <summary>Tests that start masters under the default name (which an in-process replica looks up) run one at a time:
/// the README examples and the demo with replicas in child processes.</summary>
[CollectionDefinition(Name)]
public sealed class DefaultMasterName
{
    public const string Name = "masters under the default name";
}

/// <summary>The README's "Embedded use" example, kept working: the code between the markers below is the README's
/// block (its <c>dataDir</c> is a temporary directory here).</summary>
[Collection(DefaultMasterName.Name)]
public class EmbeddedExampleTests
{
    [Fact]
    public async Task The_embedded_example_does_what_it_says()
    {
        using var dir = new SqliteFile();
        var dataDir = dir.Directory;
        // README: Embedded use (begin)
        // a master on a SQLite file in dataDir (Storage.Kind "memory" keeps nothing, "postgres" takes a connection string)
        await using var master = await DatsyncNode.StartMasterAsync(new DatsyncMasterOptions { Storage = { DataDirectory = dataDir } });
        // a replica in this process: an immutable, indexed copy of the master's value, bootstrapped when this returns
        await using var replica = await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = "replica-a" });

        // the master and each replica are an IDatsyncConnection: code written against it runs on either
        IDatsyncConnection conn = replica;

        // every change of its value from now on, in order, read on a thread of yours; ends when conn is disposed
        _ = Task.Run(async () =>
        {
            await foreach (DbChange change in conn.Reports)
                Console.WriteLine($"t={change.T}: {change.TxData.Count} datoms{(change.Pending ? " (pending here)" : "")}");
        });

        // schema and data are transactions: built from C# values, or written as EDN
        await conn.TransactAsync([
            Tx.Attribute(":person/email", "string", unique: "identity"),
            Tx.Attribute(":person/name", "string"),
            Tx.Attribute(":person/aliases", "string", many: true),
        ]);
        TxResult added = await conn.TransactAsync([
            Tx.Entity("ivan", (":person/email", "ivan@example.org"), (":person/name", "Ivan"), (":person/aliases", new[] { "Vanya" })),
        ]);
        long ivan = added.Tempid("ivan");                                          // the master's id
        TxResult renamed = await conn.TransactAsync("""[[:db/add [:person/email "ivan@example.org"] :person/name "Ivan P."]]""");

        // reads ask nobody: Db is an immutable value, and it holds every write that completed
        Db db = conn.Db;
        string? name = db.Entity(ivan)!.Get<string>(":person/name");                // "Ivan P."
        IReadOnlyList<string> aliases = db.Entity(ivan)!.GetAll<string>(":person/aliases"); // ["Vanya"]
        long byEmail = db.Datoms(IndexType.Avet, Keyword.Intern(":person/email"), "ivan@example.org").Single().E; // ivan
        Db atMaster = await master.SyncAsync(renamed.T);                           // Datomic's sync: a value that holds t

        // a rejected write throws its category and a message naming the offending form; nothing changed anywhere
        TxRejectedException? rejected = null;
        try { await conn.TransactAsync([Tx.Add("x", ":person/nope", 1)]); }
        catch (TxRejectedException e) { rejected = e; } // Category :db.error/not-an-attribute, Message names the form
        // README: Embedded use (end)

        Assert.Equal("Ivan P.", name);
        Assert.Equal(["Vanya"], aliases);
        Assert.Equal(ivan, byEmail);
        Assert.Equal(renamed.T, db.BasisT);
        Assert.Equal(Listing(db), Listing(atMaster));
        Assert.Equal(Listing(db), Listing(master.Db));
        Assert.Equal(ConnectionState.Connected, conn.Status.Connection);
        Assert.Equal(renamed.T, conn.Status.BasisT);
        Assert.Equal(TxErrors.NotAnAttribute, rejected?.Category);
        Assert.Contains(":person/nope", rejected!.Message);
        Assert.Equal(renamed.T, master.Db.BasisT); // the rejected write committed nothing
    }

    internal static List<string> Listing(Db db) =>
        db.Datoms(IndexType.Eavt).Where(d => !EntityIds.IsTx(d.E)).Select(d => $"{d.E} {db.Ident(d.A)} {d.V}").ToList();

    [Fact]
    public void The_readme_shows_exactly_the_code_this_test_runs() =>
        ReadmeBlocks.AssertShows("## Embedded use", ["tests", "Datsync.Integration.Tests", "EmbeddedExampleTests.cs"], "Embedded use", "dataDir");
}
