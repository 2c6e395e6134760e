using Datsync.Core;

namespace Datsync.Actors;

/// <summary>Datalog on a connection's current value (<see cref="Db.Q(string, object[])"/>).</summary>
public static class ConnectionQueries
{
    /// <summary>Runs <paramref name="query"/> on the connection's current <see cref="IDatsyncConnection.Db"/> (the value
    /// is <c>$</c>; <paramref name="inputs"/> fill the rest of <c>:in</c>), on the calling thread.</summary>
    /// <exception cref="QueryException">The query is malformed or fails (the message names the offending clause).</exception>
    public static object? Q(this IDatsyncConnection connection, string query, params object?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.Db.Q(query, inputs);
    }

    /// <summary>
    /// Runs <paramref name="query"/> off the calling thread on the connection's value: its current one, or, with
    /// <paramref name="basisT"/>, once it holds the master's transaction of that t (<see cref="IDatsyncConnection.SyncAsync"/>),
    /// so a query after a write sees it everywhere.
    /// </summary>
    /// <exception cref="QueryException">The query is malformed or fails.</exception>
    public static async Task<object?> QueryAsync(this IDatsyncConnection connection, string query, object?[]? inputs = null,
        long? basisT = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(query);
        var db = basisT is { } t ? await connection.SyncAsync(t, cancellationToken).ConfigureAwait(false) : connection.Db;
        return await Task.Run(() => db.Q(query, inputs ?? []), cancellationToken).ConfigureAwait(false);
    }
}
