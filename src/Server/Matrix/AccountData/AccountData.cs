using WalkieTalkie.Server.Matrix.Push;

namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>
/// A global (RoomId null) or per-room account data value was set. Appended to <see cref="SyncStreams.AccountData"/>
/// under <see cref="SyncLog.BeginAsync"/>, so /sync can deliver changes by global sequence. ContentJson is the
/// client's JSON object, untouched.
/// </summary>
public sealed record AccountDataSet(string UserId, string? RoomId, string Type, string ContentJson, DateTimeOffset At);

/// <summary>The current value of one account data type (Marten document, id "user|room|type", room empty when global).</summary>
public sealed record AccountDataEntry(string Id, string UserId, string? RoomId, string Type, string ContentJson, DateTimeOffset UpdatedAt)
{
    public static string Key(string userId, string? roomId, string type) => $"{userId}|{roomId}|{type}";
}

/// <summary>An account data event as /sync delivers it: `{"type": ..., "content": {...}}`.</summary>
public sealed record AccountDataEvent(string Type, JsonElement Content)
{
    public static AccountDataEvent From(string type, string contentJson)
    {
        using var document = JsonDocument.Parse(contentJson);
        return new AccountDataEvent(type, document.RootElement.Clone());
    }
}

/// <summary>Writing and reading account data; shared by the endpoints, push rules, read markers and /sync.</summary>
public static class AccountDataStore
{
    /// <summary>Types the server manages: clients may read them but not PUT them (spec: 405 M_BAD_JSON).</summary>
    public static readonly string[] ServerManagedTypes = ["m.fully_read", PushRules.AccountDataType];

    /// <summary>
    /// Records a new value: the sync-visible event and the current-value document. Call after
    /// <see cref="SyncLog.BeginAsync"/>; the caller saves. Server-managed types are written here too (read markers
    /// set `m.fully_read` this way).
    /// </summary>
    public static void Set(IDocumentSession session, string userId, string? roomId, string type, string contentJson, DateTimeOffset at)
    {
        AppendChange(session, userId, roomId, type, contentJson, at);
        session.Store(new AccountDataEntry(AccountDataEntry.Key(userId, roomId, type), userId, roomId, type, contentJson, at));
    }

    /// <summary>Only the sync-visible event, for values computed on read (`m.push_rules`).</summary>
    public static void AppendChange(IDocumentSession session, string userId, string? roomId, string type, string contentJson, DateTimeOffset at) =>
        session.Events.Append(SyncStreams.AccountData(userId), new AccountDataSet(userId, roomId, type, contentJson, at));

    /// <summary>The current content of one type, or null when unset. `m.push_rules` is computed from the push rules.</summary>
    public static async Task<string?> GetAsync(IQuerySession session, string userId, string? roomId, string type, CancellationToken ct)
    {
        if (roomId is null && type == PushRules.AccountDataType)
            return (await PushRules.LoadForUserAsync(session, userId, ct)).ToJsonString();
        return (await session.LoadAsync<AccountDataEntry>(AccountDataEntry.Key(userId, roomId, type), ct))?.ContentJson;
    }

    /// <summary>
    /// For an initial /sync: the user's global account data (always including `m.push_rules`) and each room's
    /// account data, by room id.
    /// </summary>
    public static async Task<(IReadOnlyList<AccountDataEvent> Global, IReadOnlyDictionary<string, List<AccountDataEvent>> Rooms)>
        CurrentAsync(IQuerySession session, string userId, CancellationToken ct)
    {
        var entries = await session.Query<AccountDataEntry>().Where(e => e.UserId == userId).ToListAsync(ct);
        var global = entries.Where(e => e.RoomId is null).Select(e => AccountDataEvent.From(e.Type, e.ContentJson)).ToList();
        global.Add(AccountDataEvent.From(PushRules.AccountDataType,
            (await PushRules.LoadForUserAsync(session, userId, ct)).ToJsonString()));
        var rooms = entries.Where(e => e.RoomId is not null)
            .GroupBy(e => e.RoomId!)
            .ToDictionary(g => g.Key, g => g.Select(e => AccountDataEvent.From(e.Type, e.ContentJson)).ToList());
        return (global, rooms);
    }

    /// <summary>
    /// For an incremental /sync: what changed with a global sequence in (<paramref name="since"/>, <paramref name="upTo"/>],
    /// only the latest value of each (room, type), in the order of those latest changes.
    /// </summary>
    public static async Task<(IReadOnlyList<AccountDataEvent> Global, IReadOnlyDictionary<string, List<AccountDataEvent>> Rooms)>
        ChangesAsync(IQuerySession session, string userId, long since, long upTo, CancellationToken ct)
    {
        var stream = SyncStreams.AccountData(userId);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == stream && e.Sequence > since && e.Sequence <= upTo)
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
        var latest = events.Select(e => (AccountDataSet)e.Data)
            .GroupBy(set => (set.RoomId, set.Type))
            .Select(g => g.Last())
            .ToList();
        var global = latest.Where(set => set.RoomId is null).Select(set => AccountDataEvent.From(set.Type, set.ContentJson)).ToList();
        var rooms = latest.Where(set => set.RoomId is not null)
            .GroupBy(set => set.RoomId!)
            .ToDictionary(g => g.Key, g => g.Select(set => AccountDataEvent.From(set.Type, set.ContentJson)).ToList());
        return (global, rooms);
    }
}
