namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /rooms/{roomId}/state/{eventType}/{stateKey} (the content, or the event with `?format=event`), GET /rooms/{roomId}/state: for joined members.</summary>
public static class GetRoomState
{
    public static void MapGetRoomState(this RouteGroupBuilder v3)
    {
        v3.MapGet("/rooms/{roomId}/state/{eventType}/{stateKey}", GetState).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state/{eventType}", (string roomId, string eventType, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct) =>
            GetState(roomId, eventType, "", http, q, clock, ct)).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state", AllState).RequireAccessToken();
    }

    static async Task<Results<Ok<JsonObject>, ContentHttpResult, JsonHttpResult<MatrixError>>> GetState(string roomId, string eventType, string stateKey, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var format = http.Request.Query["format"].FirstOrDefault();
        if (room!.Get(eventType, stateKey) is not { } entry) return MatrixError.NotFound("Event not found").ToTypedResult();
        if (format == "event")
            return TypedResults.Ok(ReadRoom.ToEvent(roomId, eventType, stateKey, entry).ToClientEvent(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        return TypedResults.Content(entry.Content, "application/json");
    }

    static async Task<Results<Ok<JsonObject[]>, JsonHttpResult<MatrixError>>> AllState(string roomId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return TypedResults.Ok(room!.All().Select(s => ReadRoom.ToEvent(roomId, s.Type, s.StateKey, s.Entry).ToClientEvent(now)).ToArray());
    }
}
