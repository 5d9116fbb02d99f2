namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>DELETE /directory/room/{roomAlias}: by its creator, or by whoever may set the room's canonical alias.</summary>
public static class DeleteRoomAlias
{
    public static void MapDeleteRoomAlias(this RouteGroupBuilder v3) => v3.MapDelete("/directory/room/{roomAlias}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string roomAlias, HttpContext http, IDocumentSession session,
        CancellationToken ct)
    {
        if (await session.LoadAsync<RoomAlias>(roomAlias, ct) is not { } alias) return MatrixError.NotFound("Unknown alias").ToTypedResult();
        var room = await session.LoadAsync<RoomState>(alias.RoomId, ct);
        var user = http.Device().UserId;
        var levels = room?.PowerLevels;
        if (alias.CreatedBy != user && (levels is null || levels.Of(user) < levels.ToSend(EventTypes.CanonicalAlias, true)))
            return MatrixError.Forbidden("You may not delete this alias").ToTypedResult();
        session.Delete<RoomAlias>(roomAlias);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
