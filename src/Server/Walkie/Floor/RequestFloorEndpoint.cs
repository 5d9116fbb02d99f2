using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>200 <c>{"result": "granted", "epoch", "expires_ts"}</c> (+ <c>"emergency": true</c> for an emergency grant).</summary>
public sealed record FloorGrantedResponse(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("expires_ts")] long ExpiresTs,
    [property: JsonPropertyName("emergency"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Emergency = false)
{
    [JsonPropertyName("result"), JsonPropertyOrder(-1)] public string Result => "granted";
}

/// <summary>200 <c>{"result": "queued", "position"}</c>, position counting from 1.</summary>
public sealed record FloorQueuedResponse([property: JsonPropertyName("position")] int Position)
{
    [JsonPropertyName("result"), JsonPropertyOrder(-1)] public string Result => "queued";
}

/// <summary>409 <c>ORG.MATRIX.MSC4002_FLOOR_TAKEN</c> with the holder beside errcode/error, so the client can show who is talking.</summary>
public sealed record FloorTakenError(
    [property: JsonPropertyName("errcode")] string ErrCode,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("holder")] DeviceRef Holder);

/// <summary>POST $P/rooms/{roomId}/floor/request {"priority": "normal" | "preempt" | "emergency"}.</summary>
public static class RequestFloorEndpoint
{
    public static void MapRequestFloor(this RouteGroupBuilder msc4002) =>
        msc4002.MapPost("/rooms/{roomId}/floor/request", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<Results<Ok<FloorGrantedResponse>, Ok<FloorQueuedResponse>, JsonHttpResult<FloorTakenError>>> Handle(
        string roomId, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var device = http.Device();
        var priority = FloorPriorities.Parse(await MatrixBody.ReadObjectAsync(http.Request));
        return await floor.HandleAsync(new FloorCommand.Request(roomId, device, priority), ct) switch
        {
            FloorOutcome.Granted g => TypedResults.Ok(new FloorGrantedResponse(g.Epoch, g.ExpiresAt.ToUnixTimeMilliseconds(), g.Emergency)),
            FloorOutcome.Queued q => TypedResults.Ok(new FloorQueuedResponse(q.Position)),
            FloorOutcome.Denied d => WalkieErrors.FloorTaken(d.Holder),
            var other => throw new InvalidOperationException($"A floor request ended in {other}"),
        };
    }
}

/// <summary>The <c>priority</c> of a request body, read by the wire protocol's own names (<see cref="FloorPriorityWire"/>).</summary>
public static class FloorPriorities
{
    public static FloorPriority Parse(JsonObject body)
    {
        if (!body.TryGetPropertyValue("priority", out var node)) return FloorPriority.Normal;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var s)) throw new MatrixException(MatrixError.BadJson("`priority` must be a string"));
        try { return FloorPriorityWire.Parse(s); }
        catch (ControlMessageException e) { throw new MatrixException(MatrixError.InvalidParam(e.Message)); }
    }
}
