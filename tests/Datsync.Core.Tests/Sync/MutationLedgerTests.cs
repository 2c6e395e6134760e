using CsCheck;
using Datsync.Core;

namespace Datsync.Core.Tests.Sync;

public class MutationLedgerTests
{
    [Theory]
    [InlineData("alice/3f9c2a7e#1", "alice/3f9c2a7e", 1L)]
    [InlineData("k#42", "k", 42L)]
    [InlineData("a/b/c#999999999999999999", "a/b/c", 999_999_999_999_999_999L)]
    public void A_mutation_id_is_a_key_a_hash_and_a_number(string requestId, string key, long n)
    {
        Assert.Equal(new MutationId(key, n), MutationId.Parse(requestId));
        Assert.Equal(requestId, MutationId.Parse(requestId)!.Value.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("3f9c2a7e0b1d4c5e")] // an ordinary request id
    [InlineData("#1")] // no key
    [InlineData("k#")] // no number
    [InlineData("k#0")]
    [InlineData("k#01")] // a leading zero
    [InlineData("k#-1")]
    [InlineData("k#+1")]
    [InlineData("k# 1")]
    [InlineData("k#1 ")]
    [InlineData("k#1a")]
    [InlineData("k#1#2")] // two hashes
    [InlineData("k#1000000000000000000")] // 19 digits
    [InlineData("k#١")] // not an ASCII digit
    public void Anything_else_is_not_a_mutation_id(string? requestId) => Assert.Null(MutationId.Parse(requestId));

    [Fact]
    public void A_key_is_at_most_512_characters()
    {
        Assert.NotNull(MutationId.Parse(new string('k', 512) + "#1"));
        Assert.Null(MutationId.Parse(new string('k', 513) + "#1"));
    }

    [Fact]
    public void A_key_never_seen_starts_at_any_number_then_goes_one_by_one()
    {
        var ledger = MutationLedger.Empty;
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("k#1"));
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("k#7"));
        ledger = ledger.Committed("k#7", 3);
        Assert.Equal(new MutationDecision.Early(8), ledger.Decide("k#9"));
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("k#8"));
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("other#5"));
        ledger = ledger.Committed("k#8", 5);
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("k#9"));
        Assert.Equal(new MutationEntry(8, 5), ledger.EntryOf("k"));
    }

    [Fact]
    public void A_later_mutation_of_a_key_never_seen_is_taken_as_its_start()
    {
        // which is why a sender sends a key's first mutation alone until it is answered
        var ledger = MutationLedger.Empty.Committed("k#2", 1);
        Assert.Equal(new MutationDecision.Duplicate(1, 2, false), ledger.Decide("k#1"));
    }

    [Fact]
    public void A_mutation_handled_already_is_a_duplicate_with_the_t_of_the_keys_latest_commit()
    {
        var ledger = MutationLedger.Empty.Committed("k#1", 2).Committed("k#2", 4);
        Assert.Equal(new MutationDecision.Duplicate(4, 2, false), ledger.Decide("k#2"));
        Assert.Equal(new MutationDecision.Duplicate(4, 2, false), ledger.Decide("k#1")); // the t of #1 is not kept
        Assert.Same(ledger, ledger.Committed("k#1", 9)); // not beyond the last: nothing changes
    }

    [Fact]
    public void A_rejected_mutation_is_handled_and_the_next_one_may_follow()
    {
        var ledger = MutationLedger.Empty.Committed("k#1", 2).Rejected("k#2");
        Assert.Equal(new MutationDecision.Duplicate(2, 2, true), ledger.Decide("k#2"));
        Assert.IsType<MutationDecision.Commit>(ledger.Decide("k#3"));
        Assert.Equal(new MutationDecision.Duplicate(0, 1, true), MutationLedger.Empty.Rejected("j#1").Decide("j#1"));
        ledger = ledger.Committed("k#3", 6);
        Assert.Equal(new MutationEntry(3, 6), ledger.EntryOf("k"));
    }

    [Fact]
    public void Ordinary_request_ids_are_not_decided_and_leave_the_ledger_as_it_is()
    {
        var ledger = MutationLedger.Empty.Committed("k#1", 2);
        Assert.Null(ledger.Decide("r1"));
        Assert.Same(ledger, ledger.Committed("r1", 3));
        Assert.Same(ledger, ledger.Rejected("k#01"));
        Assert.Equal(1, ledger.Count);
    }

    [Fact]
    public void A_ledger_made_from_its_entries_decides_the_same()
    {
        var ledger = MutationLedger.Empty.Committed("b#3", 2).Committed("a#1", 3).Rejected("a#2").Committed("c#1", 4);
        var copy = MutationLedger.From(ledger.Entries);
        Assert.Equal(ledger.Entries, copy.Entries);
        Assert.Equal(new[] { "a", "b", "c" }, copy.Entries.Select(e => e.Key));
        foreach (var id in new[] { "a#1", "a#2", "a#3", "a#4", "b#3", "b#4", "b#5", "c#1", "c#2", "d#9" })
            Assert.Equal(ledger.Decide(id), copy.Decide(id));
    }

    /// <summary>Senders of several keys send mutations first..last of their key; the network loses, repeats and reorders
    /// sends and answers, and a sender sends again everything not answered (of a key whose first mutation is not answered
    /// yet, that one only: the master takes the first number it sees of a key as the key's start). The master runs what the ledger says to
    /// commit and answers the rest (a busy answer for an early one, which the sender sends again later).</summary>
    [Fact]
    public void Any_interleaving_of_sends_and_resends_commits_each_mutation_once_and_in_order_per_key()
    {
        Gen.Select(Gen.Int[1, 4], Gen.Int[1, 25], Gen.Int[1, 3], Gen.Int).Sample((keys, count, firstMax, seed) =>
        {
            var random = new Random(seed);
            var first = Enumerable.Range(0, keys).Select(_ => (long)random.Next(1, firstMax + 1)).ToArray();
            bool RejectedForGood(int k, long n) => (k * 31 + n * 7) % 5 == 0; // the same each time it runs
            var ledger = MutationLedger.Empty;
            var t = 0L;
            var commits = Enumerable.Range(0, keys).Select(_ => new List<long>()).ToArray();
            var rejections = Enumerable.Range(0, keys).Select(_ => new List<long>()).ToArray();
            var answered = Enumerable.Range(0, keys).Select(_ => new HashSet<long>()).ToArray();
            var network = new List<(int Key, long N)>();

            void Deliver((int Key, long N) send, bool loseAnswer)
            {
                var requestId = $"client/key{send.Key}#{send.N}";
                var answer = true;
                switch (ledger.Decide(requestId))
                {
                    case MutationDecision.Commit when RejectedForGood(send.Key, send.N):
                        ledger = ledger.Rejected(requestId);
                        rejections[send.Key].Add(send.N);
                        break;
                    case MutationDecision.Commit:
                        ledger = ledger.Committed(requestId, ++t);
                        commits[send.Key].Add(send.N);
                        break;
                    case MutationDecision.Duplicate d:
                        Assert.True(d.Last >= send.N);
                        break;
                    case MutationDecision.Early e:
                        Assert.True(e.Expected < send.N);
                        answer = false; // busy: sent again later
                        break;
                    default:
                        throw new Xunit.Sdk.XunitException($"{requestId} is a mutation id");
                }
                if (answer && !loseAnswer) answered[send.Key].Add(send.N);
            }

            void ResendUnanswered()
            {
                for (var k = 0; k < keys; k++)
                    for (var n = first[k]; n < first[k] + count; n++)
                    {
                        if (!answered[k].Contains(n)) network.Add((k, n));
                        if (!answered[k].Contains(first[k])) break; // a key's first mutation goes alone until answered
                    }
            }

            ResendUnanswered();
            for (var step = 0; step < 40 * keys * count && network.Count > 0; step++)
            {
                var i = random.Next(network.Count);
                switch (random.Next(10))
                {
                    case 0: network.Add(network[i]); break; // repeated
                    case 1: network.RemoveAt(i); break; // lost
                    case 2: ResendUnanswered(); break;
                    default:
                        var send = network[i];
                        network.RemoveAt(i);
                        Deliver(send, loseAnswer: random.Next(4) == 0);
                        break;
                }
            }
            // the network heals: the sender sends again, in order, until everything is answered
            for (var round = 0; round <= keys * count && answered.Select((a, k) => a.Count).Sum() < keys * count; round++)
            {
                network.Clear();
                ResendUnanswered();
                foreach (var send in network) Deliver(send, loseAnswer: false);
            }

            for (var k = 0; k < keys; k++)
            {
                var all = Enumerable.Range(0, count).Select(i => first[k] + i).ToList();
                Assert.Equal(all.Where(n => !RejectedForGood(k, n)), commits[k]); // once each, in order
                Assert.Equal(all.Where(n => RejectedForGood(k, n)), rejections[k]);
                Assert.Equal(count, answered[k].Count);
            }
            Assert.Equal(commits.Sum(c => c.Count), t);
        }, iter: 300);
    }
}
