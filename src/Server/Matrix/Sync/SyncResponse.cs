namespace WalkieTalkie.Server.Matrix.Sync;

/// <summary>
/// The /sync response (spec "GET /_matrix/client/v3/sync"). <see cref="Sync"/> fills the rooms, each module's
/// <see cref="ISyncContributor"/> its own part; unset optional members are omitted. Events stay JSON objects: their
/// content is the clients'.
/// </summary>
public sealed class SyncResponse
{
    public SyncRooms Rooms { get; } = new();
    public EventList Presence { get; } = EventList.Empty;
    public EventList AccountData { get; set; } = EventList.Empty;
    public EventList ToDevice { get; set; } = EventList.Empty;
    public DeviceListChanges DeviceLists { get; set; } = new([], []);
    public IReadOnlyDictionary<string, int> DeviceOneTimeKeysCount { get; set; } = new Dictionary<string, int> { ["signed_curve25519"] = 0 };
    public IReadOnlyList<string> DeviceUnusedFallbackKeyTypes { get; set; } = [];
    public string NextBatch { get; set; } = "";
}

public sealed class SyncRooms
{
    public Dictionary<string, JoinedRoom> Join { get; } = [];
    public Dictionary<string, InvitedRoom> Invite { get; } = [];
    public Dictionary<string, LeftRoom> Leave { get; } = [];
    public Dictionary<string, JsonObject> Knock { get; } = [];
}

/// <summary>`{"events": [...]}`, the shape of every event list in /sync.</summary>
public sealed record EventList(IReadOnlyList<JsonObject> Events)
{
    public static EventList Empty => new([]);
}

/// <summary>`device_lists`: users whose devices changed, users no longer sharing a room.</summary>
public sealed record DeviceListChanges(IReadOnlyList<string> Changed, IReadOnlyList<string> Left);

/// <summary>`timeline`: `prev_batch` is omitted where there is none (a room listed only for its account data).</summary>
public sealed record SyncTimeline(IReadOnlyList<JsonObject> Events, bool Limited, string? PrevBatch);

/// <summary>A room under `rooms.join`; the account data and ephemeral lists are set after the room's own part.</summary>
public sealed class JoinedRoom
{
    public required SyncTimeline Timeline { get; init; }
    public required EventList State { get; init; }
    public EventList? AccountData { get; set; }
    public UnreadNotifications? UnreadNotifications { get; init; }
    public RoomSummary? Summary { get; init; }
    public EventList? Ephemeral { get; set; }
}

public sealed record UnreadNotifications(int NotificationCount, int HighlightCount);

public sealed record RoomSummary(
    [property: JsonPropertyName("m.joined_member_count")] int JoinedMemberCount,
    [property: JsonPropertyName("m.invited_member_count")] int InvitedMemberCount,
    [property: JsonPropertyName("m.heroes")] IReadOnlyList<string> Heroes);

/// <summary>A room under `rooms.invite`: its stripped state.</summary>
public sealed record InvitedRoom(EventList InviteState);

/// <summary>A room under `rooms.leave`: the events up to the user's leave.</summary>
public sealed record LeftRoom(SyncTimeline Timeline, EventList State, EventList AccountData);
