namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>PUT /rooms/{roomId}/redact/{eventId}/{txnId}, and serving redacted events stripped.</summary>
public static class Redactions
{
    public sealed record RedactRequest(string? Reason) : IMatrixRequest<RedactRequest>
    {
        public static bool EmptyIsObject => true;
    }

    public sealed record Response(string EventId);

    public static void MapRedact(this RouteGroupBuilder v3) =>
        v3.MapPut("/rooms/{roomId}/redact/{eventId}/{txnId}", Redact).RequireAccessToken().RequireRateLimiting(RateLimits.Send);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Redact(string roomId, string eventId, string txnId, RedactRequest body, HttpContext http, RoomWriter writer, IQuerySession q,
        CancellationToken ct)
    {
        var device = http.Device();
        var target = await RoomWriter.LoadEventAsync(q, eventId, ct);
        if (target is null || target.RoomId != roomId) return MatrixError.NotFound("Event not found").ToTypedResult();

        var content = new JsonObject();
        if (body.Reason is { } reason) content["reason"] = reason;
        var events = await writer.AppendAsync(roomId, room =>
        {
            // Your own events are always yours to redact; others' need the redact power level.
            var levels = room.PowerLevels;
            if (target.Sender != device.UserId && levels.Of(device.UserId) < levels.Redact)
                throw new MatrixException(MatrixError.Forbidden("You do not have permission to redact this event"));
            return [new RoomEventDraft(device.UserId, EventTypes.Redaction, null, content)
                { Redacts = eventId, SenderDevice = device.DeviceId, TxnId = txnId }];
        }, ct);
        return TypedResults.Ok(new Response(events[0].EventId));
    }

    /// <summary>The client form of an event, stripped with `redacted_because` when it was redacted.</summary>
    public static async Task<JsonObject> ToClientEventAsync(IQuerySession q, RoomState room, RoomEvent e, long now, string? forDevice,
        CancellationToken ct)
    {
        if (!room.Redactions.TryGetValue(e.EventId, out var redactionId)) return e.ToClientEvent(now, forDevice);
        var redaction = await RoomWriter.LoadEventAsync(q, redactionId, ct);
        return e.ToClientEvent(now, forDevice, redaction?.ToClientEvent(now).ToJsonString() ?? "{}");
    }
}
