namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// POST /_matrix/federation/unstable/org.matrix.msc4002/rooms/{roomId}/floor/{request|release|revoke|depart}, signed
/// (X-Matrix): another server's device asks the floor host. The host decides exactly as for its own devices (remote
/// consent read from the room's <c>org.matrix.msc4002.member</c> state) and answers in the client API's shapes.
/// </summary>
public static class ForwardedFloorEndpoint
{
    public static void MapForwardedFloor(this IEndpointRouteBuilder app) =>
        app.MapPost(FloorWire.FederationPrefix + "/rooms/{roomId}/floor/{op}", Handle);

    static async Task<Results<Ok<JsonObject>, JsonHttpResult<FloorTakenError>>> Handle(string roomId, string op, HttpContext http, FloorControl floor, CancellationToken ct)
    {
        var command = FloorWire.ParseCommand(op, roomId, http.FederationOrigin(), await MatrixBody.ReadObjectAsync(http.Request));
        return await floor.HandleAsync(command, ct) switch
        {
            FloorOutcome.Denied d => WalkieErrors.FloorTaken(d.Holder),
            var outcome => TypedResults.Ok(FloorWire.Outcome(outcome)),
        };
    }
}
