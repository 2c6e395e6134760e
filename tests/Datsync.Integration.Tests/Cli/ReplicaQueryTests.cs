using Datsync.Core;
using Datsync.Integration.Tests.Fixtures;

namespace Datsync.Integration.Tests.Cli;

/// <summary><c>datsync replica --server HOST:PORT --query 'QUERY' [--input EDN ...] [--explain]</c>: the replica syncs to
/// the master's t, prints the query's result as EDN and exits 0.</summary>
public sealed class ReplicaQueryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datsync-replica-query-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string Client => $"--config \"{RepositoryFiles.Hocon("client.conf")}\"";

    [Fact]
    public async Task A_replica_prints_the_result_of_a_query_on_the_master_s_latest_value_and_exits()
    {
        using var server = await ServeProcess.Start($"--db \"{_dir}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0");
        foreach (var edn in new[]
                 {
                     "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one} " +
                     "{:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]",
                     """[{:person/name "Anna" :person/age 30} {:person/name "Boris" :person/age 41}]""",
                     """[{:person/name "Vera" :person/age 52}]""",
                 })
        {
            var t = await DatsyncProcess.Run($"transact --server {server.HostPort} -", edn);
            Assert.True(t.ExitCode == 0, t.Stderr);
        }
        const string query = "[:find ?n ?a :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]";

        var r = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --query \"{query}\" --input 40");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // the result is all there is on standard output; the last transaction (Vera) is in it
        Assert.Equal(EdnReader.Read("""#{["Boris" 41] ["Vera" 52]}"""), EdnReader.ReadAll(r.Stdout).Single());

        var explained = await DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --explain --query \"[:find (count ?e) . :where [?e :person/name]]\"");
        Assert.True(explained.ExitCode == 0, explained.Stderr);
        var lines = explained.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length); // the header, the clause, the result
        Assert.Matches(@"^1\s+\[\?e :person/name\]\s+AEVT scan\s+3\s+1\s+3\s+1$", lines[1]);
        Assert.Equal("3", lines[2]);
    }

    [Fact]
    public async Task A_watched_query_prints_its_result_with_its_t_each_time_a_transaction_changes_it()
    {
        using var server = await ServeProcess.Start($"--db \"{_dir}\" --config \"{RepositoryFiles.Hocon("server.conf")}\" --port 0");
        async Task<long> Transact(string edn)
        {
            var r = await DatsyncProcess.Run($"transact --server {server.HostPort} -", edn);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return (long)((IReadOnlyDictionary<object, object?>)EdnReader.Read(r.Stdout)!)[Keyword.Intern("t")]!;
        }
        await Transact("[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity} " +
                       "{:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]");
        var t1 = await Transact("""[{:person/name "Anna" :person/age 30} {:person/name "Boris" :person/age 41}]""");
        const string query = "[:find ?n ?a :in $ ?min :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]";

        // the replica watches while the master changes; by hand, the result at each t
        var watching = DatsyncProcess.Run($"replica --server {server.HostPort} {Client} --watch \"{query}\" --input 40 --until-t {t1 + 3}");
        var t2 = await Transact("""[{:person/name "Vera" :person/age 52}]""");
        var t3 = await Transact("""[{:person/name "Anna" :person/age 31}]"""); // read by the query, its result unchanged
        var t4 = await Transact("""[{:person/name "Boris" :person/age 39}]""");
        Assert.Equal(t1 + 3, t4);
        var expected = new Dictionary<long, object?>
        {
            [t1] = EdnReader.Read("""#{["Boris" 41]}"""),
            [t2] = EdnReader.Read("""#{["Boris" 41] ["Vera" 52]}"""),
            [t4] = EdnReader.Read("""#{["Vera" 52]}"""),
        };
        var w = await watching;
        Assert.True(w.ExitCode == 0, w.Stderr);
        var lines = w.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        long previous = -1;
        foreach (var line in lines)
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^t=(\d+) (.*)$");
            Assert.True(m.Success, line);
            var t = long.Parse(m.Groups[1].Value);
            Assert.True(t > previous, $"t={t} after t={previous}");
            previous = t;
            Assert.True(expected.ContainsKey(t), $"a result at t={t}, where the result did not change: {line}");
            Assert.Equal(expected[t], EdnReader.Read(m.Groups[2].Value));
        }
        Assert.Equal(t4, previous); // it ends on the result that holds --until-t
    }

    [Fact]
    public async Task A_malformed_query_is_one_line_before_the_replica_connects()
    {
        // nothing listens there: a replica that tried would fail with exit 2, the server unreachable
        var r = await DatsyncProcess.Run($"replica --server 127.0.0.1:{DatsyncProcess.ClosedPort()} {Client} --query \"[:find ?x :where [?e :person/name ?n]]\"");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("datsync replica: ", line);
        Assert.Contains("?x", line);
        Assert.Empty(r.Stdout.Trim());
    }

    [Fact]
    public async Task Explain_without_a_query_is_an_error()
    {
        var r = await DatsyncProcess.Run($"replica --server 127.0.0.1:{DatsyncProcess.ClosedPort()} --explain");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("datsync replica: --explain needs --query 'QUERY'", Assert.Single(r.StderrLines));
    }
}
