using System.Runtime.Serialization;
using Datsync.Actors.Persistence;
using Datsync.Core;
using Microsoft.Data.Sqlite;

namespace Datsync.Actors.Replica;

/// <summary>
/// A replica's local store: its value (a snapshot and the deltas applied after it) and the durable outbox of its
/// local transactions, in one file <c>DIR/replica.db</c>, so that a replica starts from disk before any network call
/// and keeps the transactions it made offline.
/// </summary>
/// <remarks>
/// <para><b>Why SQLite.</b> The store is SQLite through Microsoft.Data.Sqlite, one file in WAL journal mode. A replica
/// embedded in any host application needs no Akka.Persistence plugin configured; one file holds snapshot, deltas and
/// outbox in one transaction domain (a bootstrap replaces the value atomically, a compaction swaps snapshot and deltas
/// atomically); and SQLite is already what the master uses by default. Delta appends run with
/// <c>synchronous=NORMAL</c> (one INSERT; a power loss may drop the last deltas, never corrupt the file, and the
/// replica fetches them again from the master); the purge runs with <c>synchronous=FULL</c>, and so do outbox writes
/// when <see cref="FullSyncOutbox"/> (an enqueued transaction is then on the disk when <see cref="Enqueue"/> returns;
/// otherwise it is in the WAL the operating system holds, which survives the process being killed).</para>
/// <para><b>File format</b> (format_version 1, in table <c>store</c>):
/// <c>store(id=1, format_version, client_id, next_mutation_id, store_key)</c> (store_key: added to format 1, filled on open when missing);
/// <c>snapshot(id=1, basis_t, database_id, payload)</c> where payload is a persistence_v1 <c>DbSnapshot</c>
/// (the master's snapshot codec, <see cref="PersistenceCodec.EncodeSnapshot(DbSnapshot)"/>);
/// <c>deltas(t PRIMARY KEY, payload)</c> where payload is a replica_store_v1 <c>StoredDelta</c>;
/// <c>outbox(mutation_id PRIMARY KEY, payload)</c> where payload is a replica_store_v1 <c>OutboxEntry</c>.
/// The rows of <c>deltas</c> chain without a gap from the snapshot's basis t: each one's <c>after</c> (or t - 1) is
/// the t of the row before it. The file does not shrink: the pages of a replaced snapshot are free and hold the
/// next one, so it stays at about twice the snapshot's size (a purge zeroes them).</para>
/// <para><b>Use.</b> At start, <see cref="Open"/> then <see cref="Load"/> (null: bootstrap from the master, then
/// <see cref="ResetTo"/>); after each delta applied in memory, <see cref="Append"/>, and <see cref="Compact"/> with
/// the current value when <see cref="DeltasSinceSnapshot"/> grows large; a local transaction goes through
/// <see cref="Enqueue"/> before it is sent and <see cref="Remove"/> once the master committed or rejected it;
/// <see cref="Outbox"/> (or <see cref="StoredState.Outbox"/>) is what to send again after a restart.</para>
/// <para><b>Threading.</b> Not thread-safe: the store has one owner, the replica actor, which calls it from its own
/// message handlers only. Opening the same directory twice at once is not supported.</para>
/// <para><b>Errors.</b> A file that cannot be read (not a database, a corrupted payload, a format newer than this
/// code, another client's store, an I/O failure) is a <see cref="DatsyncStorageException"/> naming the file; misuse
/// (a delta that does not follow the stored t, a compaction at a t the store does not hold) is an
/// <see cref="InvalidOperationException"/>.</para>
/// </remarks>
internal sealed class ReplicaStore : IDisposable
{
    /// <summary>The format of the store's tables this code writes and reads (<c>store.format_version</c>).</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the store's file inside its directory.</summary>
    public const string FileName = "replica.db";

    private readonly SqliteConnection _conn;
    private readonly SqliteCommand _appendCmd;
    private long? _t;               // the stored value's t (snapshot's basis t or last delta's t); null: no value
    private long? _snapshotT;
    private int _deltas;
    private long _nextMutationId;
    private bool _disposed;

    /// <summary>Path of the store's file.</summary>
    public string Path { get; }

    /// <summary>The client whose store this is.</summary>
    public string ClientId { get; }

    /// <summary>Whether an outbox write waits for the disk itself (<c>synchronous=FULL</c>: it survives a power loss) or
    /// for the operating system (<c>NORMAL</c>, WAL: it survives the process being killed, at a fraction of the cost;
    /// <c>datsync.replica.outbox-sync</c>). True unless set.</summary>
    public bool FullSyncOutbox { get; set; } = true;

    /// <summary>The store's own random key (16 hex characters), made with it and kept for its life.</summary>
    public string StoreKey { get; private init; } = "";

    private ReplicaStore(SqliteConnection conn, string path, string clientId, long? t, long? snapshotT, int deltas, long nextMutationId)
    {
        _conn = conn;
        Path = path;
        ClientId = clientId;
        _t = t;
        _snapshotT = snapshotT;
        _deltas = deltas;
        _nextMutationId = nextMutationId;
        _appendCmd = conn.CreateCommand();
        _appendCmd.CommandText = "INSERT INTO deltas(t, payload) VALUES ($t, $payload)";
        _appendCmd.Parameters.Add("$t", SqliteType.Integer);
        _appendCmd.Parameters.Add("$payload", SqliteType.Blob);
        _appendCmd.Prepare();
    }

    /// <summary>
    /// Opens the store of <paramref name="clientId"/> in <paramref name="directory"/>, creating the directory and the
    /// file when missing. Throws <see cref="DatsyncStorageException"/> when the file is another client's store, has a
    /// format newer than this code reads, or is not a replica store.
    /// </summary>
    public static ReplicaStore Open(string directory, string clientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        SqliteConnection? conn = null;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            conn = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false,
            }.ToString());
            conn.Open();
            Exec(conn, "PRAGMA journal_mode=WAL");
            Exec(conn, "PRAGMA synchronous=NORMAL");
            Exec(conn, "PRAGMA journal_size_limit=4194304"); // the WAL of a bootstrap does not stay the snapshot's size
            using (var tx = conn.BeginTransaction())
            {
                var hasStore = Scalar(conn, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='store'") is long n && n > 0;
                if (!hasStore)
                {
                    if (Scalar(conn, "SELECT count(*) FROM sqlite_master") is long other && other > 0)
                        throw new DatsyncStorageException($"replica store {path}: the file is an SQLite database but not a replica store (it has no store table)");
                    Exec(conn, """
                        CREATE TABLE store(id INTEGER PRIMARY KEY CHECK (id = 1), format_version INTEGER NOT NULL,
                                           client_id TEXT NOT NULL, next_mutation_id INTEGER NOT NULL);
                        CREATE TABLE snapshot(id INTEGER PRIMARY KEY CHECK (id = 1), basis_t INTEGER NOT NULL,
                                              database_id TEXT, payload BLOB NOT NULL);
                        CREATE TABLE deltas(t INTEGER PRIMARY KEY, payload BLOB NOT NULL);
                        CREATE TABLE outbox(mutation_id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
                        """);
                    using var insert = conn.CreateCommand();
                    insert.CommandText = "INSERT INTO store(id, format_version, client_id, next_mutation_id) VALUES (1, $v, $c, 1)";
                    insert.Parameters.AddWithValue("$v", FormatVersion);
                    insert.Parameters.AddWithValue("$c", clientId);
                    insert.ExecuteNonQuery();
                }
                long version, nextMutationId;
                string storedClient;
                using (var cmd = conn.CreateCommand())
                {
                    cmd.CommandText = "SELECT format_version, client_id, next_mutation_id FROM store WHERE id = 1";
                    using var r = cmd.ExecuteReader();
                    if (!r.Read()) throw new DatsyncStorageException($"replica store {path}: its store table is empty");
                    version = r.GetInt64(0);
                    storedClient = r.GetString(1);
                    nextMutationId = r.GetInt64(2);
                }
                if (version > FormatVersion)
                    throw new DatsyncStorageException(
                        $"replica store {path} has format_version {version}, newer than this Datsync.Actors reads ({FormatVersion})");
                if (version < 1)
                    throw new DatsyncStorageException($"replica store {path} has an invalid format_version {version}");
                if (storedClient != clientId)
                    throw new DatsyncStorageException(
                        $"replica store {directory} belongs to client '{storedClient}', not to client '{clientId}'");
                // the store's own random key (a compatible addition to format 1: a store written without it gets one
                // now); mutation request ids carry it, so a store made again never reuses the ids of an older one
                var hasKey = Scalar(conn, "SELECT count(*) FROM pragma_table_info('store') WHERE name = 'store_key'") is long k && k > 0;
                if (!hasKey) Exec(conn, "ALTER TABLE store ADD COLUMN store_key TEXT");
                var storeKey = Scalar(conn, "SELECT store_key FROM store WHERE id = 1") as string;
                if (string.IsNullOrEmpty(storeKey))
                {
                    storeKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
                    using var setKey = conn.CreateCommand();
                    setKey.CommandText = "UPDATE store SET store_key = $k WHERE id = 1";
                    setKey.Parameters.AddWithValue("$k", storeKey);
                    setKey.ExecuteNonQuery();
                }
                var snapshotT = Scalar(conn, "SELECT basis_t FROM snapshot WHERE id = 1") as long?;
                var lastDeltaT = Scalar(conn, "SELECT max(t) FROM deltas") as long?;
                var deltas = (int)(long)Scalar(conn, "SELECT count(*) FROM deltas")!;
                tx.Commit();
                var store = new ReplicaStore(conn, path, clientId, lastDeltaT ?? snapshotT, snapshotT, deltas, nextMutationId) { StoreKey = storeKey };
                conn = null;
                return store;
            }
        }
        catch (SqliteException e)
        {
            throw new DatsyncStorageException($"replica store {path} cannot be opened: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new DatsyncStorageException($"replica store {path} cannot be opened: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DatsyncStorageException($"replica store {path} cannot be opened: {e.Message}", e);
        }
        finally
        {
            conn?.Dispose();
        }
    }

    // ------------------------------------------------------------------ value

    /// <summary>The t of the stored value (the snapshot's basis t or the last delta's t); null when the store holds
    /// no value.</summary>
    public long? BasisT => _t;

    /// <summary>How many deltas are stored after the snapshot (the caller compacts when it finds them many).</summary>
    public int DeltasSinceSnapshot => _deltas;

    /// <summary>
    /// The stored state: the snapshot decoded, then every stored delta applied in order with
    /// <see cref="TxDelta.ApplyTo"/> semantics (a delta may skip ts); null when the store holds no value (a new store,
    /// or a purged one). Throws <see cref="DatsyncStorageException"/> when a payload cannot be read.
    /// </summary>
    public StoredState? Load()
    {
        ThrowIfDisposed();
        Db value;
        string? databaseId;
        try
        {
            using (var cmd = _conn.CreateCommand())
            {
                cmd.CommandText = "SELECT basis_t, database_id, payload FROM snapshot WHERE id = 1";
                using var r = cmd.ExecuteReader();
                if (!r.Read()) return null;
                var basisT = r.GetInt64(0);
                databaseId = r.IsDBNull(1) ? null : r.GetString(1);
                var payload = Payload(r, 2, "its snapshot");
                try
                {
                    value = PersistenceCodec.DecodeSnapshot(payload).Db;
                }
                catch (Exception e) when (e is SerializationException or InvalidOperationException or ArgumentException)
                {
                    throw Unreadable("its snapshot", e);
                }
                if (value.BasisT != basisT)
                    throw new DatsyncStorageException($"replica store {Path}: its snapshot is at t={value.BasisT}, its row says t={basisT}");
            }
            using (var cmd = _conn.CreateCommand())
            {
                cmd.CommandText = "SELECT t, payload FROM deltas ORDER BY t";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var t = r.GetInt64(0);
                    var payload = Payload(r, 1, $"its delta t={t}");
                    try
                    {
                        var stored = ReplicaStoreCodec.DecodeDelta(payload);
                        if (stored.T != t) throw new SerializationException($"the payload is the delta of t={stored.T}");
                        if (stored.Prev != value.BasisT)
                            throw new SerializationException($"it follows t={stored.Prev}, the value before it is at t={value.BasisT}");
                        value = ToTxDelta(value, stored).ApplyTo(value);
                    }
                    catch (Exception e) when (e is SerializationException or InvalidOperationException or ArgumentException or InvalidCastException)
                    {
                        throw Unreadable($"its delta t={t}", e);
                    }
                }
            }
        }
        catch (SqliteException e)
        {
            throw Failed("load", e);
        }
        return new StoredState(value, value.BasisT, databaseId, Outbox());
    }

    /// <summary>A stored delta as the <see cref="TxDelta"/> it was made from (attribute idents read from the value it
    /// applies to; <see cref="DeltaDatom.IsSchema"/> only marks datoms of schema attributes).</summary>
    private static TxDelta ToTxDelta(Db before, StoredDeltaRecord stored)
    {
        var datoms = new DeltaDatom[stored.Datoms.Length];
        for (var i = 0; i < datoms.Length; i++)
        {
            var d = stored.Datoms[i];
            var ident = before.Ident(d.A)
                ?? throw new SerializationException($"it names attribute {d.A}, which the value at t={before.BasisT} does not hold");
            datoms[i] = new DeltaDatom(d.Added, d.E, ident, d.V, SchemaRules.IsSchemaAttr(d.A), d.A);
        }
        return new TxDelta(stored.T, stored.TxInstant, datoms) { After = stored.After };
    }

    /// <summary>A bootstrap: replaces the stored value (snapshot and deltas) with <paramref name="value"/>, synced from
    /// the master database <paramref name="databaseId"/>, in one transaction. The outbox stays.</summary>
    public void ResetTo(Db value, string? databaseId)
    {
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfDisposed();
        var payload = PersistenceCodec.EncodeSnapshot(new DbSnapshot(value));
        try
        {
            // the value it replaces may hold what the client may no longer see (a scope that shrank): its pages are
            // overwritten and the WAL truncated, as a purge does
            Exec(_conn, "PRAGMA secure_delete=ON");
            try
            {
                using (var tx = _conn.BeginTransaction())
                {
                    Exec(_conn, "DELETE FROM deltas");
                    WriteSnapshot(value.BasisT, databaseId, payload, keepDatabaseId: false);
                    tx.Commit();
                }
                Exec(_conn, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            finally
            {
                Exec(_conn, "PRAGMA secure_delete=OFF");
            }
        }
        catch (SqliteException e)
        {
            throw Failed("reset", e);
        }
        _t = _snapshotT = value.BasisT;
        _deltas = 0;
    }

    /// <summary>
    /// Appends a delta the replica applied to the stored value: its <see cref="TxDelta.Prev"/> must be
    /// <see cref="BasisT"/> (the store never holds a gap), else <see cref="InvalidOperationException"/>. One INSERT,
    /// committed with <c>synchronous=NORMAL</c>.
    /// </summary>
    public void Append(TxDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ThrowIfDisposed();
        if (_t is not { } t)
            throw new InvalidOperationException($"replica store {Path} holds no value: a delta (t={delta.T}) needs a bootstrap (ResetTo) first");
        if (delta.Prev != t || delta.T <= t)
            throw new InvalidOperationException(
                $"delta t={delta.T} (after t={delta.Prev}) does not follow the stored value at t={t}: the store never holds a gap");
        var payload = ReplicaStoreCodec.EncodeDelta(delta);
        try
        {
            _appendCmd.Parameters[0].Value = delta.T;
            _appendCmd.Parameters[1].Value = payload;
            _appendCmd.ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            throw Failed("append to", e);
        }
        _t = delta.T;
        _deltas++;
    }

    /// <summary>Appends <paramref name="deltas"/> in order, in one SQLite transaction (one commit for a batch the
    /// replica applied together); all or none are stored.</summary>
    public void AppendAll(IReadOnlyList<TxDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        if (deltas.Count <= 1)
        {
            if (deltas.Count == 1) Append(deltas[0]);
            return;
        }
        ThrowIfDisposed();
        var (t0, n0) = (_t, _deltas);
        SqliteTransaction tx;
        try { tx = _conn.BeginTransaction(); }
        catch (SqliteException e) { throw Failed("append to", e); }
        using (tx)
        {
            _appendCmd.Transaction = tx;
            try
            {
                foreach (var d in deltas) Append(d);
                tx.Commit();
            }
            catch
            {
                (_t, _deltas) = (t0, n0); // rolled back: the store holds what it held
                throw;
            }
            finally
            {
                _appendCmd.Transaction = null;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as the new snapshot and deletes the deltas up to its t, in one transaction.
    /// The value must be the stored value at one of its ts (the snapshot's, or a stored delta's), e.g. the replica's
    /// current value; the caller decides when (e.g. every N deltas, see <see cref="DeltasSinceSnapshot"/>). A value at
    /// the snapshot's own t changes nothing; any other t is an <see cref="InvalidOperationException"/>.
    /// </summary>
    public void Compact(Db value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfDisposed();
        if (_t is null) throw new InvalidOperationException($"replica store {Path} holds no value to compact (use ResetTo)");
        var t = value.BasisT;
        if (t == _snapshotT) return;
        if (t < _snapshotT || t > _t)
            throw new InvalidOperationException($"cannot compact at t={t}: replica store {Path} holds t={_snapshotT}..{_t}");
        var payload = PersistenceCodec.EncodeSnapshot(new DbSnapshot(value));
        int removed;
        try
        {
            using var tx = _conn.BeginTransaction();
            if (Scalar(_conn, $"SELECT count(*) FROM deltas WHERE t = {t}") is not long n || n == 0)
                throw new InvalidOperationException($"cannot compact at t={t}: replica store {Path} holds no delta of that t");
            using (var del = _conn.CreateCommand())
            {
                del.CommandText = $"DELETE FROM deltas WHERE t <= {t}";
                removed = del.ExecuteNonQuery();
            }
            WriteSnapshot(t, null, payload, keepDatabaseId: true);
            tx.Commit();
        }
        catch (SqliteException e)
        {
            throw Failed("compact", e);
        }
        _snapshotT = t;
        _deltas -= removed;
    }

    /// <summary>
    /// Revocation: deletes the value, the deltas and the outbox, so that the client keeps none of the data (deleted
    /// pages are overwritten and the WAL truncated). Only the client id and <see cref="NextMutationId"/> stay.
    /// </summary>
    public void Purge()
    {
        ThrowIfDisposed();
        try
        {
            Exec(_conn, "PRAGMA secure_delete=ON");
            Exec(_conn, "PRAGMA synchronous=FULL");
            try
            {
                using (var tx = _conn.BeginTransaction())
                {
                    Exec(_conn, "DELETE FROM snapshot; DELETE FROM deltas; DELETE FROM outbox;");
                    tx.Commit();
                }
                Exec(_conn, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            finally
            {
                Exec(_conn, "PRAGMA synchronous=NORMAL");
                Exec(_conn, "PRAGMA secure_delete=OFF");
            }
        }
        catch (SqliteException e)
        {
            throw Failed("purge", e);
        }
        _t = _snapshotT = null;
        _deltas = 0;
    }

    // ------------------------------------------------------------------ outbox

    /// <summary>The mutation id the next <see cref="Enqueue"/> takes: starts at 1, only grows, survives restarts and
    /// purges.</summary>
    public long NextMutationId => _nextMutationId;

    /// <summary>Adds a local transaction to the outbox; it is on disk (a committed transaction with
    /// <c>synchronous=FULL</c>) when this returns.</summary>
    public OutboxEntry Enqueue(string requestId, string txEdn)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        ArgumentNullException.ThrowIfNull(txEdn);
        ThrowIfDisposed();
        var entry = new OutboxEntry(_nextMutationId, requestId, txEdn, DateTime.UtcNow);
        var payload = ReplicaStoreCodec.EncodeOutboxEntry(entry.MutationId, requestId, txEdn, entry.Created);
        try
        {
            if (FullSyncOutbox) Exec(_conn, "PRAGMA synchronous=FULL");
            try
            {
                using var tx = _conn.BeginTransaction();
                using (var cmd = _conn.CreateCommand())
                {
                    cmd.CommandText = "INSERT INTO outbox(mutation_id, payload) VALUES ($id, $payload); " +
                                      "UPDATE store SET next_mutation_id = $id + 1 WHERE id = 1";
                    cmd.Parameters.AddWithValue("$id", entry.MutationId);
                    cmd.Parameters.Add("$payload", SqliteType.Blob).Value = payload;
                    cmd.ExecuteNonQuery();
                }
                tx.Commit();
            }
            finally
            {
                if (FullSyncOutbox) Exec(_conn, "PRAGMA synchronous=NORMAL");
            }
        }
        catch (SqliteException e)
        {
            throw Failed("enqueue in", e);
        }
        _nextMutationId = entry.MutationId + 1;
        return entry;
    }

    /// <summary>The outbox entries in mutation-id order.</summary>
    public IReadOnlyList<OutboxEntry> Outbox()
    {
        ThrowIfDisposed();
        var entries = new List<OutboxEntry>();
        try
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "SELECT mutation_id, payload FROM outbox ORDER BY mutation_id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var id = r.GetInt64(0);
                try
                {
                    var (mutationId, requestId, txEdn, created) = ReplicaStoreCodec.DecodeOutboxEntry(Payload(r, 1, $"its outbox entry {id}"));
                    if (mutationId != id) throw new SerializationException($"the payload is the entry of mutation id {mutationId}");
                    entries.Add(new OutboxEntry(id, requestId, txEdn, created));
                }
                catch (SerializationException e)
                {
                    throw Unreadable($"its outbox entry {id}", e);
                }
            }
        }
        catch (SqliteException e)
        {
            throw Failed("read the outbox of", e);
        }
        return entries;
    }

    /// <summary>Removes an outbox entry (its transaction was committed or rejected); no-op when it is not there.</summary>
    public void Remove(long mutationId) => RemoveAll([mutationId]);

    /// <summary>Removes the entries of <paramref name="mutationIds"/> (those not there are skipped), in one transaction.</summary>
    public void RemoveAll(IReadOnlyCollection<long> mutationIds)
    {
        ThrowIfDisposed();
        if (mutationIds.Count == 0) return;
        try
        {
            using var tx = _conn.BeginTransaction();
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM outbox WHERE mutation_id = $id";
            var id = cmd.Parameters.Add("$id", SqliteType.Integer);
            foreach (var n in mutationIds)
            {
                id.Value = n;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        catch (SqliteException e)
        {
            throw Failed("remove from", e);
        }
    }

    /// <summary>Closes the file (the WAL is checkpointed into it).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _appendCmd.Dispose();
        _conn.Dispose();
    }

    // ------------------------------------------------------------------ helpers

    private void WriteSnapshot(long basisT, string? databaseId, byte[] payload, bool keepDatabaseId)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = keepDatabaseId
            ? "UPDATE snapshot SET basis_t = $t, payload = $payload WHERE id = 1"
            : "INSERT OR REPLACE INTO snapshot(id, basis_t, database_id, payload) VALUES (1, $t, $db, $payload)";
        cmd.Parameters.AddWithValue("$t", basisT);
        if (!keepDatabaseId) cmd.Parameters.AddWithValue("$db", (object?)databaseId ?? DBNull.Value);
        cmd.Parameters.Add("$payload", SqliteType.Blob).Value = payload;
        cmd.ExecuteNonQuery();
    }

    /// <summary>A payload column: a BLOB, anything else is corruption.</summary>
    private byte[] Payload(SqliteDataReader r, int column, string what) => r.GetValue(column) switch
    {
        byte[] bytes => bytes,
        var other => throw new DatsyncStorageException(
            $"replica store {Path}: {what} cannot be read: its payload is {other switch { string => "TEXT", long => "an INTEGER", double => "a REAL", _ => "NULL" }}, not a BLOB"),
    };

    private DatsyncStorageException Unreadable(string what, Exception e) =>
        new($"replica store {Path}: {what} cannot be read: {e.Message}", e);

    private DatsyncStorageException Failed(string verb, SqliteException e) =>
        new($"cannot {verb} replica store {Path}: {e.Message}", e);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}

/// <summary>What a replica store holds (see <see cref="ReplicaStore.Load"/>).</summary>
/// <param name="Value">The stored value: the snapshot with every stored delta applied.</param>
/// <param name="BasisT">Its t (<c>Value.BasisT</c>).</param>
/// <param name="DatabaseId">Id of the master database the value was synced from, or null.</param>
/// <param name="Outbox">The outbox, in mutation-id order.</param>
internal sealed record StoredState(Db Value, long BasisT, string? DatabaseId, IReadOnlyList<OutboxEntry> Outbox);

/// <summary>A local transaction in a replica store's outbox, waiting for the master's answer.</summary>
/// <param name="MutationId">Its place in the outbox (1, 2, 3... never reused).</param>
/// <param name="RequestId">Id of the request that carries it to the master.</param>
/// <param name="TxEdn">The transaction data as EDN text.</param>
/// <param name="Created">When it was enqueued (UTC).</param>
internal sealed record OutboxEntry(long MutationId, string RequestId, string TxEdn, DateTime Created);
