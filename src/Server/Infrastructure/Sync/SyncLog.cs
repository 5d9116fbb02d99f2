namespace WalkieTalkie.Server.Infrastructure.Sync;

/// <summary>
/// Everything /sync delivers from the event store (room events, account data, to-device messages, device-list
/// changes, receipts) is appended inside a transaction that first takes one PostgreSQL advisory lock. So these
/// appends commit in the order of their global sequence numbers, and a reader that has seen sequence N will never
/// later find a sync-visible event below N: the sync token is just that number. On commit the transaction
/// notifies channel <see cref="Channel"/>, which wakes long-polling /sync requests in every server process.
/// </summary>
public static class SyncLog
{
    public const string Channel = "walkie_sync";
    const long AppendLockKey = 4002_0001;

    /// <summary>Call before loading the state you decide on and before appending; then SaveChangesAsync as usual.</summary>
    public static async Task BeginAsync(IDocumentSession session, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = $"select pg_advisory_xact_lock({AppendLockKey}); select pg_notify('{Channel}', '')";
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Stream keys of the sync-visible streams.</summary>
public static class SyncStreams
{
    public static string Room(string roomId) => $"room:{roomId}";
    public static string AccountData(string userId) => $"accountdata:{userId}";
    public static string ToDevice(string userId, string deviceId) => $"todevice:{userId}:{deviceId}";
    public static string DeviceList(string userId) => $"devicelist:{userId}";
    public static string Receipts(string roomId) => $"receipts:{roomId}";
}
