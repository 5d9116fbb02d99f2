using System.Data;
using Npgsql;

namespace WalkieTalkie.Server.Matrix.Sync;

/// <summary>
/// One /sync response reads through one REPEATABLE READ, read-only transaction: memberships, room states, events and
/// every contributor's reads see the same set of commits. Read committed gave each statement its own snapshot, so a
/// join committed between the membership read and the event read moved next_batch past a join the response never
/// showed (issue 14). Sync appends commit in sequence order (<see cref="Infrastructure.Sync.SyncLog"/>), so the
/// snapshot holds every sync-visible event up to the highest sequence it sees and nothing above it.
/// </summary>
public static class SyncSnapshot
{
    public static async Task<T> ReadAsync<T>(NpgsqlDataSource dataSource, IDocumentStore store,
        Func<IQuerySession, Task<T>> read, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using (var readOnly = new NpgsqlCommand("set transaction read only", connection, transaction))
            await readOnly.ExecuteNonQueryAsync(ct);
        await using var session = store.QuerySession(Marten.Services.SessionOptions.ForTransaction(transaction));
        var result = await read(session);
        await transaction.CommitAsync(ct);
        return result;
    }
}
