using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Infrastructure.Auth;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>POST $P/rooms/{roomId}/floor/request {"priority": "normal" | "preempt"}.</summary>
public static class RequestFloorEndpoint
{
    public static void MapRequestFloor(this RouteGroupBuilder msc4002) =>
        msc4002.MapPost("/rooms/{roomId}/floor/request", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<IResult> Handle(string roomId, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var device = http.Device();
        var priority = ParsePriority(await MatrixJson.ReadObjectAsync(http.Request));
        var decision = await RequestAsync(floor, roomId, device, priority, ct);

        return decision.OutcomeFor(device) switch
        {
            FloorOutcome.Granted g => TypedResults.Json(new JsonObject
            {
                ["result"] = "granted", ["epoch"] = g.Epoch, ["expires_ts"] = g.ExpiresAt.ToUnixTimeMilliseconds(),
            }),
            FloorOutcome.Queued q => TypedResults.Json(new JsonObject { ["result"] = "queued", ["position"] = q.Position }),
            FloorOutcome.Denied d => WalkieErrors.FloorTaken(d.Holder),
            var other => throw new InvalidOperationException($"A floor request ended in {other}"),
        };
    }

    /// <summary>The request decision, shared by HTTP and the live stream's <c>floor.request</c>.</summary>
    public static Task<FloorDecision> RequestAsync(FloorControl floor, string roomId, DeviceRef device, FloorPriority priority,
        CancellationToken ct) =>
        floor.DecideAsync(roomId, [device], handsOver: false, scene =>
        {
            var config = WalkieAccess.RequireEnabledMember(scene.Room, device.UserId);
            if (!scene.HasLiveConsent(device))
                throw new MatrixException(MatrixError.Forbidden("This device has no live consent in this room: PUT .../consent first"));
            var holderLevel = scene.Floor is Floor.Taken t ? scene.PowerLevel(t.Holder.UserId) : (int?)null;
            return [new RequestFloor(roomId, device, priority, scene.PowerLevel(device.UserId), holderLevel, config.FloorSettings)];
        }, ct);

    public static FloorPriority ParsePriority(JsonObject body)
    {
        if (!body.TryGetPropertyValue("priority", out var node)) return FloorPriority.Normal;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var s)) throw new MatrixException(MatrixError.BadJson("`priority` must be a string"));
        return s switch
        {
            "normal" => FloorPriority.Normal,
            "preempt" => FloorPriority.Preempt,
            _ => throw new MatrixException(MatrixError.InvalidParam("`priority` must be \"normal\" or \"preempt\"")),
        };
    }
}
