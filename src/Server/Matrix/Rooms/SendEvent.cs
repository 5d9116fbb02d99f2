namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Validates state content before it is stored (e.g. the MSC4002 room configuration).</summary>
public interface IStateEventValidator
{
    /// <summary>Null when acceptable, else the error to answer.</summary>
    MatrixError? Validate(RoomState room, string type, string stateKey, JsonObject content);
}

/// <summary>PUT /rooms/{roomId}/send/{eventType}/{txnId} and PUT /rooms/{roomId}/state/{eventType}/{stateKey}.</summary>
public static class SendEvent
{
    public sealed record Response(string EventId);

    public static void MapSendEvent(this RouteGroupBuilder v3)
    {
        v3.MapPut("/rooms/{roomId}/send/{eventType}/{txnId}", Send).RequireAccessToken().RequireRateLimiting(RateLimits.Send);
        v3.MapPut("/rooms/{roomId}/state/{eventType}/{stateKey}", PutState).RequireAccessToken().RequireRateLimiting(RateLimits.Send);
        v3.MapPut("/rooms/{roomId}/state/{eventType}", (string roomId, string eventType, HttpContext http, RoomWriter writer,
                IEnumerable<IStateEventValidator> validators, CancellationToken ct) => PutState(roomId, eventType, "", http, writer, validators, ct))
            .RequireAccessToken().RequireRateLimiting(RateLimits.Send);
    }

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Send(string roomId, string eventType, string txnId, HttpContext http, RoomWriter writer, CancellationToken ct)
    {
        var device = http.Device();
        var content = await MatrixBody.ReadObjectAsync(http.Request);
        if (eventType is EventTypes.Redaction) return MatrixError.BadJson("Use the redact endpoint").ToTypedResult();
        var events = await writer.AppendAsync(roomId, _ =>
            [new RoomEventDraft(device.UserId, eventType, null, content) { SenderDevice = device.DeviceId, TxnId = txnId }], ct);
        return TypedResults.Ok(new Response(events[0].EventId));
    }

    static async Task<Ok<Response>> PutState(string roomId, string eventType, string stateKey, HttpContext http, RoomWriter writer,
        IEnumerable<IStateEventValidator> validators, CancellationToken ct)
    {
        var user = http.Device().UserId;
        var content = await MatrixBody.ReadObjectAsync(http.Request);
        var events = await writer.AppendAsync(roomId, room =>
        {
            foreach (var validator in validators)
                if (validator.Validate(room, eventType, stateKey, content) is { } error) throw new MatrixException(error);
            return [new RoomEventDraft(user, eventType, stateKey, content)];
        }, ct);
        return TypedResults.Ok(new Response(events[0].EventId));
    }
}
