namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>POST /rooms/{roomId}/leave (an optional reason) and POST /rooms/{roomId}/forget.</summary>
public static class LeaveRoom
{
    /// <summary>An optional reason; the body may be empty.</summary>
    public sealed record Request(string? Reason) : IMatrixRequest<Request>
    {
        public static bool EmptyIsObject => true;
    }

    public static void MapLeaveRoom(this RouteGroupBuilder v3)
    {
        v3.MapPost("/rooms/{roomId}/leave", Handle).RequireAccessToken();
        // Nothing is kept per user once they left, so forgetting is a no-op that always succeeds.
        v3.MapPost("/rooms/{roomId}/forget", () => TypedResults.Ok(EmptyResponse.Instance)).RequireAccessToken();
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string roomId, Request body, HttpContext http, RoomWriter writer, IQuerySession query, CancellationToken ct)
    {
        var user = http.Device().UserId;
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToTypedResult();
        var content = new JsonObject { ["membership"] = Memberships.Leave };
        if (body.Reason is { } reason) content["reason"] = reason;
        await writer.AppendAsync(roomId, _ => [new RoomEventDraft(user, EventTypes.Member, user, content)], ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
