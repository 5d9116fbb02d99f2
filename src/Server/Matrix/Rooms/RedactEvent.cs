namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>PUT /rooms/{roomId}/redact/{eventId}/{txnId} {"reason"}: a redaction of one of the room's events.</summary>
public static class RedactEvent
{
    public sealed record Request(string? Reason) : IMatrixRequest<Request>
    {
        public static bool EmptyIsObject => true;
    }

    public sealed record Response(string EventId);

    public static void MapRedactEvent(this RouteGroupBuilder v3) =>
        v3.MapPut("/rooms/{roomId}/redact/{eventId}/{txnId}", Handle).RequireAccessToken().RequireRateLimiting(RateLimits.Send);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string roomId, string eventId, string txnId, Request body,
        HttpContext http, RoomWriter writer, IQuerySession q, CancellationToken ct)
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
}
