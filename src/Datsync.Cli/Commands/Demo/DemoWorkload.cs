using System.Collections.Concurrent;
using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Core;

namespace Datsync.Cli.Commands.Demo;

/// <summary>What became of one submitted transaction: committed at <see cref="T"/>, or rejected with a category.</summary>
internal readonly record struct DemoTxOutcome(long? T, Keyword? Category, string? Message)
{
    public static DemoTxOutcome Committed(long t) => new(t, null, null);
    public static DemoTxOutcome Rejected(Keyword category, string message) => new(null, category, message);
}

/// <summary>Counters shared by the writers of one process (updated from any thread).</summary>
internal sealed class DemoStats
{
    private long _committed, _expected, _unexpected;
    public long Committed => Interlocked.Read(ref _committed);
    public long RejectedAsExpected => Interlocked.Read(ref _expected);
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>The first unexpected outcomes (at most 20), for the report.</summary>
    public ConcurrentQueue<string> UnexpectedSamples { get; } = new();

    internal void AddCommitted() => Interlocked.Increment(ref _committed);
    internal void AddExpected() => Interlocked.Increment(ref _expected);

    internal void AddUnexpected(string what)
    {
        if (Interlocked.Increment(ref _unexpected) <= 20) UnexpectedSamples.Enqueue(what);
    }

    /// <summary>The counts a writer in another process reported.</summary>
    internal void Set(long committed, long rejectedAsExpected, long unexpected)
    {
        Interlocked.Exchange(ref _committed, committed);
        Interlocked.Exchange(ref _expected, rejectedAsExpected);
        Interlocked.Exchange(ref _unexpected, unexpected);
    }

    internal void AddUnexpectedSample(string what)
    {
        if (UnexpectedSamples.Count < 20) UnexpectedSamples.Enqueue(what);
    }
}

/// <summary>
/// The demo's data model and workload: people (unique email identity, unique username value, cardinality-many tags
/// and friends, a component address) who belong to organisations through membership entities (refs, a unique
/// identity key). Writers insert, update (compare-and-swap), upsert, retract values and entities, and now and then
/// submit a transaction that must be rejected (a unique conflict, a failing compare-and-swap).
/// </summary>
internal static class DemoWorkload
{
    public const string Schema = """
        [{:db/ident :org/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :org/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
         {:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :person/username :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
         {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :person/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
         {:db/ident :person/friends :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
         {:db/ident :person/address :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/isComponent true}
         {:db/ident :address/city :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :membership/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :membership/person :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
         {:db/ident :membership/org :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
         {:db/ident :membership/role :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    public static readonly string[] Orgs = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];
    private static readonly string[] First = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus", "Radia", "Tony"];
    private static readonly string[] Last = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth", "Perlman", "Hoare"];
    private static readonly string[] Cities = ["Riga", "Tallinn", "Vilnius", "Oslo", "Lisbon", "Kyoto", "Quito", "Perth", "Austin", "Lyon"];
    private static readonly string[] Tags = ["admin", "oncall", "remote", "mentor", "new", "lead", "security", "frontend", "backend", "data"];
    private static readonly string[] Roles = ["engineer", "manager", "designer", "analyst", "founder"];

    /// <summary>The organisations, each with two tags (an upsert on its name: running it again changes nothing).</summary>
    public static string OrgsTx() =>
        "[" + string.Join(" ", Orgs.Select((o, i) =>
            $"{{:org/name \"{o}\" :org/tags [\"{Tags[i % Tags.Length]}\" \"{Tags[(i + 3) % Tags.Length]}\"]}}")) + "]";

    public static IReadOnlyList<object?> Parse(string edn) =>
        EdnReader.Read(edn) as IReadOnlyList<object?> ?? throw new FormatException("tx data must be a vector");

    /// <summary>Submits through a connection: the master's, or a replica's (run there at once, then committed by the
    /// master).</summary>
    public static Func<IReadOnlyList<object?>, Task<DemoTxOutcome>> Through(IDatsyncConnection connection, TimeSpan timeout) =>
        async tx =>
        {
            try
            {
                var r = await connection.TransactAsync(tx).WaitAsync(timeout);
                return DemoTxOutcome.Committed(r.T);
            }
            catch (TxRejectedException e) { return DemoTxOutcome.Rejected(e.Category, e.Message); }
        };

    /// <summary>Runs one writer until <paramref name="stop"/> or after <paramref name="quota"/> transactions (negative:
    /// no limit). Each writer owns the people it creates (so it knows which exist), and shares the organisations.</summary>
    public static async Task RunWriter(string name, string run, int seed, Func<IReadOnlyList<object?>, Task<DemoTxOutcome>> submit,
        DemoStats stats, long quota, CancellationToken stop, Action<string>? verbose = null)
    {
        var w = new Writer(name, run, seed);
        for (long n = 0; (quota < 0 || n < quota) && !stop.IsCancellationRequested; n++)
        {
            var op = w.Next();
            DemoTxOutcome outcome;
            try { outcome = await submit(Parse(op.Edn)); }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
            {
                stats.AddUnexpected($"{name} {op.Kind}: no answer ({e.GetType().Name})");
                continue;
            }
            if (outcome.T is not null)
            {
                if (op.ExpectedRejection is null)
                {
                    stats.AddCommitted();
                    op.OnCommit?.Invoke();
                }
                else stats.AddUnexpected($"{name} {op.Kind}: committed at t={outcome.T}, expected {op.ExpectedRejection}: {op.Edn}");
            }
            else if (op.ExpectedRejection is { } expected && outcome.Category == expected)
            {
                stats.AddExpected();
                verbose?.Invoke($"{name} {op.Kind}: rejected as expected ({outcome.Category}: {outcome.Message})");
            }
            else stats.AddUnexpected($"{name} {op.Kind}: {outcome.Category}: {outcome.Message} — {op.Edn}");
        }
    }

    private sealed record Op(string Kind, string Edn, Keyword? ExpectedRejection = null, Action? OnCommit = null);

    private sealed class Person(string email)
    {
        public string Email { get; } = email;
        public string? Username;
        public long? Age;
        public readonly HashSet<string> Tags = new();
        public string? MembershipKey;
    }

    /// <summary>One writer's model of its own people and the next operation to run.</summary>
    private sealed class Writer(string name, string run, int seed)
    {
        private readonly Random _rnd = new(seed);
        private readonly List<Person> _alive = new();
        private readonly List<string> _gone = new();
        private int _next;
        private long _ops;

        private T Pick<T>(IReadOnlyList<T> xs) => xs[_rnd.Next(xs.Count)];
        private static string Q(string s) => EdnPrinter.Print(s);
        private static string Ref(Person p) => $"[:person/email {Q(p.Email)}]";

        public Op Next()
        {
            // every tenth transaction of a writer is one meant to be rejected, so even a short run shows some
            if (++_ops % 10 == 0 && _alive.Count > 0) return UniqueConflict();
            var roll = _rnd.Next(100);
            if (_alive.Count < 4 || roll < 28) return Insert();
            if (roll < 45) return UpdateAge();
            if (roll < 55) return Upsert();
            if (roll < 65) return Tag();
            if (roll < 73) return Friend();
            if (roll < 78) return Move();
            if (roll < 83) return OrgTag();
            if (roll < 90 && _alive.Count > 6) return Retract();
            if (roll < 95) return UniqueConflict();
            return FailingCas();
        }

        private Op Insert()
        {
            var n = _next++;
            var p = new Person($"{Pick(First).ToLowerInvariant()}.{n}@{name}.{run}.example")
            {
                Username = $"{name}-{run}-{n}", Age = 20 + _rnd.Next(45),
            };
            var tags = Enumerable.Range(0, 1 + _rnd.Next(3)).Select(_ => Pick(Tags)).Distinct().ToList();
            var org = Pick(DemoWorkload.Orgs);
            p.MembershipKey = $"{p.Email}|{org}";
            var address = "{:address/city " + Q(Pick(Cities)) + "}";
            var edn = $$"""
                [{:db/id "p" :person/email {{Q(p.Email)}} :person/username {{Q(p.Username)}} :person/name {{Q(Pick(First) + " " + Pick(Last))}}
                  :person/age {{p.Age}} :person/tags [{{string.Join(" ", tags.Select(Q))}}] :person/address {{address}}}
                 {:db/id "org" :org/name {{Q(org)}}}
                 {:membership/key {{Q(p.MembershipKey)}} :membership/person "p" :membership/org "org" :membership/role {{Q(Pick(Roles))}}}]
                """;
            return new Op("insert", edn, OnCommit: () =>
            {
                p.Tags.UnionWith(tags);
                _alive.Add(p);
            });
        }

        private Op UpdateAge()
        {
            var aged = _alive.Where(x => x.Age is not null).ToList();
            if (aged.Count == 0) return Insert();
            var p = Pick(aged);
            var age = p.Age!.Value + 1;
            return new Op("update", $"[[:db/cas {Ref(p)} :person/age {p.Age} {age}] [:db/add {Ref(p)} :person/name {Q(Pick(First) + " " + Pick(Last))}]]",
                OnCommit: () => p.Age = age);
        }

        private Op Upsert()
        {
            // an upsert on the email: an existing person is updated, one retracted earlier comes back as a new entity
            if (_gone.Count > 0 && _rnd.Next(3) == 0)
            {
                var email = _gone[_rnd.Next(_gone.Count)];
                var age = 20 + _rnd.Next(45);
                return new Op("upsert", $"[{{:person/email {Q(email)} :person/name {Q(Pick(First) + " " + Pick(Last))} :person/age {age}}}]", OnCommit: () =>
                {
                    _gone.Remove(email);
                    _alive.Add(new Person(email) { Age = age });
                });
            }
            var p = Pick(_alive);
            var tag = Pick(Tags);
            return new Op("upsert", $"[{{:person/email {Q(p.Email)} :person/name {Q(Pick(First) + " " + Pick(Last))} :person/tags {Q(tag)}}}]",
                OnCommit: () => p.Tags.Add(tag));
        }

        private Op Tag()
        {
            var p = Pick(_alive);
            if (p.Tags.Count > 0 && _rnd.Next(2) == 0)
            {
                var tag = p.Tags.ElementAt(_rnd.Next(p.Tags.Count));
                return new Op("retract-tag", $"[[:db/retract {Ref(p)} :person/tags {Q(tag)}]]", OnCommit: () => p.Tags.Remove(tag));
            }
            var add = Pick(Tags);
            return new Op("add-tag", $"[[:db/add {Ref(p)} :person/tags {Q(add)}]]", OnCommit: () => p.Tags.Add(add));
        }

        private Op Friend()
        {
            var a = Pick(_alive);
            var b = Pick(_alive);
            return new Op("friend", $"[[:db/add {Ref(a)} :person/friends {Ref(b)}]]");
        }

        private Op Move() =>
            new("move", $"[{{:db/id {Ref(Pick(_alive))} :person/address {{:address/city {Q(Pick(Cities))}}}}}]");

        private Op OrgTag()
        {
            var org = Pick(DemoWorkload.Orgs);
            var tag = Pick(Tags);
            return _rnd.Next(2) == 0
                ? new Op("org-tag", $"[[:db/add [:org/name {Q(org)}] :org/tags {Q(tag)}]]")
                : new Op("org-untag", $"[[:db/retract [:org/name {Q(org)}] :org/tags {Q(tag)}]]");
        }

        private Op Retract()
        {
            // the person goes, with its address (a component) and its membership; friends' refs to it are retracted
            var p = Pick(_alive);
            var membership = p.MembershipKey is { } k ? $" [:db/retractEntity [:membership/key {Q(k)}]]" : "";
            return new Op("retract", $"[[:db/retractEntity {Ref(p)}]{membership}]", OnCommit: () =>
            {
                _alive.Remove(p);
                _gone.Add(p.Email);
            });
        }

        private Op UniqueConflict()
        {
            // a new person who takes the username of someone who has it: :db.unique/value, so it must be refused
            var owners = _alive.Where(x => x.Username is not null).ToList();
            if (owners.Count == 0) return FailingCas();
            var taken = Pick(owners).Username!;
            var n = _next++;
            return new Op("unique-conflict",
                $"[{{:person/email {Q($"dup.{n}@{name}.{run}.example")} :person/username {Q(taken)} :person/name \"Impostor\"}}]",
                TxErrors.UniqueConflict);
        }

        private Op FailingCas()
        {
            var aged = _alive.Where(x => x.Age is not null).ToList();
            if (aged.Count == 0) return Insert();
            var p = Pick(aged);
            return new Op("failing-cas", $"[[:db/cas {Ref(p)} :person/age {p.Age + 1000} {p.Age + 1}]]", TxErrors.CasFailed);
        }
    }
}
