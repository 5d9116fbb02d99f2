namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>PUT /rooms/{roomId}/send/{eventType}/{txnId}: a message event; the transaction id makes a retry answer the same event.</summary>
public static class SendEvent
{
    public sealed record Response(string EventId);

    public static void MapSendEvent(this RouteGroupBuilder v3) =>
        v3.MapPut("/rooms/{roomId}/send/{eventType}/{txnId}", Send).RequireAccessToken().RequireRateLimiting(RateLimits.Send);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Send(string roomId, string eventType, string txnId, HttpContext http, RoomWriter writer, CancellationToken ct)
    {
        var device = http.Device();
        var content = await MatrixBody.ReadObjectAsync(http.Request);
        if (eventType is EventTypes.Redaction) return MatrixError.BadJson("Use the redact endpoint").ToTypedResult();
        var events = await writer.AppendAsync(roomId, _ =>
            [new RoomEventDraft(device.UserId, eventType, null, content) { SenderDevice = device.DeviceId, TxnId = txnId }], ct);
        return TypedResults.Ok(new Response(events[0].EventId));
    }
}
