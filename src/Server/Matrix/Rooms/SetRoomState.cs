namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Validates state content before it is stored (e.g. the MSC4002 room configuration).</summary>
public interface IStateEventValidator
{
    /// <summary>Null when acceptable, else the error to answer.</summary>
    MatrixError? Validate(RoomState room, string type, string stateKey, JsonObject content);
}

/// <summary>PUT /rooms/{roomId}/state/{eventType}/{stateKey} (and without a state key: ""): a state event, checked by the validators.</summary>
public static class SetRoomState
{
    public static void MapSetRoomState(this RouteGroupBuilder v3)
    {
        v3.MapPut("/rooms/{roomId}/state/{eventType}/{stateKey}", Handle).RequireAccessToken().RequireRateLimiting(RateLimits.Send);
        v3.MapPut("/rooms/{roomId}/state/{eventType}", (string roomId, string eventType, HttpContext http, RoomWriter writer,
                IEnumerable<IStateEventValidator> validators, CancellationToken ct) => Handle(roomId, eventType, "", http, writer, validators, ct))
            .RequireAccessToken().RequireRateLimiting(RateLimits.Send);
    }

    static async Task<Ok<SendEvent.Response>> Handle(string roomId, string eventType, string stateKey, HttpContext http, RoomWriter writer,
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
        return TypedResults.Ok(new SendEvent.Response(events[0].EventId));
    }
}
