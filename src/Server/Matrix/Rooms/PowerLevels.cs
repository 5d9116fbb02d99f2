namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>The m.room.power_levels content with the spec's defaults.</summary>
public sealed record PowerLevels(
    IReadOnlyDictionary<string, long> Users, long UsersDefault,
    IReadOnlyDictionary<string, long> Events, long EventsDefault, long StateDefault,
    long Ban, long Kick, long Redact, long Invite)
{
    public static PowerLevels From(JsonObject? content, string? creator)
    {
        if (content is null)
        {
            // No power_levels event yet: the creator has 100, everybody else 0 (auth rules, room v10).
            var users = creator is null ? new Dictionary<string, long>() : new Dictionary<string, long> { [creator] = 100 };
            return new(users, 0, new Dictionary<string, long>(), 0, 0, 50, 50, 50, 0);
        }
        return new(
            Map(content["users"]), Int(content["users_default"], 0),
            Map(content["events"]), Int(content["events_default"], 0), Int(content["state_default"], 50),
            Int(content["ban"], 50), Int(content["kick"], 50), Int(content["redact"], 50), Int(content["invite"], 0));
    }

    public long Of(string userId) => Users.TryGetValue(userId, out var level) ? level : UsersDefault;

    public long ToSend(string eventType, bool isState) =>
        Events.TryGetValue(eventType, out var level) ? level : isState ? StateDefault : EventsDefault;

    static Dictionary<string, long> Map(JsonNode? node) =>
        node is JsonObject o ? o.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => Int(kv.Value, 0)) : [];

    // Power levels may be JSON integers or (legacy) strings holding integers.
    static long Int(JsonNode? node, long fallback) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => (long)d,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, out var parsed) => parsed,
        _ => fallback,
    };
}
