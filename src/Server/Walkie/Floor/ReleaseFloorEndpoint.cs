namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// POST $P/rooms/{roomId}/floor/release {"epoch": 17} → 200 {}. The holder releases (the queue's head is handed the
/// floor); a queued device leaves the queue; a stale epoch or a stranger changes nothing. Needs no consent.
/// </summary>
public static class ReleaseFloorEndpoint
{
    public static void MapReleaseFloor(this RouteGroupBuilder msc4002) =>
        msc4002.MapPost("/rooms/{roomId}/floor/release", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<Ok<EmptyResponse>> Handle(string roomId, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var device = http.Device();
        var epoch = ParseEpoch(await MatrixBody.ReadObjectAsync(http.Request));
        await floor.HandleAsync(new FloorCommand.Release(roomId, device, epoch), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    /// <summary>The <c>epoch</c> of a release body or a <c>floor.release</c> message.</summary>
    public static long ParseEpoch(JsonObject body) =>
        body["epoch"] is JsonValue v && v.TryGetValue<long>(out var epoch)
            ? epoch
            : throw new MatrixException(MatrixError.BadJson("`epoch` must be an integer"));
}
