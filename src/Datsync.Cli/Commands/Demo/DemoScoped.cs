using System.Diagnostics;
using System.Globalization;
using Datsync.Actors;
using Datsync.Actors.Server;
using Datsync.Cli.Output;
using Datsync.Core;

namespace Datsync.Cli.Commands.Demo;

/// <summary>
/// <c>datsync demo --scoped</c>: users with private documents, one replica per user (its client id the user's id)
/// holding the master filtered to what the user sees, a share and an unshare during the run, writes the rules refuse,
/// then a check that every replica equals the master filtered to its user's scope at the replica's t.
/// </summary>
internal static class DemoScoped
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public const string Schema = """
        [{:db/ident :user/id    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/key    :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :doc/title  :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/body   :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
         {:db/ident :doc/owner  :db/valueType :db.type/ref    :db/cardinality :db.cardinality/one}
         {:db/ident :doc/shared :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}]
        """;

    /// <summary>Every user sees the users (their ids only, so that documents can be shared with them), the documents it
    /// owns and those shared with it.</summary>
    public const string Rules = """
        [[(me ?client ?u) [?u :user/id ?client]]
         [(visible ?client ?roles ?u) [?u :user/id]]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/owner ?u]]
         [(visible ?client ?roles ?d) (me ?client ?u) [?d :doc/shared ?u]]]
        """;

    /// <summary>Beyond the default rules (a user writes only what it sees): only a document's owner retracts it.</summary>
    public const string OwnerRetractsRule = "owner-retracts";

    public const string OwnerRetracts = """
        [:find ?e ?a ?v ?added
         :where [(= ?a :doc/key)] [(= ?added false)]
                [$before ?e :doc/owner ?o] [$before ?o :user/id ?owner] [(!= ?owner ?client)]]
        """;

    public static DatsyncScopesOptions ScopesOptions() => new()
    {
        Rules = Rules,
        WriteRules = { [OwnerRetractsRule] = OwnerRetracts },
    };

    public static string User(int i) => $"u{i}";

    private static string Str(string s) => EdnPrinter.Print(s);

    public static async Task<int> RunAsync(DemoOptions o, TextWriter output, TextWriter stderr, CancellationToken cancel)
    {
        if (o.Replicas < 2 || o.Replicas > 32) return Usage(stderr, "--scoped needs --replicas between 2 and 32 (one user each)");
        if (o.Processes) return Usage(stderr, "--scoped runs its replicas in this process; leave out --processes");
        if (DemoCommand.LengthRefused(o, stderr) is { } refused) return refused;
        var (seconds, run, temporary, dir) = DemoCommand.Prepare(o);
        var errLock = new object();
        void Err(string line)
        {
            lock (errLock) stderr.WriteLine(line);
        }

        var name = "datsync-demo-" + run;
        var options = new DatsyncMasterOptions
        {
            Name = name,
            Storage = { Kind = "sqlite", DataDirectory = dir, SqliteFileName = DemoCommand.DbFileName },
            Hocon = StderrLogger.Hocon + "\n" + DemoCommand.QuickHocon + "\ndatsync.session.share-master-values = off",
            Scopes = ScopesOptions(),
        };
        var scopes = ServerScopes.From(options.ToConfig())!;
        DatsyncMaster? master = null;
        var users = Enumerable.Range(1, o.Replicas).Select(User).ToList();
        var replicas = new List<DatsyncReplica>();
        try
        {
            master = await DatsyncNode.StartMasterAsync(options, cancel).WaitAsync(StepTimeout, cancel);
            // the schema, the users and one private document each, through the master (idempotent: --db runs again)
            var world = "[" + string.Join(" ", users.Select(u =>
                $"{{:db/id {Str(u)} :user/id {Str(u)}}} {{:doc/key {Str(u + "-notes")} :doc/title {Str(u + "'s notes")} :doc/owner {Str(u)}}}")) + "]";
            foreach (var setup in new[] { Schema, world })
            {
                var outcome = await DemoWorkload.Through(master, StepTimeout)(DemoWorkload.Parse(setup));
                if (outcome.T is null)
                {
                    Err($"datsync demo: the setup transaction was rejected: {outcome.Category}: {outcome.Message}");
                    return 2;
                }
            }
            foreach (var u in users)
                replicas.Add(await DatsyncNode.ConnectReplicaAsync(new DatsyncReplicaOptions { ClientId = u, ServerSystemName = name }, cancel)
                    .WaitAsync(StepTimeout, cancel));
            try { await Task.WhenAll(replicas.Select(r => r.Ready)).WaitAsync(StepTimeout, cancel); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Err($"datsync demo: a replica did not start: {e.Message}");
                return 2;
            }

            var limit = (seconds is { } s ? $"for {s.ToString("0.###", CultureInfo.InvariantCulture)}s" : "") +
                        (seconds is not null && o.Transactions is not null ? " or " : "") +
                        (o.Transactions is { } n ? $"until {n:N0} transactions" : "");
            output.WriteLine($"datsync demo --scoped: master on SQLite {Path.Combine(dir, DemoCommand.DbFileName)}");
            output.WriteLine($"  {users.Count} users, one replica each (client id = user id) holding what the user sees; one writer per user {limit}");
            output.WriteLine("  a user sees the users, the documents it owns and those shared with it; it writes only what it sees, and only a document's owner retracts it");
            output.Flush();

            var stats = users.Select(_ => new DemoStats()).ToList();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            long Quota(int i) => o.Transactions is { } total ? total / users.Count + (i < total % users.Count ? 1 : 0) : -1;
            var clock = Stopwatch.StartNew();
            var writers = users.Select((u, i) => Task.Run(() => Writer(u, users, replicas[i], stats[i], Quota(i), stop.Token, o.Verbose ? Err : null))).ToList();

            // the share and the unshare: u1 shares its notes with u2, who edits them, then tries to retract them (refused:
            // only the owner retracts a document); later u1 takes the share back
            var owner = replicas[0];
            var sharee = replicas[1];
            var shared = users[0] + "-notes";
            bool Progressed(double fraction) =>
                writers.All(w => w.IsCompleted) || (seconds is { } lim && clock.Elapsed.TotalSeconds >= lim * fraction) ||
                (o.Transactions is { } tot && stats.Sum(x => x.Committed + x.RejectedAsExpected) >= tot * fraction);
            async Task Until(double fraction)
            {
                while (!Progressed(fraction) && !cancel.IsCancellationRequested)
                    try { await Task.Delay(20, cancel); } catch (OperationCanceledException) { }
            }

            var events = new List<string>();
            var shareStats = new DemoStats();
            async Task Step(DatsyncReplica through, string what, string edn, Keyword? expected)
            {
                var outcome = await DemoWorkload.Through(through, StepTimeout)(DemoWorkload.Parse(edn));
                if (outcome.T is { } t && expected is null)
                {
                    shareStats.AddCommitted();
                    events.Add($"  {what}: committed at t={t}");
                    await Task.WhenAll(replicas.Select(r => r.SyncAsync(t))).WaitAsync(StepTimeout);
                }
                else if (outcome.T is null && expected is not null && outcome.Category == expected)
                {
                    shareStats.AddExpected();
                    events.Add($"  {what}: refused as expected ({outcome.Category})");
                }
                else
                {
                    shareStats.AddUnexpected($"{what}: {(outcome.T is { } t2 ? $"committed at t={t2}" : $"{outcome.Category}: {outcome.Message}")}");
                    events.Add($"  {what}: UNEXPECTED " + (outcome.T is { } t3 ? $"committed at t={t3}" : $"{outcome.Category}: {outcome.Message}"));
                }
            }

            await Until(1.0 / 3);
            await Step(owner, $"{users[0]} shares {shared} with {users[1]}",
                $"[[:db/add [:doc/key {Str(shared)}] :doc/shared [:user/id {Str(users[1])}]]]", null);
            await Step(sharee, $"{users[1]} edits the shared {shared}",
                $"[[:db/add [:doc/key {Str(shared)}] :doc/body {Str(users[1] + " was here")}]]", null);
            await Step(sharee, $"{users[1]} retracts the shared {shared}",
                $"[[:db/retractEntity [:doc/key {Str(shared)}]]]", ScopeErrors.Forbidden);
            await Until(2.0 / 3);
            await Step(owner, $"{users[0]} unshares {shared} from {users[1]}",
                $"[[:db/retract [:doc/key {Str(shared)}] :doc/shared [:user/id {Str(users[1])}]]]", null);
            var sawShared = true;
            await Until(1.0);
            stop.Cancel();
            await Task.WhenAll(writers);
            var elapsed = clock.Elapsed;

            // the check: each replica equals the master filtered to its user's scope, at the replica's t
            var masterDb = master.Db;
            var checks = new List<(string User, DbDigest? Replica, DbDigest Expected, string? Problem)>();
            for (var i = 0; i < users.Count; i++)
            {
                var r = replicas[i];
                try { await r.SyncAsync(masterDb.BasisT).WaitAsync(StepTimeout); }
                catch (TimeoutException) { }
                var held = r.SyncedDb;
                var filtered = ScopeView.Of(scopes.Policy, scopes.IdentityOf(users[i]), masterDb).Filter();
                var expected = DbDigest.Of(filtered);
                var digest = DbDigest.Of(held);
                string? problem = null;
                if (held.BasisT != masterDb.BasisT) problem = $"at t={held.BasisT}, not {masterDb.BasisT}";
                else if (digest != expected) problem = DbDigest.FirstDifference(filtered, held) ?? "different digests of the same datoms";
                checks.Add((users[i], digest, expected, problem));
            }
            sawShared = replicas[1].SyncedDb.Q("[:find ?e . :in $ ?k :where [?e :doc/key ?k]]", shared) is not null; // false: moved out after the unshare

            var all = stats.Append(shareStats).ToList();
            foreach (var u in all.SelectMany(x => x.UnexpectedSamples).Take(10)) Err("datsync demo: unexpected outcome: " + u);

            output.WriteLine();
            output.WriteLine("share and unshare:");
            foreach (var e in events) output.WriteLine(e);
            output.WriteLine($"  after the unshare {users[1]}'s replica {(sawShared ? "STILL holds" : "no longer holds")} {shared}");
            output.WriteLine();
            var secs = Math.Max(elapsed.TotalSeconds, 0.001);
            output.WriteLine($"{"writers",-22} {"committed",10} {"forbidden as expected",22} {"unexpected",11} {"tx/s",8}");
            for (var i = 0; i < users.Count; i++)
                output.WriteLine($"{"via " + users[i],-22} {stats[i].Committed,10:N0} {stats[i].RejectedAsExpected,22:N0} {stats[i].Unexpected,11:N0} {stats[i].Committed / secs,8:N0}");
            output.WriteLine($"{"share/unshare",-22} {shareStats.Committed,10:N0} {shareStats.RejectedAsExpected,22:N0} {shareStats.Unexpected,11:N0}");
            var committed = all.Sum(x => x.Committed);
            output.WriteLine($"{"total",-22} {committed,10:N0} {all.Sum(x => x.RejectedAsExpected),22:N0} {all.Sum(x => x.Unexpected),11:N0} {committed / secs,8:N0}" +
                             FormattableString.Invariant($"  in {elapsed.TotalSeconds:0.0}s"));
            output.WriteLine();
            var masterDigest = DbDigest.Of(masterDb);
            output.WriteLine($"{"database",-9} {"t",8} {"datoms",10}  {"sha256",-16}  equals its filtered master");
            output.WriteLine($"{"master",-9} {masterDigest.T,8} {masterDigest.Datoms,10:N0}  {masterDigest.Sha256[..16],-16}");
            foreach (var c in checks)
                output.WriteLine($"{c.User,-9} {c.Replica!.T,8} {c.Replica.Datoms,10:N0}  {c.Replica.Sha256[..16],-16}  {(c.Problem is null ? "yes" : "NO (" + c.Problem + ")")}");
            output.WriteLine();

            var differ = checks.Where(c => c.Problem is not null).ToList();
            var unexpected = all.Sum(x => x.Unexpected);
            if (differ.Count == 0 && unexpected == 0 && !sawShared)
            {
                output.WriteLine($"verdict: OK — {users.Count} scoped replicas equal the master filtered to their user at t={masterDigest.T} ({masterDigest.Datoms:N0} datoms on the master)");
                output.Flush();
                return 0;
            }
            output.WriteLine($"verdict: MISMATCH — {differ.Count} of {users.Count} replicas differ from their filtered master" +
                             (unexpected > 0 ? $"; {unexpected} unexpected outcomes" : "") +
                             (sawShared ? $"; {users[1]} still holds {shared} after the unshare" : "") +
                             (differ.Count > 0 ? ": " + string.Join("; ", differ.Select(c => $"{c.User}: {c.Problem}")) : ""));
            output.Flush();
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Err("datsync demo: interrupted before the writers started");
            return 130;
        }
        finally
        {
            foreach (var r in replicas) await r.DisposeAsync();
            if (master is not null)
            {
                try { await master.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); }
                catch (TimeoutException) { Err("datsync demo: the master did not stop within 10s"); }
            }
            if (temporary)
            {
                try { Directory.Delete(dir, true); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>One user's writer, through its replica: creates documents it owns, edits them, and every fifth
    /// transaction tries something the rules refuse (schema; a document owned by another user).</summary>
    private static async Task Writer(string user, List<string> users, DatsyncReplica replica, DemoStats stats, long quota,
        CancellationToken stop, Action<string>? verbose)
    {
        var through = DemoWorkload.Through(replica, StepTimeout);
        var other = users[(users.IndexOf(user) + 1) % users.Count];
        var created = 0;
        for (long i = 0; (quota < 0 || i < quota) && !stop.IsCancellationRequested; i++)
        {
            string kind, edn;
            var forbidden = i % 5 == 2;
            if (forbidden && i % 10 == 2)
                (kind, edn) = ("schema", $"[{{:db/ident :{user}/secret :db/valueType :db.type/string :db/cardinality :db.cardinality/one}}]");
            else if (forbidden)
                (kind, edn) = ("document of another user", $"[{{:doc/key {Str($"{user}-for-{other}-{i}")} :doc/title \"not mine\" :doc/owner [:user/id {Str(other)}]}}]");
            else if (created == 0 || i % 3 == 0)
                (kind, edn) = ("create", $"[{{:doc/key {Str($"{user}-{++created}")} :doc/title {Str($"{user}'s document {created}")} :doc/owner [:user/id {Str(user)}]}}]");
            else
                (kind, edn) = ("edit", $"[[:db/add [:doc/key {Str($"{user}-{1 + i % created}")}] :doc/title {Str($"{user}'s document, edit {i}")}]]");
            var outcome = await through(DemoWorkload.Parse(edn));
            if (outcome.T is not null && !forbidden) stats.AddCommitted();
            else if (outcome.T is null && forbidden && outcome.Category == ScopeErrors.Forbidden)
            {
                stats.AddExpected();
                verbose?.Invoke($"{user} {kind}: refused as expected ({outcome.Message})");
            }
            else stats.AddUnexpected($"{user} {kind}: {(outcome.T is { } t ? $"committed at t={t}" : $"{outcome.Category}: {outcome.Message}")} — {edn}");
        }
    }

    private static int Usage(TextWriter stderr, string message) => DemoCommand.Usage(stderr, message);
}
