using Microsoft.Data.Sqlite;

namespace Datsync.Integration.Tests.Cli;

/// <summary>The local verbs (<c>transact/dump/log --db</c>) and <c>serve</c> on storage they cannot use: a file that
/// is not SQLite, a truncated one, a journal they cannot read, a file another master holds. One line on standard
/// error naming the cause, exit code 1 or 2, no stack trace.</summary>
public sealed class LocalVerbErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-local-").FullName;

    private string File(string name) => Path.Combine(_dir, name);

    private static void OneErrorLine(DatsyncProcess.Result r, string verb, string contains, params int[] exitCodes)
    {
        Assert.True(exitCodes.Contains(r.ExitCode), $"exit code {r.ExitCode}, stderr: {r.Stderr}");
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"datsync {verb}: ", line);
        Assert.Contains(contains, line);
    }

    private static Task<DatsyncProcess.Result> Verb(string verb, string db) => verb switch
    {
        "transact" => DatsyncProcess.Run($"transact --db \"{db}\" -", "[]"),
        _ => DatsyncProcess.Run($"{verb} --db \"{db}\""),
    };

    private async Task<string> DatabaseWithTransactions()
    {
        var db = File("master.db");
        foreach (var edn in new[]
                 {
                     "[{:db/ident :k/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]",
                     """[{:db/id "a" :k/name "a"}]""", """[{:db/id "b" :k/name "b"}]""",
                 })
        {
            var r = await DatsyncProcess.Run($"transact --db \"{db}\" -", edn);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        return db;
    }

    [Theory]
    [InlineData("transact")]
    [InlineData("dump")]
    [InlineData("log")]
    public async Task A_file_that_is_not_SQLite_gives_one_line(string verb)
    {
        var text = File("notes.txt");
        await System.IO.File.WriteAllTextAsync(text, "these are my notes, not a database\n" + new string('x', 4000));
        OneErrorLine(await Verb(verb, text), verb, "is not a SQLite database", 1);
        Assert.StartsWith("these are my notes", await System.IO.File.ReadAllTextAsync(text)); // left as it was
    }

    [Theory]
    [InlineData("transact")]
    [InlineData("dump")]
    [InlineData("log")]
    public async Task A_truncated_SQLite_file_gives_one_line(string verb)
    {
        var db = await DatabaseWithTransactions();
        await using (var f = new FileStream(db, FileMode.Open)) f.SetLength(f.Length / 2);
        OneErrorLine(await Verb(verb, db), verb, db, 1);
    }

    [Theory]
    [InlineData("dump")]
    [InlineData("log")]
    [InlineData("serve")]
    public async Task A_journal_that_cannot_be_read_gives_one_line_naming_it(string verb)
    {
        var db = await DatabaseWithTransactions();
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var command = c.CreateCommand();
            command.CommandText = "UPDATE journal SET message = x'0a0bff00ff'";
            Assert.True(command.ExecuteNonQuery() > 0);
        }
        var r = verb == "serve" ? await DatsyncProcess.Run($"serve --db \"{db}\" --port 0") : await Verb(verb, db);
        OneErrorLine(r, verb, "the journal of datsync-master cannot be read", 1);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("transact")]
    [InlineData("dump")]
    public async Task A_file_a_server_is_serving_is_refused(string verb)
    {
        var db = await DatabaseWithTransactions();
        using var server = await ServeProcess.Start($"--db \"{db}\" --port 0");
        OneErrorLine(await Verb(verb, db), verb, $"another master holds the SQLite database {db}", 2);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
