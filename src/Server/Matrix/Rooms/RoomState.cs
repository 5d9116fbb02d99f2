namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A state event as held in the room's current state.</summary>
public sealed record StateEntry(string EventId, string Sender, string Content, long OriginServerTs);

/// <summary>
/// Current state of a room (Marten document, id = room id): the projection of the room's event stream, written in
/// the same transaction as the events (under the sync append lock, so it is never stale for a writer).
/// <see cref="Apply"/> is the only way it changes, and <see cref="Replay"/> rebuilds it from the stream.
/// Entries of <see cref="RoomStates.PerEntryTypes"/> are stored as their own documents, not in this one
/// (<see cref="RoomStates"/>): loaded alone, the document has none of them.
/// </summary>
public sealed class RoomState
{
    public string Id { get; set; } = "";
    public Dictionary<string, Dictionary<string, StateEntry>> State { get; set; } = [];
    public long EventCount { get; set; }
    /// <summary>Event ids of this room that were redacted, with the redaction event's id.</summary>
    public Dictionary<string, string> Redactions { get; set; } = [];

    /// <summary>The (type, state key) entries changed since this was loaded, for <see cref="RoomStates.Store"/>.</summary>
    [JsonIgnore] public HashSet<(string Type, string StateKey)> Changed { get; } = [];

    public static RoomState Replay(string roomId, IEnumerable<RoomEvent> events)
    {
        var state = new RoomState { Id = roomId };
        foreach (var e in events) state.Apply(e);
        return state;
    }

    public void Apply(RoomEvent e)
    {
        EventCount++;
        if (e.Redacts is not null) Redactions[e.Redacts] = e.EventId;
        if (e.StateKey is null) return;
        Set(e.Type, e.StateKey, new StateEntry(e.EventId, e.Sender, e.Content, e.OriginServerTs));
    }

    /// <summary>Sets one entry of the current state (marked changed).</summary>
    public void Set(string type, string stateKey, StateEntry entry)
    {
        if (!State.TryGetValue(type, out var byKey)) State[type] = byKey = [];
        byKey[stateKey] = entry;
        Changed.Add((type, stateKey));
    }

    /// <summary>Removes one entry of the current state (marked changed): state resolution may leave a key out.</summary>
    public void Remove(string type, string stateKey)
    {
        if (State.TryGetValue(type, out var byKey) && byKey.Remove(stateKey) && byKey.Count == 0) State.Remove(type);
        Changed.Add((type, stateKey));
    }

    /// <summary>An entry loaded from its own document (not a change).</summary>
    public void Add(RoomStateEntry stored)
    {
        if (!State.TryGetValue(stored.Type, out var byKey)) State[stored.Type] = byKey = [];
        byKey[stored.StateKey] = stored.Entry;
    }

    /// <summary>The document as stored: the same, without the per-entry types' entries.</summary>
    public RoomState WithoutPerEntryTypes() => new()
    {
        Id = Id, EventCount = EventCount, Redactions = Redactions,
        State = State.Where(t => !RoomStates.IsPerEntry(t.Key)).ToDictionary(t => t.Key, t => t.Value),
    };

    public bool Exists => Get(EventTypes.Create, "") is not null;

    public StateEntry? Get(string type, string stateKey) =>
        State.TryGetValue(type, out var byKey) && byKey.TryGetValue(stateKey, out var entry) ? entry : null;

    public JsonObject? Content(string type, string stateKey) =>
        Get(type, stateKey) is { } entry ? JsonNode.Parse(entry.Content)?.AsObject() : null;

    public IEnumerable<(string Type, string StateKey, StateEntry Entry)> All() =>
        State.SelectMany(t => t.Value.Select(k => (t.Key, k.Key, k.Value)));

    public string MembershipOf(string userId) =>
        Content(EventTypes.Member, userId)?["membership"]?.GetValue<string>() ?? Memberships.Leave;

    public bool IsJoined(string userId) => MembershipOf(userId) == Memberships.Join;

    public IEnumerable<string> UsersWithMembership(string membership) =>
        State.TryGetValue(EventTypes.Member, out var members)
            ? members.Where(m => JsonNode.Parse(m.Value.Content)?["membership"]?.GetValue<string>() == membership).Select(m => m.Key)
            : [];

    public string? Creator => Get(EventTypes.Create, "")?.Sender;

    public PowerLevels PowerLevels => PowerLevels.From(Content(EventTypes.PowerLevels, ""), Creator);

    public string JoinRule => Content(EventTypes.JoinRules, "")?["join_rule"]?.GetValue<string>() ?? "invite";

    public bool IsEncrypted => Get(EventTypes.Encryption, "") is not null;
}
