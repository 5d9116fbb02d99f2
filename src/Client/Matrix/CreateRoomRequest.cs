namespace WalkieTalkie.Client.Matrix;

/// <summary>One entry of <c>initial_state</c>.</summary>
public sealed record StateEvent(string Type, string StateKey, JsonObject Content);

/// <summary>The subset of <c>POST /createRoom</c> a walkie-talkie client needs.</summary>
public sealed record CreateRoomRequest
{
    public string? Name { get; init; }
    public string? Topic { get; init; }
    /// <summary><c>private_chat</c>, <c>public_chat</c> or <c>trusted_private_chat</c>; the server picks when null.</summary>
    public string? Preset { get; init; }
    public string? RoomAliasName { get; init; }
    public IReadOnlyList<string> Invite { get; init; } = [];
    public IReadOnlyList<StateEvent> InitialState { get; init; } = [];

    /// <summary>The same request with walkie-talkie switched on by the room's <c>org.matrix.msc4002.walkie_talkie</c> state.</summary>
    public CreateRoomRequest WithWalkieTalkie(WalkieRoomConfig config) =>
        this with { InitialState = [.. InitialState, new StateEvent(WalkieRoomConfig.EventType, "", config.ToJson())] };

    internal JsonObject ToJson()
    {
        var body = new JsonObject();
        if (Name is not null) body["name"] = Name;
        if (Topic is not null) body["topic"] = Topic;
        if (Preset is not null) body["preset"] = Preset;
        if (RoomAliasName is not null) body["room_alias_name"] = RoomAliasName;
        if (Invite.Count > 0) body["invite"] = new JsonArray([.. Invite.Select(i => JsonValue.Create(i))]);
        if (InitialState.Count > 0)
            body["initial_state"] = new JsonArray([.. InitialState.Select(s => new JsonObject
            {
                ["type"] = s.Type,
                ["state_key"] = s.StateKey,
                ["content"] = s.Content.DeepClone(),
            })]);
        return body;
    }
}

/// <summary>The room's walkie-talkie settings (state event <c>org.matrix.msc4002.walkie_talkie</c>, state_key ""); defaults as in MSC4002.</summary>
public sealed record WalkieRoomConfig
{
    public const string EventType = "org.matrix.msc4002.walkie_talkie";

    public bool Enabled { get; init; } = true;
    public int MaxTalkMs { get; init; } = 30000;
    public int EndOfMediaMs { get; init; } = 4000;
    public bool Queue { get; init; } = true;
    public int PreemptPowerLevel { get; init; } = 50;
    /// <summary><c>client</c>, <c>server</c> or <c>off</c>.</summary>
    public string Recording { get; init; } = "client";
    public long SessionGapMs { get; init; } = 600000;

    public JsonObject ToJson() => new()
    {
        ["enabled"] = Enabled,
        ["max_talk_ms"] = MaxTalkMs,
        ["end_of_media_ms"] = EndOfMediaMs,
        ["queue"] = Queue,
        ["preempt_power_level"] = PreemptPowerLevel,
        ["recording"] = Recording,
        ["session_gap_ms"] = SessionGapMs,
    };

    /// <summary>Reads the state content; absent fields keep their defaults.</summary>
    public static WalkieRoomConfig FromJson(JsonObject content)
    {
        var defaults = new WalkieRoomConfig();
        return new WalkieRoomConfig
        {
            Enabled = content.Bool("enabled") ?? defaults.Enabled,
            MaxTalkMs = (int?)content.Long("max_talk_ms") ?? defaults.MaxTalkMs,
            EndOfMediaMs = (int?)content.Long("end_of_media_ms") ?? defaults.EndOfMediaMs,
            Queue = content.Bool("queue") ?? defaults.Queue,
            PreemptPowerLevel = (int?)content.Long("preempt_power_level") ?? defaults.PreemptPowerLevel,
            Recording = content.String("recording") ?? defaults.Recording,
            SessionGapMs = content.Long("session_gap_ms") ?? defaults.SessionGapMs,
        };
    }
}
