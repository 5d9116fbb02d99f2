using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Infrastructure.Auth;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// POST $P/rooms/{roomId}/floor/release {"epoch": 17} → 200 {}. The holder releases (the queue's head is handed the
/// floor); a queued device leaves the queue; a stale epoch or a stranger changes nothing. Needs no consent.
/// </summary>
public static class ReleaseFloorEndpoint
{
    public static void MapReleaseFloor(this RouteGroupBuilder msc4002) =>
        msc4002.MapPost("/rooms/{roomId}/floor/release", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<IResult> Handle(string roomId, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var device = http.Device();
        var body = await MatrixJson.ReadObjectAsync(http.Request);
        if (body["epoch"] is not JsonValue v || !v.TryGetValue<long>(out var epoch))
            throw new MatrixException(MatrixError.BadJson("`epoch` must be an integer"));

        await ReleaseAsync(floor, roomId, device, epoch, ct);
        return TypedResults.Json(new JsonObject());
    }

    /// <summary>The release decision, shared by HTTP and the live stream's <c>floor.release</c>.</summary>
    public static Task<FloorDecision> ReleaseAsync(FloorControl floor, string roomId, DeviceRef device, long epoch, CancellationToken ct) =>
        floor.DecideAsync(roomId, [device], handsOver: true, scene =>
        {
            WalkieAccess.RequireEnabledMember(scene.Room, device.UserId);
            return [new ReleaseFloor(roomId, device, epoch, scene.Settings, scene.Eligible)];
        }, ct);
}
