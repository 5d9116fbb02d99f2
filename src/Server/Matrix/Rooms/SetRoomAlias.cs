namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>PUT /directory/room/{roomAlias} {"room_id"}: a new alias of this server for a room the caller is joined to.</summary>
public static class SetRoomAlias
{
    public sealed record Request(string? RoomId) : IMatrixRequest<Request>;

    public static void MapSetRoomAlias(this RouteGroupBuilder v3) => v3.MapPut("/directory/room/{roomAlias}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string roomAlias, Request body, HttpContext http,
        IQuerySession query, IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (body.RoomId is not { } roomId) return MatrixError.BadJson("`room_id` must be a string").ToTypedResult();
        if (!roomAlias.StartsWith('#') || !roomAlias.EndsWith(":" + matrix.Value.ServerName))
            return MatrixError.InvalidParam("Alias must be #name:" + matrix.Value.ServerName).ToTypedResult();
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToTypedResult();
        if (!room.IsJoined(http.Device().UserId)) return MatrixError.Forbidden("You are not joined to this room").ToTypedResult();
        if (await query.LoadAsync<RoomAlias>(roomAlias, ct) is not null)
            return new MatrixError("M_UNKNOWN", "Room alias already exists") { Status = 409 }.ToTypedResult();
        await RoomAlias.SetAsync(query, roomAlias, roomId, http.Device().UserId, ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
