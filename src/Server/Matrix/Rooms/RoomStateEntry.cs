namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// One current-state entry of a type that has an entry per device (<see cref="RoomStates.PerEntryTypes"/>, the MSC4002
/// consent mirrors), as its own Marten document (id = room|type|state key), so that writing one rewrites neither the
/// <see cref="RoomState"/> document nor the other devices' entries.
/// </summary>
public sealed record RoomStateEntry(string Id, string RoomId, string Type, string StateKey, StateEntry Entry)
{
    public static string Key(string roomId, string type, string stateKey) => $"{roomId}|{type}|{stateKey}";
}

/// <summary>
/// Reading a room's current state: the <see cref="RoomState"/> document holds every entry but those of
/// <see cref="PerEntryTypes"/>, which are <see cref="RoomStateEntry"/> documents. Readers that show the whole state
/// (sync, /state, federation state) load it with <see cref="LoadAsync"/>; a writer loads the document and the few
/// entries it touches (<see cref="LoadEntryAsync"/>); readers that never look at those types may load the document alone.
/// </summary>
public static class RoomStates
{
    public const string ConsentMirrorType = "org.matrix.msc4002.member";

    /// <summary>State types kept as one document per entry: those that grow by one entry per device.</summary>
    public static readonly IReadOnlySet<string> PerEntryTypes = new HashSet<string> { ConsentMirrorType };

    public static bool IsPerEntry(string type) => PerEntryTypes.Contains(type);

    /// <summary>The whole current state of a room (null if there is no such room document).</summary>
    public static async Task<RoomState?> LoadAsync(IQuerySession session, string roomId, CancellationToken ct)
    {
        if (await session.LoadAsync<RoomState>(roomId, ct) is not { } state) return null;
        foreach (var entry in await session.Query<RoomStateEntry>().Where(e => e.RoomId == roomId).ToListAsync(ct)) state.Add(entry);
        return state;
    }

    /// <summary>The whole current state of several rooms, by room id (two queries).</summary>
    public static async Task<Dictionary<string, RoomState>> LoadManyAsync(IQuerySession session, IReadOnlyCollection<string> roomIds,
        CancellationToken ct)
    {
        var states = (await session.LoadManyAsync<RoomState>(ct, roomIds)).ToDictionary(r => r.Id);
        if (states.Count == 0) return states;
        var ids = states.Keys.ToArray();
        foreach (var entry in await session.Query<RoomStateEntry>().Where(e => ids.Contains(e.RoomId)).ToListAsync(ct))
            if (states.TryGetValue(entry.RoomId, out var state)) state.Add(entry);
        return states;
    }

    /// <summary>
    /// The document for a writer, under the sync append lock (a new one if there is no room yet). A document written
    /// before the per-entry types moved out still holds them: they are marked changed, so the write moves them out.
    /// </summary>
    public static async Task<RoomState> ForWriteAsync(IDocumentSession session, string roomId, CancellationToken ct)
    {
        var state = await session.LoadAsync<RoomState>(roomId, ct) ?? new RoomState { Id = roomId };
        foreach (var type in PerEntryTypes)
            if (state.State.TryGetValue(type, out var byKey))
                foreach (var key in byKey.Keys) state.Changed.Add((type, key));
        return state;
    }

    /// <summary>Brings one per-entry state entry into <paramref name="state"/> (a no-op for other types or one already there).</summary>
    public static async Task LoadEntryAsync(IQuerySession session, RoomState state, string type, string stateKey, CancellationToken ct)
    {
        if (!IsPerEntry(type) || state.Get(type, stateKey) is not null) return;
        if (await session.LoadAsync<RoomStateEntry>(RoomStateEntry.Key(state.Id, type, stateKey), ct) is { } entry) state.Add(entry);
    }

    /// <summary>Brings the per-entry state of one type whose state keys start with <paramref name="prefix"/> into <paramref name="state"/>.</summary>
    public static async Task LoadEntriesAsync(IQuerySession session, RoomState state, string type, string prefix, CancellationToken ct)
    {
        var roomId = state.Id;
        var entries = await session.Query<RoomStateEntry>()
            .Where(e => e.RoomId == roomId && e.Type == type && e.StateKey.StartsWith(prefix)).ToListAsync(ct);
        foreach (var entry in entries.Where(e => e.StateKey.StartsWith(prefix, StringComparison.Ordinal) && state.Get(e.Type, e.StateKey) is null))
            state.Add(entry);
    }

    /// <summary>
    /// Queues the writes of a changed state: the per-entry entries that changed as their own documents, the rest as the
    /// <see cref="RoomState"/> document (without them). <paramref name="replaced"/>: the whole state was replaced (a
    /// join's import), so the room's old per-entry documents go first.
    /// </summary>
    public static void Store(IDocumentSession session, RoomState state, bool replaced = false)
    {
        if (replaced) session.DeleteWhere<RoomStateEntry>(e => e.RoomId == state.Id);
        foreach (var (type, key) in state.Changed.Where(c => IsPerEntry(c.Type)))
            if (state.Get(type, key) is { } entry) session.Store(new RoomStateEntry(RoomStateEntry.Key(state.Id, type, key), state.Id, type, key, entry));
            else session.Delete<RoomStateEntry>(RoomStateEntry.Key(state.Id, type, key));
        session.Store(state.WithoutPerEntryTypes());
    }
}
