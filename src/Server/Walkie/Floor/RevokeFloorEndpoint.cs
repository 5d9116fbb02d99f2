namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>200 <c>{"revoked": {"user_id","device_id"} | absent, "dequeued": [...]}</c>: what the revocation took from whom.</summary>
public sealed record FloorRevokedResponse(
    [property: JsonPropertyName("revoked"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DeviceRef? Revoked,
    [property: JsonPropertyName("dequeued")] IReadOnlyList<DeviceRef> Dequeued);

/// <summary>
/// POST $P/rooms/{roomId}/floor/revoke {"user_id", "device_id"?} → a moderator (power level ≥ the room's <c>kick</c>
/// level and above the target's) takes the floor from the target (reason <c>revoked_by_moderator</c>) and removes the
/// target's devices from the queue. A target that neither holds nor waits changes nothing (200, nothing listed).
/// </summary>
public static class RevokeFloorEndpoint
{
    public static void MapRevokeFloor(this RouteGroupBuilder msc4002) =>
        msc4002.MapPost("/rooms/{roomId}/floor/revoke", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<Ok<FloorRevokedResponse>> Handle(string roomId, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var moderator = http.Device();
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        var userId = body["user_id"] is JsonValue u && u.TryGetValue<string>(out var user) && user.StartsWith('@')
            ? user
            : throw new MatrixException(MatrixError.BadJson("`user_id` must be a Matrix user id"));
        string? deviceId = null;
        if (body.TryGetPropertyValue("device_id", out var node) && node is not null
            && (node is not JsonValue d || !d.TryGetValue(out deviceId)))
            throw new MatrixException(MatrixError.BadJson("`device_id` must be a string"));

        var outcome = (FloorOutcome.Moderated)await floor.HandleAsync(new FloorCommand.Revoke(roomId, moderator, userId, deviceId), ct);
        return TypedResults.Ok(new FloorRevokedResponse(outcome.Revoked, outcome.Dequeued));
    }
}
