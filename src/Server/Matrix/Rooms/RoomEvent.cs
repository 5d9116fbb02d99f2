using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// One Matrix room event = one Marten event on the room's stream. Content is kept as the raw JSON the client
/// sent, so m.room.encrypted and unknown types pass through untouched.
/// </summary>
public sealed record RoomEvent(
    string EventId, string RoomId, string Sender, string Type, string? StateKey, string Content, long OriginServerTs)
{
    /// <summary>The sending device and its transaction id: for idempotent sends and `unsigned.transaction_id`.</summary>
    public string? SenderDevice { get; init; }
    public string? TxnId { get; init; }
    public string? Redacts { get; init; }
    /// <summary>Content of the state event this one replaced (`unsigned.prev_content`).</summary>
    public string? PrevContent { get; init; }

    public bool IsState => StateKey is not null;

    public JsonObject ContentObject() => JsonNode.Parse(Content)?.AsObject() ?? [];

    /// <summary>The client-server "ClientEvent" shape.</summary>
    public JsonObject ToClientEvent(long now, string? forDevice = null, string? redactedBecause = null)
    {
        var unsigned = new JsonObject { ["age"] = Math.Max(0, now - OriginServerTs) };
        if (TxnId is not null && forDevice is not null && forDevice == SenderDevice) unsigned["transaction_id"] = TxnId;
        var content = redactedBecause is null ? JsonNode.Parse(Content) : RedactedContent();
        if (PrevContent is not null && redactedBecause is null) unsigned["prev_content"] = JsonNode.Parse(PrevContent);
        if (redactedBecause is not null) unsigned["redacted_because"] = JsonNode.Parse(redactedBecause);

        var json = new JsonObject
        {
            ["content"] = content,
            ["event_id"] = EventId,
            ["origin_server_ts"] = OriginServerTs,
            ["room_id"] = RoomId,
            ["sender"] = Sender,
            ["type"] = Type,
            ["unsigned"] = unsigned,
        };
        if (StateKey is not null) json["state_key"] = StateKey;
        if (Redacts is not null) json["redacts"] = Redacts;
        return json;
    }

    /// <summary>Redaction algorithm (room v10): keep only the content keys the spec preserves per type.</summary>
    JsonObject RedactedContent() => Redaction.RedactContent(Type, ContentObject(), RoomVersions.Default);
}

public static class EventTypes
{
    public const string Create = "m.room.create";
    public const string Member = "m.room.member";
    public const string PowerLevels = "m.room.power_levels";
    public const string JoinRules = "m.room.join_rules";
    public const string HistoryVisibility = "m.room.history_visibility";
    public const string GuestAccess = "m.room.guest_access";
    public const string Name = "m.room.name";
    public const string Topic = "m.room.topic";
    public const string CanonicalAlias = "m.room.canonical_alias";
    public const string Encryption = "m.room.encryption";
    public const string Redaction = "m.room.redaction";
    public const string Message = "m.room.message";
}
