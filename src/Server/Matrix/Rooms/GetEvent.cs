namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /rooms/{roomId}/event/{eventId}: one event of a room the caller is joined to, stripped when redacted.</summary>
public static class GetEvent
{
    public static void MapGetEvent(this RouteGroupBuilder v3) =>
        v3.MapGet("/rooms/{roomId}/event/{eventId}", Handle).RequireAccessToken();

    static async Task<Results<Ok<JsonObject>, JsonHttpResult<MatrixError>>> Handle(string roomId, string eventId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var e = await RoomWriter.LoadEventAsync(q, eventId, ct);
        if (e is null || e.RoomId != roomId) return MatrixError.NotFound("Event not found").ToTypedResult();
        return TypedResults.Ok(await ReadRoom.ToClientEventAsync(q, room!, e, clock.GetUtcNow().ToUnixTimeMilliseconds(), http.Device().DeviceId, ct));
    }
}
