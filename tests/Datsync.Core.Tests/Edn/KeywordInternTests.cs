using System.Runtime.CompilerServices;

namespace Datsync.Core.Tests.Edn;

/// <summary>
/// The intern table holds keywords weakly. These tests force collections and count the table's entries, so they run
/// alone (other tests interning names in parallel would only add noise to the counts).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KeywordInternCollection
{
    public const string Name = "keyword intern table";
}

[Collection(KeywordInternCollection.Name)]
public class KeywordInternTests
{
    private static string FreshPrefix() => "kw-test-" + Guid.NewGuid().ToString("N");

    private static void CollectAll()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        GC.Collect();
    }

    [Fact]
    public void Equal_names_give_the_same_instance_whichever_way_they_are_interned()
    {
        var name = FreshPrefix() + "/attr";
        var k = Keyword.Intern(name);
        Assert.Same(k, Keyword.Intern(name));
        Assert.Same(k, Keyword.Intern(":" + name));
        Assert.Same(k, Keyword.Intern(name[..name.IndexOf('/')], "attr"));
        Assert.Same(k, Keyword.InternChars(("x" + name + "y").AsSpan(1, name.Length)));
        Assert.Same(k, EdnReader.Read(":" + name));
        Assert.Same(k, ((EdnVector)EdnReader.Read($"[:{name} 1 :{name}]")!)[2]);
        Assert.Same(k, k.Reversed.Reversed);
        Assert.NotSame(k, Keyword.Intern(name + "2"));
    }

    [Fact]
    public void Threads_racing_on_the_same_fresh_names_get_one_keyword_per_name()
    {
        const int threads = 8, names = 5_000, rounds = 3;
        for (var round = 0; round < rounds; round++)
        {
            var prefix = FreshPrefix() + "/n";
            var text = Enumerable.Range(0, names).Select(i => prefix + i).ToArray();
            var results = new Keyword[threads][];
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var mine = new Keyword[names];
                start.SignalAndWait();
                // half the threads go forwards, half backwards; odd threads use the reader's span lookup
                for (var n = 0; n < names; n++)
                {
                    var i = t % 2 == 0 ? n : names - 1 - n;
                    mine[i] = t % 4 < 2 ? Keyword.Intern(text[i]) : Keyword.InternChars(text[i].AsSpan());
                }
                results[t] = mine;
            })).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            for (var i = 0; i < names; i++)
            {
                var first = results[0][i];
                Assert.Equal(text[i], first.FullName);
                for (var t = 1; t < threads; t++) Assert.Same(first, results[t][i]);
                Assert.Same(first, Keyword.Intern(text[i]));
            }
        }
    }

    [Fact]
    public void Threads_racing_to_revive_collected_names_beside_sweeps_get_one_keyword_per_name()
    {
        const int threads = 6, names = 5_000;
        var prefix = FreshPrefix() + "/r";
        var text = Enumerable.Range(0, names).Select(i => prefix + i).ToArray();
        InternAndDrop(text);
        CollectAll();
        // the entries are still in the table with dead targets: the racing threads all take the revive path,
        // while another thread sweeps dead entries out from under them
        var results = new Keyword[threads][];
        var done = 0;
        using var start = new Barrier(threads + 1);
        var sweeper = new Thread(() =>
        {
            start.SignalAndWait();
            while (Volatile.Read(ref done) < threads) Keyword.Sweep();
        });
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var mine = new Keyword[names];
            start.SignalAndWait();
            for (var n = 0; n < names; n++)
            {
                var i = t % 2 == 0 ? n : names - 1 - n;
                mine[i] = t % 3 == 0 ? Keyword.InternChars(text[i].AsSpan()) : Keyword.Intern(text[i]);
            }
            results[t] = mine;
            Interlocked.Increment(ref done);
        })).ToArray();
        sweeper.Start();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        sweeper.Join();
        for (var i = 0; i < names; i++)
        {
            for (var t = 1; t < threads; t++) Assert.Same(results[0][i], results[t][i]);
            Assert.Same(results[0][i], Keyword.Intern(text[i]));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InternAndDrop(IEnumerable<string> names)
    {
        foreach (var n in names) Keyword.Intern(n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InternFreshAndDrop(string prefix, int count)
    {
        for (var i = 0; i < count; i++) Keyword.Intern(prefix + i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InternFreshHoldThenDrop(string prefix, int count)
    {
        var held = new Keyword[count];
        for (var i = 0; i < count; i++) held[i] = Keyword.Intern(prefix + i);
        Assert.True(Keyword.InternedCount >= count, "held keywords are all in the table");
        GC.KeepAlive(held);
    }

    [Fact]
    public void A_million_dropped_fresh_names_leave_the_table_small_after_a_collection_and_a_sweep()
    {
        CollectAll();
        Keyword.Sweep();
        var baseline = Keyword.InternedCount;

        InternFreshAndDrop(FreshPrefix() + "/x", 1_000_000);

        CollectAll();
        Keyword.Sweep();
        var after = Keyword.InternedCount;
        Assert.True(after < baseline + 1_000, $"{after} entries after the sweep, {baseline} before the million names");
    }

    [Fact]
    public void A_million_fresh_names_held_together_then_dropped_are_swept_out()
    {
        CollectAll();
        Keyword.Sweep();
        var baseline = Keyword.InternedCount;

        InternFreshHoldThenDrop(FreshPrefix() + "/h", 1_000_000);

        // (a sweep queued by the insertions may run beside this one and remove part of the entries first)
        CollectAll();
        Keyword.Sweep();
        var after = Keyword.InternedCount;
        Assert.True(after < baseline + 1_000, $"{after} entries after the sweep, {baseline} before the million names");
    }

    [Fact]
    public void A_referenced_keyword_survives_collections_and_sweeps_and_stays_the_interned_one()
    {
        var name = FreshPrefix() + "/kept";
        var kept = Keyword.Intern(name);
        InternFreshAndDrop(FreshPrefix() + "/noise", 50_000);
        for (var i = 0; i < 3; i++)
        {
            CollectAll();
            Keyword.Sweep();
            Assert.Same(kept, Keyword.Intern(name));
            Assert.Same(kept, Keyword.InternChars(name.AsSpan()));
            Assert.Same(kept, EdnReader.Read(":" + name));
        }
        // built-in idents are held by static fields, so they never leave the table
        Assert.Same(BuiltIns.Ident, Keyword.Intern(":db/ident"));
        Assert.Same(BuiltIns.Ident, EdnReader.Read(":db/ident"));
        GC.KeepAlive(kept);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Weak, int Hash) InternWeakly(string name)
    {
        var k = Keyword.Intern(name);
        return (new WeakReference(k), k.GetHashCode());
    }

    [Fact]
    public void A_dropped_keyword_is_collected_and_its_name_interns_to_one_new_keyword_with_the_same_hash()
    {
        var name = FreshPrefix() + "/gone";
        var (weak, hash) = InternWeakly(name);
        CollectAll();
        Assert.False(weak.IsAlive, "nothing references the keyword, so the table must not keep it alive");

        // the entry may still be in the table (dead) or swept: either way the name gives one new live keyword
        var again = Keyword.Intern(name);
        Assert.Same(again, Keyword.Intern(name));
        Assert.Same(again, Keyword.InternChars(name.AsSpan()));
        Assert.Equal(hash, again.GetHashCode());
        Assert.Equal(name, again.FullName);
        Keyword.Sweep();
        Assert.Same(again, Keyword.Intern(name));
    }
}
