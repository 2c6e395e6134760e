using System.Collections.Concurrent;
using Akka.Actor;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Actors.Replica;
using Datsync.Actors.Server;
using Datsync.Actors.TestKit;
using Datsync.Actors.Tests.Replication;
using Datsync.Core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>
/// Property (issue 14): random workloads, random scope rules and random grant/revoke transactions, with each scoped
/// replica behind a fault shim: every scoped replica equals the filtered master at its own t (during the run and at
/// its end), the writes a replica may not make are refused as forbidden and change nothing, and the messages a
/// session sends its replica (recorded between the session and the shim, before any fault) never hold a datom the
/// client may not see, nor the master's value.
/// </summary>
public class ScopedFaultPropertyTests : ReplicationTestKit
{
    private readonly ITestOutputHelper _output;

    public ScopedFaultPropertyTests(ITestOutputHelper output) : base(output) => _output = output;

    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    private const string WorldSchemaEdn = """
        [{:db/ident :user/id      :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :user/team    :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/key      :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title    :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/secret   :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/team     :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner    :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/shared   :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}
         {:db/ident :doc/section  :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :section/key  :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :section/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :section/para :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :para/key     :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :para/text    :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]
        """;

    /// <summary>The shapes a document can be visible by; a policy takes a random non-empty subset.</summary>
    private static readonly (string Name, string Branch)[] DocShapes =
    [
        ("owner", "[(doc ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]"),
        ("shared", "[(doc ?client ?roles ?d) (me ?client ?u) [?d :doc/shared ?u]]"),
        ("team", "[(doc ?client ?roles ?d) (me ?client ?u) [?u :user/team ?t] [?d :doc/team ?t]]"),
        ("admin", "[(doc ?client ?roles ?d) (has-role ?roles \"admin\") [?d :doc/key]]"),
    ];

    /// <summary>The attribute allow-lists a policy picks from: all, all but the secret, all but the paragraphs' text.</summary>
    private static readonly string[]?[] AllowLists =
    [
        null,
        ["user/*", ":doc/key", ":doc/title", ":doc/team", ":doc/owner", ":doc/shared", ":doc/section", "section/*", "para/*"],
        ["user/*", "doc/*", "section/*", ":para/key"],
    ];

    private static readonly string[] Teams = ["red", "blue", "green"];

    public static TheoryData<int> Seeds => new() { 11, 23, 37, 41, 59, 73 };

    /// <summary>One seed's run: its policy, the master's value at every t, and the filtered values computed so far.</summary>
    private sealed class Run(int seed, ServerScopes scopes, string describe)
    {
        public readonly int Seed = seed;
        public readonly ServerScopes Scopes = scopes;
        public readonly string Describe = describe;
        public readonly Dictionary<long, Db> Values = new() { [0] = Db.Empty };
        private readonly Dictionary<(string, long), (Db Db, HashSet<(long, int, string)> Facts)> _filtered = new();

        public (Db Db, HashSet<(long, int, string)> Facts) Filtered(string client, long t)
        {
            if (_filtered.TryGetValue((client, t), out var f)) return f;
            if (!Values.TryGetValue(t, out var master)) throw new XunitException($"{Where(client)}: the test holds no master value at t={t}");
            var db = ScopeView.Of(Scopes.Policy, Scopes.IdentityOf(client), master).Filter();
            f = (db, db.Datoms(IndexType.Eavt).Select(d => (d.E, d.A, EdnPrinter.Print(d.V))).ToHashSet());
            _filtered[(client, t)] = f;
            return f;
        }

        public string Where(string client) => $"seed {Seed} ({Describe}), client {client}";
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_scoped_replica_behind_faults_equals_the_filtered_master_and_no_session_message_holds_an_invisible_datom(int seed)
    {
        var random = new Random(seed);

        // the policy: a random set of the shapes a document is visible by, a random allow-list, random roles
        var shapes = DocShapes.Where(_ => random.NextDouble() < 0.5).ToList();
        if (shapes.Count == 0) shapes.Add(DocShapes[random.Next(DocShapes.Length)]);
        var allow = AllowLists[random.Next(AllowLists.Length)];
        var clientCount = random.Next(2, 5);
        var clients = Enumerable.Range(0, clientCount).Select(i => "u" + i).ToList();
        var roles = clients.Where(_ => random.NextDouble() < 0.3).ToDictionary(c => c, IReadOnlyList<string> (_) => ["admin"]);
        var rules = "[[(me ?client ?u) [?u :user/id ?client]]\n" + string.Join("\n", shapes.Select(s => s.Branch)) + """

             [(visible ?client ?roles ?u) (me ?client ?u)]
             [(visible ?client ?roles ?d) (doc ?client ?roles ?d)]
             [(visible ?client ?roles ?s) (doc ?client ?roles ?d) [?d :doc/section ?s]]
             [(visible ?client ?roles ?p) (doc ?client ?roles ?d) [?d :doc/section ?s] [?s :section/para ?p]]]
            """;
        var scopes = new ServerScopes(ScopePolicy.Create(rules, readAttributes: allow), roles);
        var small = random.NextDouble() < 0.5;
        var describe = $"shapes {string.Join("+", shapes.Select(s => s.Name))}, attributes {(allow is null ? "all" : string.Join(" ", allow))}, " +
                       $"admins [{string.Join(" ", roles.Keys)}], {(small ? "small buffers" : "default buffers")}";
        var run = new Run(seed, scopes, describe);
        _output.WriteLine($"seed {seed}: {describe}");

        var id = "scoped-prop-" + seed;
        var (master, server) = small
            ? StartMaster(id, QuickSession with { ChunkSize = 512, BootstrapWindow = 2 }, recent: 3, buffer: 4, scopes: scopes)
            : StartMaster(id, scopes: scopes);
        Keep(run, Commit(master, WorldSchemaEdn, run));

        // the world: the clients and one user who is no client, documents each with a section and a paragraph
        var users = clients.Append("u9").ToList();
        var docs = new List<string>();
        var sections = new List<string>();
        var paras = new List<string>();
        var next = 0;
        var world = new List<string>();
        foreach (var u in users) world.Add($$"""{:db/id "user-{{u}}" :user/id "{{u}}" :user/team "{{Teams[random.Next(Teams.Length)]}}"}""");
        for (var i = 0; i < 8; i++) world.Add(NewDoc(random, users, docs, sections, paras, ref next, inWorld: true));
        Keep(run, Commit(master, "[" + string.Join("\n", world) + "]", run));

        // the replicas, each behind a shim with random faults, each shim's session side recorded before any fault
        var replicas = new List<(string Client, DatsyncReplica Replica, ReplicaLink Link, ConcurrentQueue<object> Sent)>();
        foreach (var c in clients)
        {
            var sent = new ConcurrentQueue<object>();
            var tap = Sys.ActorOf(Props.Create(() => new SessionTap(server, sent)), $"tap-{c}-{seed}");
            var faults = new Faults(Seed: random.Next(), Drop: random.NextDouble() * 0.15, Duplicate: random.NextDouble() * 0.15,
                Delay: random.NextDouble() * 0.2, Reorder: random.NextDouble() * 0.15, MaxDelayMs: random.Next(1, 30));
            _output.WriteLine($"  {c}: {faults}");
            var (replica, link) = StartLinkedReplica(tap, c, faults, QuickReplica);
            replicas.Add((c, replica, link, sent));
        }
        foreach (var r in replicas) await r.Replica.Ready.WaitAsync(Converge);

        // the workload
        var transactions = random.Next(40, 81);
        var restartAt = random.NextDouble() < 0.5 ? random.Next(transactions) : -1; // a session restarted: its replica bootstrapped again
        int refused = 0, writtenThroughReplicas = 0, snapshots = 0, behind = 0;
        for (var i = 0; i < transactions; i++)
        {
            var roll = random.NextDouble();
            if (roll < 0.08 && docs.Count > 0)
            {
                if (await WriteInScope(run, master, random, replicas.Select(r => (r.Client, r.Replica)).ToList(), i)) writtenThroughReplicas++;
            }
            else if (roll < 0.16 && docs.Count > 0)
            {
                if (await WriteOutOfScope(run, master, random, replicas.Select(r => (r.Client, r.Replica)).ToList(), i)) refused++;
            }
            else
            {
                var tx = MasterTx(random, users, docs, sections, paras, ref next, i);
                Keep(run, Commit(master, tx, run));
            }

            if (i == restartAt)
            {
                var c = replicas[random.Next(replicas.Count)].Client;
                var session = await Sys.ActorSelection(server.Path / DatsyncServerActor.SessionName(c)).ResolveOne(Converge);
                session.Tell(FailForTest.Instance); // it throws; the server restarts it, without the scope it filtered from
                _output.WriteLine($"  step {i}: the session of {c} restarted");
            }

            if (random.NextDouble() < 0.12) // now and then, each replica as it is now: the filtered master at its t
            {
                var masterT = run.Values.Keys.Max();
                foreach (var r in replicas)
                {
                    var db = r.Replica.SyncedDb;
                    AssertFilteredAtItsT(run, r.Client, db);
                    snapshots++;
                    if (db.BasisT < masterT) behind++;
                }
            }
        }

        // each replica converges on the filtered master at the master's t
        var last = MasterT(master);
        Assert.True(run.Values.ContainsKey(last), $"seed {seed}: the master is at t={last}, a t the test did not see committed");
        foreach (var r in replicas)
        {
            var expected = run.Filtered(r.Client, last).Db;
            AwaitAssert(() =>
            {
                var db = r.Replica.SyncedDb;
                if (db.BasisT != last) throw new XunitException($"{run.Where(r.Client)}: the replica is at t={db.BasisT}, the master at t={last} ({r.Replica.Status})");
                if (DatsyncTestKit.Difference(expected, db) is { } difference)
                    throw new XunitException($"{run.Where(r.Client)}: at t={last} the replica differs from the filtered master:\n{difference}");
            }, Converge, TimeSpan.FromMilliseconds(50));
        }

        // every message the sessions sent
        var deltas = 0;
        var bootstraps = 0;
        foreach (var r in replicas)
        {
            var (d, b) = CheckSent(run, r.Client, r.Sent.ToList());
            deltas += d;
            bootstraps += b;
        }
        _output.WriteLine($"seed {seed}: {transactions} steps to t={last}, {writtenThroughReplicas} written through replicas, {refused} refused, " +
                         $"{snapshots} snapshots ({behind} of a replica behind the master), {deltas} deltas and {bootstraps} bootstraps checked");
        Assert.True(bootstraps >= replicas.Count, $"seed {seed}: fewer bootstraps recorded ({bootstraps}) than replicas");

        foreach (var r in replicas) await r.Replica.DisposeAsync();
    }

    /// <summary>The replica's synced value equals the filtered master at the replica's own t.</summary>
    private static void AssertFilteredAtItsT(Run run, string client, Db replicaDb)
    {
        var t = replicaDb.BasisT;
        if (t == 0) return; // not bootstrapped (again) yet
        var expected = run.Filtered(client, t).Db;
        if (DatsyncTestKit.Difference(expected, replicaDb) is { } difference)
            throw new XunitException($"{run.Where(client)}: during the run the replica at t={t} differs from the filtered master at t={t}:\n{difference}");
    }

    /// <summary>Checks every message one session sent; returns how many deltas and whole bootstraps it checked.</summary>
    private static (int Deltas, int Bootstraps) CheckSent(Run run, string client, List<object> sent)
    {
        var deltas = 0;
        var chunks = new Dictionary<(long BasisT, int Count), byte[]?[]>();
        foreach (var m in sent)
        {
            switch (m)
            {
                case TxDelta d:
                    CheckDelta(run, client, d, "TxDelta");
                    deltas++;
                    break;
                case TxDeltaBatch b:
                    foreach (var d in b.Deltas) CheckDelta(run, client, d, "TxDeltaBatch");
                    deltas += b.Deltas.Count;
                    break;
                case TxRangeResult r:
                    foreach (var d in r.Deltas) CheckDelta(run, client, d, $"TxRangeResult {r.FromT}..{r.ToT}");
                    deltas += r.Deltas.Count;
                    break;
                case TxAccepted a:
                    if (a.DbAfter is not null || a.DbBefore is not null)
                        throw new XunitException($"{run.Where(client)}: the answer to its write at t={a.T} carries the master's value");
                    foreach (var datom in a.TxData)
                        if (datom.Added && !run.Filtered(client, a.T).Facts.Contains((datom.E, datom.A, EdnPrinter.Print(datom.V))))
                            throw new XunitException($"{run.Where(client)}: the answer to its write at t={a.T} holds {datom}, which it may not see");
                    break;
                case BootstrapChunk c:
                    var key = (c.BasisT, c.Count);
                    if (!chunks.TryGetValue(key, out var parts)) chunks[key] = parts = new byte[]?[c.Count];
                    parts[c.Seq] ??= c.Payload;
                    break;
            }
        }

        var bootstraps = 0;
        foreach (var ((basis, count), parts) in chunks)
        {
            if (parts.Any(p => p is null)) continue; // a bootstrap the session gave up (a newer handshake took over)
            var image = BootstrapImage.Decode(parts!);
            if (image.BasisT != basis) throw new XunitException($"{run.Where(client)}: a bootstrap announced at t={basis} decodes at t={image.BasisT}");
            var (expected, facts) = run.Filtered(client, basis);
            foreach (var datom in image.Datoms(IndexType.Eavt))
                if (!facts.Contains((datom.E, datom.A, EdnPrinter.Print(datom.V))))
                    throw new XunitException($"{run.Where(client)}: the bootstrap at t={basis} ({count} chunks) holds {datom} ({image.Ident(datom.A)}), which it may not see");
            if (DatsyncTestKit.Difference(expected, image) is { } difference)
                throw new XunitException($"{run.Where(client)}: the bootstrap at t={basis} is not the filtered master:\n{difference}");
            bootstraps++;
        }
        return (deltas, bootstraps);
    }

    /// <summary>A delta holds what the client sees: what it asserts is visible at its t, what it retracts was visible
    /// just before and is no longer; never the master's value. A delta may be empty, and need not come for every t.</summary>
    private static void CheckDelta(Run run, string client, TxDelta d, string carrier)
    {
        if (d.MasterValue is not null) throw new XunitException($"{run.Where(client)}: the {carrier} delta at t={d.T} carries the master's value");
        var at = run.Filtered(client, d.T).Facts;
        var before = run.Filtered(client, d.T - 1).Facts;
        foreach (var datom in d.Datoms)
        {
            var fact = (datom.E, datom.AttributeId, EdnPrinter.Print(datom.V));
            if (datom.Added && !at.Contains(fact))
                throw new XunitException($"{run.Where(client)}: the {carrier} delta at t={d.T} asserts {datom}, not in its filtered master at t={d.T}");
            if (!datom.Added && !before.Contains(fact))
                throw new XunitException($"{run.Where(client)}: the {carrier} delta at t={d.T} retracts {datom}, not in its filtered master at t={d.T - 1}");
            if (!datom.Added && at.Contains(fact))
                throw new XunitException($"{run.Where(client)}: the {carrier} delta at t={d.T} retracts {datom}, still in its filtered master at t={d.T}");
        }
    }

    /// <summary>A write through a replica of what its client sees (a title of a visible document): it commits.</summary>
    private async Task<bool> WriteInScope(Run run, MasterHandle master, Random random, List<(string Client, DatsyncReplica Replica)> replicas, int step)
    {
        var (client, replica) = replicas[random.Next(replicas.Count)];
        var now = run.Values[run.Values.Keys.Max()];
        var visible = VisibleDocs(run, client, now);
        if (visible.Count == 0) return false;
        var doc = visible[random.Next(visible.Count)];
        var tx = $"""[[:db/add {doc} :doc/title "by {client} at {step}"]]""";
        TxResult result;
        try
        {
            result = await replica.TransactAsync(tx).WaitAsync(Converge);
        }
        catch (Exception e)
        {
            throw new XunitException($"{run.Where(client)}: its write of what it sees {tx} failed: {e.Message}");
        }
        var db = DbOf(master.Transactor);
        if (db.BasisT != result.T) throw new XunitException($"seed {run.Seed}: after {client}'s write at t={result.T} the master is at t={db.BasisT}");
        run.Values[db.BasisT] = db;
        return true;
    }

    /// <summary>A write through a replica of what its client does not see (a document out of its scope, or an attribute
    /// out of its allow-list): it is refused as forbidden and the master does not move.</summary>
    private async Task<bool> WriteOutOfScope(Run run, MasterHandle master, Random random, List<(string Client, DatsyncReplica Replica)> replicas, int step)
    {
        var (client, replica) = replicas[random.Next(replicas.Count)];
        var t = run.Values.Keys.Max();
        var now = run.Values[t];
        var visible = VisibleDocs(run, client, now).ToHashSet();
        var hidden = now.Datoms(IndexType.Aevt, Keyword.Intern("doc/key")).Select(d => d.E).Where(e => !visible.Contains(e)).ToList();
        string tx;
        if (hidden.Count > 0) tx = $"""[[:db/add {hidden[random.Next(hidden.Count)]} :doc/title "{client} may not, at {step}"]]""";
        else if (run.Scopes.Policy.ReadAttributes is { } allow && !allow.Contains(":doc/secret") && !allow.Contains("doc/*") && visible.Count > 0)
            tx = $"""[[:db/add {visible.First()} :doc/secret "{client} may not, at {step}"]]""";
        else return false;
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => replica.TransactAsync(tx).WaitAsync(Converge));
        if (ex is not TxRejectedException rejected || rejected.Category != DatsyncErrors.Forbidden)
            throw new XunitException($"{run.Where(client)}: its write out of scope {tx} was not refused as forbidden: {ex}");
        var after = MasterT(master);
        if (after != t) throw new XunitException($"{run.Where(client)}: its refused write {tx} moved the master from t={t} to t={after}");
        return true;
    }

    /// <summary>The documents whose title the client sees at <paramref name="db"/>.</summary>
    private static List<long> VisibleDocs(Run run, string client, Db db)
    {
        var view = ScopeView.Of(run.Scopes.Policy, run.Scopes.IdentityOf(client), db);
        return db.Datoms(IndexType.Aevt, Keyword.Intern("doc/title")).Where(view.IsVisible).Select(d => d.E).Distinct().ToList();
    }

    /// <summary>A new document (new section, new paragraph) as one transaction's maps.</summary>
    private static string NewDoc(Random random, List<string> users, List<string> docs, List<string> sections, List<string> paras, ref int next, bool inWorld = false)
    {
        var n = next++;
        string User() => inWorld ? $"\"user-{users[random.Next(users.Count)]}\"" : $"[:user/id \"{users[random.Next(users.Count)]}\"]"; // the world's users are new
        var owner = User();
        var shared = random.NextDouble() < 0.3 ? $":doc/shared [{User()}]" : "";
        docs.Add("d" + n);
        sections.Add("s" + n);
        paras.Add("p" + n);
        return $$"""
            {:db/id "d{{n}}" :doc/key "d{{n}}" :doc/title "title {{n}}" :doc/secret "secret {{n}}" :doc/team "{{Teams[random.Next(Teams.Length)]}}"
             :doc/owner {{owner}} {{shared}} :doc/section "s{{n}}"}
            {:db/id "s{{n}}" :section/key "s{{n}}" :section/text "section {{n}}" :section/para "p{{n}}"}
            {:db/id "p{{n}}" :para/key "p{{n}}" :para/text "paragraph {{n}}"}
            """;
    }

    /// <summary>One random transaction of the master's own: edits, new documents, grants and revokes, team changes,
    /// references re-pointed, a document retracted.</summary>
    private static string MasterTx(Random random, List<string> users, List<string> docs, List<string> sections, List<string> paras, ref int next, int step)
    {
        string Pick(List<string> from) => from[random.Next(from.Count)];
        if (docs.Count == 0) return "[" + NewDoc(random, users, docs, sections, paras, ref next) + "]";
        var doc = $"[:doc/key \"{Pick(docs)}\"]";
        var user = $"[:user/id \"{Pick(users)}\"]";
        switch (random.Next(12))
        {
            case 0:
            case 1: return $"""[[:db/add {doc} :doc/title "edit {step}"]]""";
            case 2: return $"""[[:db/add {doc} :doc/secret "secret {step}"]]""";
            case 3: return "[" + NewDoc(random, users, docs, sections, paras, ref next) + "]";
            case 4:
            case 5: return $"[[:db/add {doc} :doc/shared {user}]]"; // a grant
            case 6: return $"[[:db/retract {doc} :doc/shared {user}]]"; // a revoke (of a share that may not be)
            case 7: return random.NextDouble() < 0.5
                ? $"""[[:db/add {user} :user/team "{Teams[random.Next(Teams.Length)]}"]]"""
                : $"""[[:db/add {doc} :doc/team "{Teams[random.Next(Teams.Length)]}"]]""";
            case 8: return random.NextDouble() < 0.5 // a reference re-pointed: its target (and what it refers to) moves in or out
                ? $"[[:db/add {doc} :doc/section [:section/key \"{Pick(sections)}\"]]]"
                : $"[[:db/add [:section/key \"{Pick(sections)}\"] :section/para [:para/key \"{Pick(paras)}\"]]]";
            case 9: return $"""[[:db/add [:para/key "{Pick(paras)}"] :para/text "deep edit {step}"] [:db/add [:section/key "{Pick(sections)}"] :section/text "section edit {step}"]]""";
            case 10: return $"[[:db/add {doc} :doc/owner {user}]]";
            default:
                var gone = Pick(docs);
                docs.Remove(gone);
                return $"[[:db/retractEntity [:doc/key \"{gone}\"]]]";
        }
    }

    private TxAccepted Commit(MasterHandle master, string edn, Run run)
    {
        var probe = CreateTestProbe();
        master.Transactor.Tell(new Transact(Guid.NewGuid().ToString("N"), Forms(edn), WithValues: true), probe.Ref);
        var reply = probe.ExpectMsg<object>(Long);
        return reply as TxAccepted ?? throw new XunitException($"seed {run.Seed}: the master rejected the test's transaction {edn}: {reply}");
    }

    private static void Keep(Run run, TxAccepted accepted) => run.Values[accepted.T] = accepted.DbAfter!;

    /// <summary>
    /// Sits between the server (and the session it starts) and a replica's fault shim, which takes it for the server:
    /// it passes every message on unchanged, and records what the server side sends towards the replica, as the session
    /// sent it — before the shim's faults and before the shim makes it the wire's form.
    /// </summary>
    private sealed class SessionTap : UntypedActor
    {
        private readonly IActorRef _server;
        private readonly ConcurrentQueue<object> _sent;
        private IActorRef? _shim, _session;

        public SessionTap(IActorRef server, ConcurrentQueue<object> sent)
        {
            _server = server;
            _sent = sent;
        }

        protected override void OnReceive(object message)
        {
            if (message is Terminated t && t.ActorRef.Equals(_shim))
            {
                Context.Stop(Self); // the session sees its replica go
                return;
            }
            if (message is Connect)
            {
                if (_shim is null)
                {
                    _shim = Sender;
                    Context.Watch(_shim);
                }
                _server.Tell(message, Self);
                return;
            }
            if (Sender.Equals(_shim))
            {
                (_session ?? _server).Tell(message, Self);
                return;
            }
            if (_shim is null) return;
            if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters)) _session = Sender;
            _sent.Enqueue(message);
            _shim.Tell(message, Self);
        }
    }
}
