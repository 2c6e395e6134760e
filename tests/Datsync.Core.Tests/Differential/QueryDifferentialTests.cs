using System.Text.Json;
using Datsync.Core;

namespace Datsync.Core.Tests.Differential;

/// <summary>
/// Oracle query workloads (shared/oracle/gen_q.py: gen.py's transactions, a fixture transaction and Datalog queries)
/// with the results DataScript 1.8.1 gave, stored under Data/difftest-q by <c>make_corpus.py --queries</c>: the
/// transactions must replay as in <see cref="DifferentialTests"/>, then every query must fail where DataScript's
/// failed and otherwise give DataScript's result, compared as difftest.py compares (<see cref="QueryResultCanon"/>).
/// Cases where DataScript deviates from Datomic are left out when the corpus is made (make_corpus.py says which).
/// </summary>
public class QueryDifferentialTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Data", "difftest-q");
    private static readonly Keyword TxsKey = Keyword.Intern("txs"), QueriesKey = Keyword.Intern("queries"),
        QueryKey = Keyword.Intern("query"), InputsKey = Keyword.Intern("inputs");

    public static TheoryData<string> Seeds() => DifferentialTests.SeedsIn(Dir);

    [Fact]
    public void The_corpus_is_present()
    {
        Assert.True(Seeds().Count >= 40, $"expected at least 40 query workloads in {Dir}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Queries_agree_with_DataScript(string seed)
    {
        var w = (IReadOnlyDictionary<object, object?>)EdnReader.Read(File.ReadAllText(Path.Combine(Dir, seed + ".edn")))!;
        using var ds = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, seed + ".ds.json")));
        var db = DifferentialTests.Replay(seed, (IReadOnlyList<object?>)w[TxsKey]!, ds.RootElement);

        var queries = (IReadOnlyList<object?>)w[QueriesKey]!;
        var expected = ds.RootElement.GetProperty("queries").EnumerateArray().ToList();
        Assert.Equal(expected.Count, queries.Count);
        Assert.NotEmpty(queries);
        var bad = new List<string>();
        for (var i = 0; i < queries.Count; i++)
        {
            var spec = (IReadOnlyDictionary<object, object?>)queries[i]!;
            var q = spec[QueryKey]!;
            var inputs = ((IReadOnlyList<object?>?)spec.GetValueOrDefault(InputsKey) ?? []).ToArray();
            var dsr = expected[i];
            var head = $"query {i + 1} ({dsr.GetProperty("what").GetString()}) {EdnPrinter.Print(q)}";
            object? ours;
            try { ours = db.Q(q, inputs); }
            catch (QueryException e)
            {
                if (dsr.GetProperty("ok").GetBoolean()) bad.Add($"{head}: fails here ({e.Message}) but DataScript returns {dsr.GetProperty("result")}");
                continue;
            }
            if (!dsr.GetProperty("ok").GetBoolean())
                bad.Add($"{head}: DataScript rejects it ({dsr.GetProperty("error").GetString()}) but here it returns {EdnPrinter.Print(ours)}");
            else if (!QueryResultCanon.Agree(dsr.GetProperty("shape"), ours, dsr))
                bad.Add($"{head}: here {EdnPrinter.Print(ours)}, DataScript {dsr.GetProperty("result")}");
        }
        Assert.True(bad.Count == 0, $"{seed}: {bad.Count} of {queries.Count} queries disagree with DataScript\n" + string.Join("\n", bad));
    }
}
