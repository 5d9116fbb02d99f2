namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// The redaction algorithm (room versions 10 and 11): what survives of an event when it is redacted, and what
/// its reference hash and signatures cover.
/// </summary>
public static class Redaction
{
    static readonly string[] TopLevelV10 =
        ["event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth", "prev_events",
         "prev_state", "auth_events", "origin", "origin_server_ts", "membership"];

    // Version 11 no longer keeps origin, membership and prev_state.
    static readonly string[] TopLevelV11 =
        ["event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth", "prev_events",
         "auth_events", "origin_server_ts"];

    /// <summary>A redacted deep copy of <paramref name="pdu"/> (the input is not changed).</summary>
    public static JsonObject Redact(JsonObject pdu, string roomVersion)
    {
        var v11 = roomVersion == RoomVersions.V11;
        var redacted = new JsonObject();
        foreach (var key in v11 ? TopLevelV11 : TopLevelV10)
            if (pdu.TryGetPropertyValue(key, out var value)) redacted[key] = value?.DeepClone();
        if (pdu["content"] is JsonObject content)
            redacted["content"] = RedactContent(pdu["type"]?.GetValue<string>() ?? "", content, v11);
        return redacted;
    }

    /// <summary>The content keys the algorithm keeps for an event of <paramref name="type"/>.</summary>
    public static JsonObject RedactContent(string type, JsonObject content, string roomVersion) =>
        RedactContent(type, content, roomVersion == RoomVersions.V11);

    static JsonObject RedactContent(string type, JsonObject content, bool v11)
    {
        if (v11 && type == "m.room.create") return (JsonObject)content.DeepClone();
        string[] keep = type switch
        {
            "m.room.member" => v11 ? ["membership", "join_authorised_via_users_server", "third_party_invite"] : ["membership", "join_authorised_via_users_server"],
            "m.room.create" => ["creator"],
            "m.room.join_rules" => ["join_rule", "allow"],
            "m.room.power_levels" => v11
                ? ["ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users", "users_default"]
                : ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"],
            "m.room.history_visibility" => ["history_visibility"],
            "m.room.redaction" when v11 => ["redacts"],
            _ => [],
        };
        var kept = new JsonObject();
        foreach (var key in keep)
            if (content.TryGetPropertyValue(key, out var value)) kept[key] = value?.DeepClone();
        // Version 11 keeps only the `signed` part of a member event's third-party invite.
        if (v11 && kept["third_party_invite"] is JsonObject invite)
            kept["third_party_invite"] = invite["signed"] is { } signed ? new JsonObject { ["signed"] = signed.DeepClone() } : new JsonObject();
        return kept;
    }
}
